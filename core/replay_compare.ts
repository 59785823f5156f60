/**
 * Replay v2: scores the engine (core/replay.ts's decide() loop) beside the baselines and the
 * hindsight optimum on one market grid with one cost model (core/replay_score.ts). Pure.
 *
 * Every spot policy starts in the cheapest pool at the first grid time (the optimum may pick any
 * start). The engine sees the grid as the agent would send it: every pool re-sent each pricing
 * interval; its moves are re-scored by the shared model, so its interruptions cost what the policy's
 * interruption loss says. With `interruptAboveOnDemand`, the start of each episode of a pool above
 * on-demand is also given to the engine as an interruption notice of that pool.
 * @module
 */
import { DEFAULT_AGENT_CONFIG, resolveDecisionPolicy } from "./decision_policy.ts";
import type { AgentConfig, DecisionPolicy } from "./decision_policy.ts";
import { round } from "./decision_economics.ts";
import { replay } from "./replay.ts";
import { gridPoints, type MarketGrid, toGrid } from "./replay_grid.ts";
import { optimumPlan } from "./replay_optimum.ts";
import {
  baselines,
  cheapestPool,
  OD,
  type PolicyScore,
  scoreCosts,
  simulate,
} from "./replay_score.ts";
import type { TraceInterruption, TracePoint } from "./trace_csv.ts";
import type { RiskOptions } from "./risk.ts";

/** Options of compareAll. */
export interface CompareOptions {
  policy?: Partial<DecisionPolicy>;
  config?: Partial<AgentConfig>;
  instanceType?: string;
  interruptAboveOnDemand?: boolean;
  downtimeWeightPerHour?: number;
  /** Tunables of the engine's pool risk score (core/risk.ts). */
  risk?: Partial<RiskOptions>;
  /** Leave the engine out (baselines and optimum only). */
  skipEngine?: boolean;
}

/** The comparison table. */
export interface Comparison {
  instance_type: string;
  hours: number;
  steps: number;
  policies: PolicyScore[];
}

/** Scores every policy on the trace; `policies` lists engine, baselines, then "optimum". */
export function compareAll(
  points: readonly TracePoint[],
  interruptions: readonly TraceInterruption[],
  opts: CompareOptions = {},
): Comparison {
  const grid = toGrid(points, interruptions, opts);
  const policy = resolveDecisionPolicy(opts.policy ?? {});
  const config: AgentConfig = { ...DEFAULT_AGENT_CONFIG, autoSwitchEnabled: true, ...opts.config };
  const costs = scoreCosts(policy, config, opts.downtimeWeightPerHour);
  const start = cheapestPool(grid, 0);
  const out: PolicyScore[] = [];
  if (!opts.skipEngine) {
    const plan = enginePlan(grid, points[0], opts, start);
    out.push(simulate("engine", grid, (v) => plan[v.i], costs, start, { enforceLimits: false }));
  }
  for (const b of baselines(grid)) out.push(simulate(b.name, grid, b.choose, costs, b.start));
  const opt = optimumPlan(grid, costs);
  const best = simulate("optimum", grid, (v) => opt.plan[v.i], costs, opt.plan[0]);
  out.push(best);
  const bestSaving = best.ondemand_cost - best.total_cost;
  for (const s of out) {
    s.pct_of_optimum = bestSaving > 0
      ? round(((s.ondemand_cost - s.total_cost) / bestSaving) * 100, 1)
      : null;
  }
  const hours = (grid.times[grid.times.length - 1] - grid.times[0]) / 3_600_000;
  return {
    instance_type: grid.instanceType,
    hours: round(hours, 2),
    steps: grid.times.length,
    policies: out,
  };
}

// The engine's placement per grid step, from its replay on the re-sent grid.
function enginePlan(
  grid: MarketGrid,
  like: TracePoint,
  opts: CompareOptions,
  start: number,
): number[] {
  const events = [...grid.events];
  if (opts.interruptAboveOnDemand) events.push(...aboveOnDemandStarts(grid));
  const r = replay(gridPoints(grid, like), {
    policy: opts.policy,
    config: opts.config,
    interruptions: events,
    startMode: start === OD ? "ondemand" : "spot",
    startPool: start === OD ? null : grid.pools[start],
    downtimeWeightPerHour: opts.downtimeWeightPerHour,
    risk: opts.risk,
  });
  const index = new Map(grid.pools.map((p, i) => [p, i]));
  const plan: number[] = [];
  let at = start;
  let d = 0;
  // A relaunch after an interruption takes effect after the interrupted step starts (the scorer
  // interrupts the placement of that step itself); the engine's own moves at the step's time.
  const effective = (x: { time: string; action: string }) =>
    Date.parse(x.time) + (x.action === "interrupted" ? 1 : 0);
  for (const t of grid.times) {
    for (; d < r.decisions.length && effective(r.decisions[d]) <= t; d++) {
      const target = r.decisions[d].target;
      at = target === "ondemand" ? OD : index.get(target) ?? OD;
    }
    plan.push(at);
  }
  return plan;
}

// The first step of each run of steps where a pool is priced above on-demand.
function aboveOnDemandStarts(grid: MarketGrid): TraceInterruption[] {
  const out: TraceInterruption[] = [];
  for (let p = 0; p < grid.pools.length; p++) {
    let above = false;
    for (let i = 0; i < grid.times.length; i++) {
      const now = grid.prices[p][i] > grid.onDemand[i];
      if (now && !above) out.push({ at: new Date(grid.times[i]), poolId: grid.pools[p] });
      above = now;
    }
  }
  return out;
}
