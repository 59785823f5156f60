/**
 * The daily savings ledger: one client, one UTC day, integrated exactly from the time each instance
 * spent in each mode and pool and the prices in force at that time. Pure: the caller passes the rows.
 *
 * ## Rules
 * - Each segment is clipped to [day 00:00Z, next day 00:00Z); empty or inverted segments add nothing.
 * - A segment is split at every price change of its spot pool and of its on-demand series that falls
 *   inside it; each piece costs `milliseconds × $/hour / 3 600 000`. Sums are kept unrounded and
 *   rounded once at the end (hours to 2 decimals, money to 4 — DECIMAL(15,4)), half away from zero.
 * - Price in force at t: the latest point at or before t; when the series starts after t, its earliest
 *   point (the first known price is the best estimate of the one before). Two points at the same
 *   instant: the higher price wins, so the result never depends on the input order.
 * - Spot time in a pool with no price at all (or with no pool id) is priced at on-demand: it costs
 *   what the baseline costs, so it never invents a saving.
 * - Time of a (region, type) with no on-demand price at all is unpriced: it adds 0 to cost and baseline
 *   (a cost without its baseline would invent a loss) and is reported in `unpricedHours`. Its hours still
 *   count in spot/ondemand/overlap hours.
 * - Primary segments (overlap = false) cost their spot or on-demand price and have the on-demand price
 *   as baseline. Overlap segments (the old instance still running after its replacement took over) are
 *   pure cost with no baseline. Replicas are not segments: their cost arrives as `replicaCost` (from
 *   replica_cost_log), so it is never counted twice.
 * - gross = wouldBe − primary cost; net (dailySavings) = gross − overlap cost − replica cost;
 *   totalCost = primary + overlap + replica cost. averageSavingsPercent = net / wouldBe × 100 (0 when
 *   wouldBe is 0), clamped to ±999.99 to fit DECIMAL(5,2).
 * - totalSavings = previousTotalSavings + the rounded dailySavings, so the cumulative column always
 *   equals the sum of the stored daily rows.
 * @module
 */
import { round } from "./round.ts";

/** A price in $/hour that took effect at `at`. */
export interface PricePoint {
  at: Date;
  price: number;
}

/** A stretch of time one instance spent in one mode and pool. */
export interface Segment {
  instanceId: string;
  mode: "spot" | "ondemand";
  /** `<instance_type>.<az>`; null for on-demand (or unknown: then spot time is priced at on-demand). */
  poolId: string | null;
  instanceType: string;
  region: string;
  start: Date;
  end: Date;
  /** True for an old instance still running after its replacement took over: pure cost, no baseline. */
  overlap: boolean;
}

/** Everything one client's ledger row for one UTC day is computed from. */
export interface LedgerInput {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  segments: Segment[];
  /** Spot price series by pool id, any order. */
  spotPrices: Record<string, PricePoint[]>;
  /** On-demand price series by `onDemandKey(region, instanceType)`, any order. */
  onDemandPrices: Record<string, PricePoint[]>;
  /** $ spent on replicas that day (replica_cost_log). */
  replicaCost: number;
  switchCount: number;
  /** Cumulative net savings up to the previous day. */
  previousTotalSavings: number;
}

/** One savings_snapshots row (plus overlap/unpriced detail), already rounded for its columns. */
export interface LedgerRow {
  snapshotDate: string;
  spotHours: number;
  ondemandHours: number;
  overlapHours: number;
  unpricedHours: number;
  /** What was paid: primary segments + overlap segments + replicas. */
  totalCost: number;
  /** The primary hours at on-demand price. */
  wouldBeCost: number;
  /** wouldBeCost − cost of the primary segments. */
  grossSavings: number;
  overlapCost: number;
  replicaCost: number;
  /** Net: gross − overlap − replica cost. */
  dailySavings: number;
  averageSavingsPercent: number;
  switchCount: number;
  /** previousTotalSavings + dailySavings. */
  totalSavings: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The key of `LedgerInput.onDemandPrices` for a region and instance type. */
export function onDemandKey(region: string, instanceType: string): string {
  return `${region}|${instanceType}`;
}

/** The half-open UTC interval [start, end) of a `YYYY-MM-DD` day; throws RangeError when invalid. */
export function utcDayBounds(day: string): { start: Date; end: Date } {
  const start = parseDay(day);
  return { start: new Date(start), end: new Date(start + DAY_MS) };
}

/** Every UTC day from `fromDay` to `toDay`, both included (empty when from is after to). */
export function daysBetween(fromDay: string, toDay: string): string[] {
  const days: string[] = [];
  for (let t = parseDay(fromDay), last = parseDay(toDay); t <= last; t += DAY_MS) {
    days.push(formatDay(t));
  }
  return days;
}

/** The UTC day before the one `now` falls in: the day a nightly run settles. */
export function previousUtcDay(now: Date): string {
  const t = now.getTime();
  if (!Number.isFinite(t)) throw new RangeError("previousUtcDay: invalid date");
  return formatDay(Math.floor(t / DAY_MS) * DAY_MS - DAY_MS);
}

/** Computes one client's ledger row for one UTC day. */
export function computeDailyLedger(input: LedgerInput): LedgerRow {
  const dayStart = parseDay(input.day);
  const dayEnd = dayStart + DAY_MS;
  const spot = new SeriesCache(input.spotPrices);
  const onDemand = new SeriesCache(input.onDemandPrices);

  // Accumulated in milliseconds and $·ms/h; converted and rounded once at the end.
  let spotMs = 0, ondemandMs = 0, overlapMs = 0, unpricedMs = 0;
  let primaryCost = 0, wouldBe = 0, overlapCost = 0;

  for (const seg of input.segments) {
    const start = Math.max(seg.start.getTime(), dayStart);
    const end = Math.min(seg.end.getTime(), dayEnd);
    if (!(end > start)) continue; // zero-length, inverted, outside the day or invalid dates
    const ms = end - start;
    if (seg.overlap) overlapMs += ms;
    else if (seg.mode === "spot") spotMs += ms;
    else ondemandMs += ms;

    const od = onDemand.get(onDemandKey(seg.region, seg.instanceType));
    if (od.length === 0) {
      unpricedMs += ms;
      continue;
    }
    const sp = seg.mode === "spot" && seg.poolId !== null ? spot.get(seg.poolId) : [];
    const cuts = [start, end];
    for (const p of [...sp, ...od]) {
      const t = p.at.getTime();
      if (t > start && t < end) cuts.push(t);
    }
    cuts.sort((a, b) => a - b);
    for (let i = 1; i < cuts.length; i++) {
      const from = cuts[i - 1];
      const pieceMs = cuts[i] - from;
      if (pieceMs === 0) continue; // two price changes at the same instant
      const baseline = priceAt(od, from);
      const paid = sp.length > 0 ? priceAt(sp, from) : baseline;
      if (seg.overlap) overlapCost += pieceMs * paid;
      else {
        primaryCost += pieceMs * paid;
        wouldBe += pieceMs * baseline;
      }
    }
  }

  primaryCost /= HOUR_MS;
  wouldBe /= HOUR_MS;
  overlapCost /= HOUR_MS;
  const gross = wouldBe - primaryCost;
  const net = gross - overlapCost - input.replicaCost;
  const percent = wouldBe > 0 ? Math.max(-999.99, Math.min(999.99, (net / wouldBe) * 100)) : 0;
  const dailySavings = round(net, 4);
  return {
    snapshotDate: formatDay(dayStart),
    spotHours: round(spotMs / HOUR_MS, 2),
    ondemandHours: round(ondemandMs / HOUR_MS, 2),
    overlapHours: round(overlapMs / HOUR_MS, 2),
    unpricedHours: round(unpricedMs / HOUR_MS, 2),
    totalCost: round(primaryCost + overlapCost + input.replicaCost, 4),
    wouldBeCost: round(wouldBe, 4),
    grossSavings: round(gross, 4),
    overlapCost: round(overlapCost, 4),
    replicaCost: round(input.replicaCost, 4),
    dailySavings,
    averageSavingsPercent: round(percent, 2),
    switchCount: input.switchCount,
    totalSavings: round(input.previousTotalSavings + dailySavings, 4),
  };
}

/** Sorts each series once, on first use, and drops points that cannot be priced. */
class SeriesCache {
  #sorted = new Map<string, PricePoint[]>();
  constructor(private readonly source: Record<string, PricePoint[]>) {}

  get(key: string): PricePoint[] {
    let series = this.#sorted.get(key);
    if (!series) {
      const raw = Object.hasOwn(this.source, key) ? this.source[key] : [];
      series = raw
        .filter((p) => Number.isFinite(p.price) && Number.isFinite(p.at.getTime()))
        .sort((a, b) => a.at.getTime() - b.at.getTime() || a.price - b.price);
      this.#sorted.set(key, series);
    }
    return series;
  }
}

// The latest point at or before t (the last of equal instants, i.e. the highest price), else the
// earliest point. `series` is sorted and not empty.
function priceAt(series: PricePoint[], t: number): number {
  let lo = 0, hi = series.length; // first index with at > t
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (series[mid].at.getTime() <= t) lo = mid + 1;
    else hi = mid;
  }
  return series[Math.max(0, lo - 1)].price;
}

function parseDay(day: string): number {
  const m = DAY_RE.exec(day);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  // Date.UTC rolls 2024-02-30 over to March: reject any day that does not round-trip.
  if (!Number.isFinite(t) || formatDay(t) !== day) {
    throw new RangeError(`invalid UTC day "${day}" (expected YYYY-MM-DD)`);
  }
  return t;
}

function formatDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}
