/**
 * The market of a replay as a grid: every pool's quote at every agent pricing interval. Pure.
 *
 * A change-only trace (a row only when a pool's price changes) is a step function: the agent re-sends
 * each pool's latest quote every pricing interval (300 s), so every grid time carries every pool seen
 * so far at its latest price and nothing goes stale between changes. A pool not yet quoted is NaN.
 * Interruptions are attached to the grid step whose interval [t_i, t_i+1) contains them; with
 * `interruptAboveOnDemand` (the bid-era rule) a pool priced above on-demand at a step also
 * interrupts a spot instance in it at that step.
 * @module
 */
import type { TraceInterruption, TracePoint } from "./trace_csv.ts";

/** The agent's pricing interval: quotes are re-sent this often (seconds). */
export const PRICING_INTERVAL_SECONDS = 300;

/** Options of toGrid. */
export interface GridOptions {
  /** The instance type to keep from a mixed trace; required when the trace has several. */
  instanceType?: string;
  intervalSeconds?: number;
  interruptAboveOnDemand?: boolean;
}

/** One instance type's market on a regular time grid. */
export interface MarketGrid {
  instanceType: string;
  /** Grid times (ms), ascending, `intervalSeconds` apart, from the first to the last trace time. */
  times: number[];
  /** Pool ids, sorted. */
  pools: string[];
  /** prices[p][i]: pool p's latest quote at times[i], NaN before its first quote. */
  prices: number[][];
  /** The latest on-demand price at each grid time. */
  onDemand: number[];
  /** interrupts[i]: indexes of pools whose spot instances are interrupted during step i. */
  interrupts: Set<number>[];
  /** The trace's own interruptions of this type (for the engine's risk evidence). */
  events: TraceInterruption[];
}

/** The distinct instance types of a trace, sorted. */
export function traceTypes(points: readonly TracePoint[]): string[] {
  return [...new Set(points.map((p) => p.instanceType))].sort();
}

/** Builds the grid of one instance type; throws when the type is ambiguous or absent. */
export function toGrid(
  points: readonly TracePoint[],
  interruptions: readonly TraceInterruption[],
  opts: GridOptions = {},
): MarketGrid {
  const types = traceTypes(points);
  const type = opts.instanceType ?? (types.length === 1 ? types[0] : undefined);
  if (type === undefined) {
    throw new Error(
      `the trace has instance types ${types.join(", ")}: pick one with --instance-type`,
    );
  }
  const rows = points.filter((p) => p.instanceType === type)
    .sort((a, b) => a.time.getTime() - b.time.getTime());
  if (rows.length === 0) throw new Error(`the trace has no price of instance type '${type}'`);
  const step = (opts.intervalSeconds ?? PRICING_INTERVAL_SECONDS) * 1000;
  const t0 = rows[0].time.getTime();
  const tEnd = rows[rows.length - 1].time.getTime();
  const times: number[] = [];
  for (let t = t0; t <= tEnd; t += step) times.push(t);
  if (times[times.length - 1] < tEnd) times.push(times[times.length - 1] + step);
  const pools = [...new Set(rows.map((r) => r.poolId))].sort();
  const index = new Map(pools.map((p, i) => [p, i]));
  const prices = pools.map(() => new Array<number>(times.length).fill(NaN));
  const onDemand = new Array<number>(times.length).fill(NaN);
  const latest = new Array<number>(pools.length).fill(NaN);
  let od = NaN;
  let r = 0;
  for (let i = 0; i < times.length; i++) {
    for (; r < rows.length && rows[r].time.getTime() <= times[i]; r++) {
      latest[index.get(rows[r].poolId)!] = rows[r].spotPrice;
      od = rows[r].onDemandPrice;
    }
    for (let p = 0; p < pools.length; p++) prices[p][i] = latest[p];
    onDemand[i] = od;
  }
  const interrupts = times.map(() => new Set<number>());
  const events = interruptions.filter((e) => index.has(e.poolId));
  for (const e of events) {
    const at = e.at.getTime();
    if (at < t0 || at >= times[times.length - 1]) continue; // outside the simulated span
    interrupts[Math.floor((at - t0) / step)].add(index.get(e.poolId)!);
  }
  if (opts.interruptAboveOnDemand) {
    for (let i = 0; i < times.length - 1; i++) {
      for (let p = 0; p < pools.length; p++) {
        if (prices[p][i] > onDemand[i]) interrupts[i].add(p);
      }
    }
  }
  return { instanceType: type, times, pools, prices, onDemand, interrupts, events };
}

/** The grid as trace points (every pool re-sent at every grid time), to feed the engine's replay. */
export function gridPoints(grid: MarketGrid, like: TracePoint): TracePoint[] {
  const out: TracePoint[] = [];
  for (let i = 0; i < grid.times.length; i++) {
    for (let p = 0; p < grid.pools.length; p++) {
      const price = grid.prices[p][i];
      if (Number.isNaN(price)) continue;
      const poolId = grid.pools[p];
      out.push({
        time: new Date(grid.times[i]),
        poolId,
        instanceType: grid.instanceType,
        az: poolId.slice(grid.instanceType.length + 1),
        region: like.region,
        spotPrice: price,
        onDemandPrice: grid.onDemand[i],
      });
    }
  }
  return out;
}
