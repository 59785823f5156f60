/**
 * Scores a placement policy on a market grid with one cost model, shared by the engine, the baselines
 * and the hindsight optimum. Pure.
 *
 * Cost model (the defaults are the policy's, core/decision_policy.ts):
 * - running: the placement's price × the step's length (the last grid time closes the span);
 * - a chosen move: the old instance billed `overlapSeconds` at its price + `defaultDowntimeSeconds`
 *   at the client's downtime weight ($/h);
 * - an interruption: `interruptionDowntimeSeconds` at the downtime weight + `interruptionRelaunchCost`
 *   (900 s × $1/h + $0.10 = $0.35 by default); the instance then runs on-demand until a policy
 *   moves it. An interruption is forced, so it is not a move and uses no switch allowance.
 * - switch limits: at most maxSwitchesPerDay chosen moves per trace day and maxSwitchesPerWeek per
 *   trace week (calendar buckets from the trace start, so the optimum stays an exact dynamic
 *   programme; the engine enforces rolling windows, which are not looser than these on average).
 * - a flap: a chosen spot↔on-demand change that reverses the policy's previous chosen change less
 *   than 6 h after it (the policy undoing its own choice; a forced exit, and a relaunch in the step
 *   right after it, neither count nor start the window), as in core/replay.ts.
 * @module
 */
import type { AgentConfig, DecisionPolicy } from "./decision_policy.ts";
import { round } from "./decision_economics.ts";
import type { MarketGrid } from "./replay_grid.ts";

/** On-demand, as a placement; a pool is its index in grid.pools. */
export const OD = -1;
const HOUR_MS = 3_600_000;
const FLAP_WINDOW_MS = 6 * HOUR_MS;

/** The $ constants of the cost model. */
export interface ScoreCosts {
  /** $ of one interruption. */
  interruptionLoss: number;
  /** $ of one move's downtime (the overlap is added at the old price). */
  moveDowntimeCost: number;
  /** Hours of overlap billed at the old placement's price on a move. */
  overlapHours: number;
  maxPerDay: number;
  maxPerWeek: number;
}

/** The cost model of a policy, config and client downtime weight. */
export function scoreCosts(
  policy: DecisionPolicy,
  config: AgentConfig,
  weightPerHour?: number | null,
): ScoreCosts {
  const weight = weightPerHour ?? policy.downtimeWeightPerHour;
  return {
    interruptionLoss: (policy.interruptionDowntimeSeconds / 3600) * weight +
      policy.interruptionRelaunchCost,
    moveDowntimeCost: (policy.defaultDowntimeSeconds / 3600) * weight,
    overlapHours: policy.overlapSeconds / 3600,
    maxPerDay: config.maxSwitchesPerDay,
    maxPerWeek: config.maxSwitchesPerWeek,
  };
}

/** What a policy sees at one grid step. */
export interface StepView {
  grid: MarketGrid;
  i: number;
  /** The current placement (OD after an interruption). */
  at: number;
  /** The pool that interrupted the instance at the end of the previous step, else null. */
  interruptedFrom: number | null;
  /** True when the switch limits allow one more chosen move now. */
  canMove: boolean;
}

/** A policy: the placement to be in during step i (the current one to stay). */
export type Chooser = (v: StepView) => number;

/** One policy's numbers; snake_case as printed by `--json`. */
export interface PolicyScore {
  policy: string;
  savings_pct: number;
  moves: number;
  flaps: number;
  interruptions: number;
  hours_ondemand: number;
  /** $ of the whole span: running + moves + interruptions (4 decimals). */
  total_cost: number;
  interruption_cost: number;
  ondemand_cost: number;
  /** optimum cost's savings / this policy's savings × 100, filled by the comparison. */
  pct_of_optimum: number | null;
  /** The placement chosen for each step (not printed). */
  plan?: number[];
}

/** The price of a placement at step i (NaN for an unquoted pool). */
export function priceAt(grid: MarketGrid, at: number, i: number): number {
  return at === OD ? grid.onDemand[i] : grid.prices[at][i];
}

/** Length of step i in hours (0 for the last grid time). */
export function stepHours(grid: MarketGrid, i: number): number {
  return i + 1 < grid.times.length ? (grid.times[i + 1] - grid.times[i]) / HOUR_MS : 0;
}

/** Day and week bucket of step i, counted from the trace start. */
export function buckets(grid: MarketGrid, i: number): { day: number; week: number } {
  const h = (grid.times[i] - grid.times[0]) / HOUR_MS;
  return { day: Math.floor(h / 24), week: Math.floor(h / 168) };
}

/** Runs a policy from `start` over the grid and scores it. */
export function simulate(
  name: string,
  grid: MarketGrid,
  choose: Chooser,
  costs: ScoreCosts,
  start: number = OD,
  opts: { enforceLimits?: boolean } = {},
): PolicyScore {
  const enforce = opts.enforceLimits ?? true;
  let at = start;
  let interruptedFrom: number | null = null;
  let lastModeChange: { at: number; toOd: boolean } | null = null;
  let day = { key: -1, n: 0 };
  let week = { key: -1, n: 0 };
  const s = { moves: 0, flaps: 0, interruptions: 0, odHours: 0, cost: 0, intCost: 0, od: 0 };
  const plan: number[] = [];
  for (let i = 0; i < grid.times.length; i++) {
    const b = buckets(grid, i);
    if (b.day !== day.key) day = { key: b.day, n: 0 };
    if (b.week !== week.key) week = { key: b.week, n: 0 };
    const canMove = !enforce || (day.n < costs.maxPerDay && week.n < costs.maxPerWeek);
    let to = choose({ grid, i, at, interruptedFrom, canMove });
    if (to !== at && (!canMove || Number.isNaN(priceAt(grid, to, i)))) to = at;
    const t = grid.times[i];
    if (to !== at) {
      s.cost += costs.overlapHours * priceAt(grid, at, i) + costs.moveDowntimeCost;
      s.moves++;
      day.n++;
      week.n++;
      // A relaunch in the step right after an interruption completes the forced exit.
      if ((to === OD) !== (at === OD) && interruptedFrom === null) {
        const last = lastModeChange;
        if (last !== null && last.toOd !== (to === OD) && t - last.at < FLAP_WINDOW_MS) s.flaps++;
        lastModeChange = { at: t, toOd: to === OD };
      }
      at = to;
    }
    plan.push(at);
    const h = stepHours(grid, i);
    s.cost += priceAt(grid, at, i) * h;
    s.od += grid.onDemand[i] * h;
    if (at === OD) s.odHours += h;
    interruptedFrom = null;
    if (at !== OD && grid.interrupts[i].has(at)) {
      s.interruptions++;
      s.intCost += costs.interruptionLoss;
      interruptedFrom = at;
      at = OD;
    }
  }
  const total = s.cost + s.intCost;
  return {
    policy: name,
    savings_pct: s.od > 0 ? round(((s.od - total) / s.od) * 100, 2) : 0,
    moves: s.moves,
    flaps: s.flaps,
    interruptions: s.interruptions,
    hours_ondemand: round(s.odHours, 2),
    total_cost: round(total, 4),
    interruption_cost: round(s.intCost, 4),
    ondemand_cost: round(s.od, 4),
    pct_of_optimum: null,
    plan,
  };
}

/** The cheapest quoted pool at step i, excluding `except`; OD when none is quoted. */
export function cheapestPool(grid: MarketGrid, i: number, except: number | null = null): number {
  let best = OD;
  for (let p = 0; p < grid.pools.length; p++) {
    const price = grid.prices[p][i];
    if (p === except || Number.isNaN(price)) continue;
    if (best === OD || price < grid.prices[best][i]) best = p;
  }
  return best;
}

/** The baselines, by name: each a Chooser plus its start placement. */
export function baselines(grid: MarketGrid): { name: string; start: number; choose: Chooser }[] {
  const first = cheapestPool(grid, 0);
  return [
    { name: "always on-demand", start: OD, choose: () => OD },
    // Cheapest pool at the start; never moves (after an interruption it stays on-demand).
    { name: "static", start: first, choose: (v) => v.at },
    {
      // The cheapest placement, on-demand included, at every change of the market.
      name: "greedy",
      start: first,
      choose: (v) => {
        const p = cheapestPool(v.grid, v.i);
        return p !== OD && v.grid.prices[p][v.i] < v.grid.onDemand[v.i] ? p : OD;
      },
    },
    {
      // Moves only when interrupted, to the cheapest other pool.
      name: "replace-on-interruption",
      start: first,
      choose: (v) =>
        v.interruptedFrom === null ? v.at : cheapestPool(v.grid, v.i, v.interruptedFrom),
    },
  ];
}
