/**
 * Replay: feeds a recorded price trace through decide() for one simulated instance, to judge a change
 * to the engine by its cost, moves and flaps. Pure and deterministic: no clock, no I/O.
 *
 * Simulation rules:
 * - decide() runs at every distinct trace time, with every pool's latest quote and the latest
 *   on-demand price; pool risk is core/risk.ts's scorePool over the pool's last 24 h of trace prices
 *   and the trace's interruptions (as termination notices), as the pool risk job would compute it.
 *   A pool observed for less than riskWarmupHours (1) has no score yet: one price point says nothing
 *   about volatility, and decide() never targets a pool of unknown risk.
 * - A move the decision would auto-execute takes effect at once and is recorded as a switch with the
 *   policy's defaultDowntimeSeconds; its overlap (the old instance billed overlapSeconds at its old
 *   price) is added to the cost, as the savings ledger counts it.
 * - Interruptions are seen after the decision of their own trace time (an event at exactly t is
 *   news to the decision at the next time: nobody dodges an interruption by knowing it in advance).
 *   An interruption in the pool the instance is in reclaims it: it relaunches at once in the pool
 *   the server names for an emergency replica (core/pool_choice.ts choosePool, maxRisk 0.70), else
 *   on-demand. A forced move is not a move: not counted in `moves`, no switch allowance used, and
 *   an exit to on-demand starts no dwell time. (Agent v4.0.0 launches its replica in its own AZ;
 *   the engine's next decision then moves it.) Interruptions after the last trace time are outside
 *   the simulated span and ignored.
 * - Cost integrates the price in force (latest observation) over each segment between event times;
 *   the baseline integrates the on-demand price over the same span.
 * - A flap is an engine move that reverses the engine's previous spot↔on-demand change less than
 *   6 h after it: the policy undoing its own choice. A forced exit neither counts nor starts the
 *   window, so returning to spot after an interruption is not a flap.
 * - The start state has no known start time, so the first move needs no dwell.
 * @module
 */
import type { AgentConfig, DecisionPolicy } from "./decision_policy.ts";
import { DEFAULT_AGENT_CONFIG, resolveDecisionPolicy } from "./decision_policy.ts";
import { decide, type DecisionAction, type PoolQuote, type ReasonCode } from "./decisions.ts";
import { type PoolEvent, type PriceSnapshot, type RiskOptions, scorePool } from "./risk.ts";
import { choosePool } from "./pool_choice.ts";
import { round } from "./decision_economics.ts";
import type { InstanceMode, SwitchRecord } from "./switch_limits.ts";
import type { TraceInterruption, TracePoint } from "./trace_csv.ts";

export { parseTraceCsv, TraceParseError } from "./trace_csv.ts";
export type { ParsedTrace, TraceInterruption, TracePoint } from "./trace_csv.ts";

/** How to run a replay; everything is optional. */
export interface ReplayOptions {
  policy?: Partial<DecisionPolicy>;
  /** Agent config; defaults to the schema defaults with auto switching on. */
  config?: Partial<AgentConfig>;
  /** Where the instance starts: on-demand (default) or spot in startPool. */
  startMode?: InstanceMode;
  startPool?: string | null;
  interruptions?: readonly TraceInterruption[];
  /** Tunables of the pool risk score (core/risk.ts). */
  risk?: Partial<RiskOptions>;
  /** The client's $ per hour of downtime; defaults to the policy's. */
  downtimeWeightPerHour?: number;
  /** A pool observed for less than this many hours has no risk score yet (unknown). Default 1. */
  riskWarmupHours?: number;
}

/** One move (or forced interruption exit) of the simulated instance. */
export interface ReplayDecision {
  time: string;
  action: Exclude<DecisionAction, "stay"> | "interrupted";
  /** A pool id or "ondemand". */
  target: string;
  reason_code: ReasonCode | "interrupted";
}

/** The replay's numbers; snake_case because this is what `--json` prints. */
export interface ReplayResult {
  /** (ondemand_cost − total_cost) / ondemand_cost × 100, 2 decimals. */
  savings_pct: number;
  /** Moves made by the engine (interruptions excluded). */
  moves: number;
  flaps: number;
  /** Interruptions that hit the simulated instance. */
  interruptions: number;
  /** Hours per pool id, plus "ondemand", 2 decimals. */
  hours_by_pool: Record<string, number>;
  decisions: ReplayDecision[];
  /** $ of the simulated instance, overlap included (4 decimals). */
  total_cost: number;
  /** $ of the overlaps of the engine's moves (part of total_cost). */
  overlap_cost: number;
  /** $ of running on-demand the whole span. */
  ondemand_cost: number;
  hours: number;
  evaluations: number;
  /** How often each stay reason was given. */
  stays_by_reason: Record<string, number>;
}

const HOUR_MS = 3_600_000;
const FLAP_WINDOW_MS = 6 * HOUR_MS;
const RISK_WINDOW_MS = 24 * HOUR_MS;
const ONDEMAND = "ondemand";

/** Replays a trace for one simulated instance through decide(). */
export function replay(trace: readonly TracePoint[], opts: ReplayOptions = {}): ReplayResult {
  if (trace.length === 0) throw new Error("replay: the trace has no price points");
  const policy = resolveDecisionPolicy(opts.policy ?? {});
  const config: AgentConfig = { ...DEFAULT_AGENT_CONFIG, autoSwitchEnabled: true, ...opts.config };
  const points = [...trace].sort((a, b) => a.time.getTime() - b.time.getTime());
  const times = [...new Set(points.map((p) => p.time.getTime()))];
  const events = [...(opts.interruptions ?? [])].sort((a, b) => a.at.getTime() - b.at.getTime());
  const first = points[0];
  const warmupMs = (opts.riskWarmupHours ?? 1) * HOUR_MS;
  const startPool = opts.startMode === "spot" ? opts.startPool ?? null : null;
  if (opts.startMode === "spot") {
    const seen = points.some((p) => p.time.getTime() === times[0] && p.poolId === startPool);
    if (!seen) {
      throw new Error(`replay: startPool '${startPool}' has no price at the first trace time`);
    }
  }
  const type = startPool ? startPool.slice(0, startPool.lastIndexOf(".")) : first.instanceType;

  const st = {
    mode: (startPool ? "spot" : "ondemand") as InstanceMode,
    pool: startPool,
    since: null as Date | null,
    switches: [] as SwitchRecord[],
    // The engine's last chosen spot↔on-demand change: when, and to which mode.
    lastModeChange: null as { at: number; to: InstanceMode } | null,
  };
  const quotes = new Map<string, TracePoint>();
  const history = new Map<string, PriceSnapshot[]>();
  const notices = new Map<string, PoolEvent[]>();
  let od: { price: number; at: Date } | null = null;
  const hoursBy: Record<string, number> = {};
  const out: ReplayResult = {
    savings_pct: 0,
    moves: 0,
    flaps: 0,
    interruptions: 0,
    hours_by_pool: {},
    decisions: [],
    total_cost: 0,
    overlap_cost: 0,
    ondemand_cost: 0,
    hours: 0,
    evaluations: 0,
    stays_by_reason: {},
  };
  let clock = times[0];
  let row = 0;
  let ev = 0;

  const advance = (to: number): void => {
    if (to <= clock) return;
    const hours = (to - clock) / HOUR_MS;
    const key = st.mode === "spot" && st.pool ? st.pool : ONDEMAND;
    const price = key === ONDEMAND ? od?.price ?? 0 : quotes.get(key)?.spotPrice ?? 0;
    out.total_cost += price * hours;
    out.ondemand_cost += (od?.price ?? 0) * hours;
    hoursBy[key] = (hoursBy[key] ?? 0) + hours;
    clock = to;
  };
  const move = (
    at: number,
    to: { mode: InstanceMode; pool: string | null; downtime: number; forced: boolean },
  ) => {
    if (to.mode !== st.mode && !to.forced) {
      const last = st.lastModeChange;
      if (last !== null && last.to !== to.mode && at - last.at < FLAP_WINDOW_MS) out.flaps++;
      st.lastModeChange = { at, to: to.mode };
    }
    if (!to.forced) {
      st.switches.push({
        at: new Date(at),
        fromMode: st.mode,
        toMode: to.mode,
        fromPool: st.pool,
        toPool: to.pool,
        downtimeSeconds: to.downtime,
      });
    }
    st.mode = to.mode;
    st.pool = to.pool;
    st.since = to.forced && to.mode === "ondemand" ? null : new Date(at);
  };
  // The emergency replica's pool after an interruption in `failing` at `at`, or null (on-demand).
  const relaunchPool = (failing: string, at: number): string | null => {
    const failingType = quotes.get(failing)?.instanceType ?? type;
    const candidates = [...quotes.values()]
      .filter((q) => q.instanceType === failingType)
      .map((q) => ({
        poolId: q.poolId,
        az: q.az,
        price: q.spotPrice,
        riskScore: riskOf(q.poolId, at),
      }));
    const recentNotices = [...notices].flatMap(([poolId, list]) =>
      list.map((n) => ({ poolId, at: n.at }))
    );
    // The defaults, as production's (maxRisk = POOL_RISK_HIGH_THRESHOLD's default 0.70).
    const choice = choosePool({
      failingPoolId: failing,
      candidates,
      notices: recentNotices,
      now: new Date(at),
    });
    return choice.chosen?.poolId ?? null;
  };
  // Pool risk as the pool risk job would score it at `t` (null while the pool warms up).
  const riskOf = (poolId: string, t: number): number | null => {
    const h = history.get(poolId) ?? [];
    if (!(h.length > 0 && t - h[0].at.getTime() >= warmupMs)) return null;
    const q = quotes.get(poolId);
    const siblingEvents: PoolEvent[] = [];
    for (const [id, list] of notices) {
      if (id !== poolId && quotes.get(id)?.instanceType === q?.instanceType) {
        siblingEvents.push(...list);
      }
    }
    return scorePool({
      prices: recent(h, t),
      events: notices.get(poolId) ?? [],
      siblingEvents,
      now: new Date(t),
      onDemandPrice: od?.price ?? null,
    }, opts.risk).riskScore;
  };

  for (const t of times) {
    for (; ev < events.length && events[ev].at.getTime() < t; ev++) {
      const e = events[ev];
      if (e.at.getTime() < times[0]) continue;
      advance(e.at.getTime());
      const list = notices.get(e.poolId) ?? [];
      list.push({ at: e.at, kind: "termination_notice" });
      notices.set(e.poolId, list);
      if (st.mode === "spot" && st.pool === e.poolId) {
        out.interruptions++;
        const at = e.at.getTime();
        const target = relaunchPool(e.poolId, at);
        move(at, {
          mode: target === null ? "ondemand" : "spot",
          pool: target,
          downtime: policy.interruptionDowntimeSeconds,
          forced: true,
        });
        out.decisions.push({
          time: e.at.toISOString(),
          action: "interrupted",
          target: target ?? ONDEMAND,
          reason_code: "interrupted",
        });
      }
    }
    advance(t);
    for (; row < points.length && points[row].time.getTime() === t; row++) {
      const p = points[row];
      quotes.set(p.poolId, p);
      const h = history.get(p.poolId) ?? [];
      h.push({ at: p.time, price: p.spotPrice });
      history.set(p.poolId, h);
      if (p.instanceType === type) od = { price: p.onDemandPrice, at: p.time };
    }
    const now = new Date(t);
    const pools: PoolQuote[] = [...quotes.values()].map((q) => {
      const risk = riskOf(q.poolId, t);
      return {
        poolId: q.poolId,
        instanceType: q.instanceType,
        az: q.az,
        price: q.spotPrice,
        at: q.time,
        risk,
      };
    });
    const cur = st.pool ? quotes.get(st.pool) : undefined;
    const d = decide({
      instance: {
        mode: st.mode,
        poolId: st.pool,
        instanceType: type,
        region: cur?.region ?? first.region,
        az: cur?.az ?? first.az,
        poolSince: st.since,
      },
      onDemand: od,
      pools,
      config,
      recentSwitches: st.switches.filter((s) => t - s.at.getTime() < 7 * 24 * HOUR_MS),
      downtimeWeightPerHour: opts.downtimeWeightPerHour ?? null,
      now,
    }, policy);
    out.evaluations++;
    if (d.action === "stay" || !d.autoExecute || d.targetMode === null) {
      out.stays_by_reason[d.reasonCode] = (out.stays_by_reason[d.reasonCode] ?? 0) + 1;
      continue;
    }
    const oldPrice = st.mode === "spot" && cur ? cur.spotPrice : od?.price ?? 0;
    out.overlap_cost += oldPrice * policy.overlapSeconds / 3600;
    out.moves++;
    const downtime = policy.defaultDowntimeSeconds;
    move(t, { mode: d.targetMode, pool: d.targetPoolId, downtime, forced: false });
    out.decisions.push({
      time: now.toISOString(),
      action: d.action,
      target: d.targetPoolId ?? ONDEMAND,
      reason_code: d.reasonCode,
    });
  }

  out.total_cost += out.overlap_cost;
  out.hours = round((clock - times[0]) / HOUR_MS, 2);
  out.savings_pct = out.ondemand_cost > 0
    ? round(((out.ondemand_cost - out.total_cost) / out.ondemand_cost) * 100, 2)
    : 0;
  out.total_cost = round(out.total_cost, 4);
  out.overlap_cost = round(out.overlap_cost, 4);
  out.ondemand_cost = round(out.ondemand_cost, 4);
  for (const k of Object.keys(hoursBy).sort()) out.hours_by_pool[k] = round(hoursBy[k], 2);
  return out;
}

// Only the last 24 h matter to the risk score; the history is in time order.
function recent(history: PriceSnapshot[], t: number): PriceSnapshot[] {
  let i = history.length;
  while (i > 0 && t - history[i - 1].at.getTime() <= RISK_WINDOW_MS) i--;
  return history.slice(i);
}
