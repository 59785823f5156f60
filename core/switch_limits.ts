/**
 * Damping bookkeeping of the decision engine: rolling day/week switch counts, the dwell time in the
 * current pool and the observed downtime of past switches. Pure: the caller passes `now`.
 * @module
 */

/** How an instance is billed. */
export type InstanceMode = "spot" | "ondemand";

/** One past move of the agent's instance (a `switches` row, planned or forced). */
export interface SwitchRecord {
  at: Date;
  fromMode: InstanceMode;
  toMode: InstanceMode;
  fromPool: string | null;
  toPool: string | null;
  /** Observed downtime of the move; null when the switch report did not carry it. */
  downtimeSeconds: number | null;
}

/** The rolling-window counts against the agent's limits. */
export interface LimitStatus {
  dayCount: number;
  weekCount: number;
  /** The limits in force, including any emergency allowance. */
  dayLimit: number;
  weekLimit: number;
  dayOk: boolean;
  weekOk: boolean;
}

const HOUR_MS = 3_600_000;

/** Counts switches after `now − hours`; a switch dated after `now` (clock skew) still counts. */
export function countSwitchesWithin(
  switches: readonly SwitchRecord[],
  now: Date,
  hours: number,
): number {
  const from = now.getTime() - hours * HOUR_MS;
  return switches.filter((s) => s.at.getTime() > from).length;
}

/** Whether one more move fits the rolling 24 h and 7 d limits, optionally with an allowance. */
export function checkSwitchLimits(
  switches: readonly SwitchRecord[],
  opts: { now: Date; maxPerDay: number; maxPerWeek: number; allowance?: number },
): LimitStatus {
  const extra = opts.allowance ?? 0;
  const dayCount = countSwitchesWithin(switches, opts.now, 24);
  const weekCount = countSwitchesWithin(switches, opts.now, 24 * 7);
  const dayLimit = opts.maxPerDay + extra;
  const weekLimit = opts.maxPerWeek + extra;
  return {
    dayCount,
    weekCount,
    dayLimit,
    weekLimit,
    dayOk: dayCount < dayLimit,
    weekOk: weekCount < weekLimit,
  };
}

/** Mean observed downtime of past switches, or the fallback when none reported one. */
export function meanDowntimeSeconds(
  switches: readonly SwitchRecord[],
  fallbackSeconds: number,
): { seconds: number; samples: number } {
  const observed = switches
    .map((s) => s.downtimeSeconds)
    .filter((d): d is number => d !== null && Number.isFinite(d) && d >= 0);
  if (observed.length === 0) return { seconds: fallbackSeconds, samples: 0 };
  return {
    seconds: observed.reduce((a, b) => a + b, 0) / observed.length,
    samples: observed.length,
  };
}

/**
 * Hours the instance has been in its current pool/mode: from `since`, else from the newest switch.
 * Null when neither is known: an instance never moved by us has no dwell to respect.
 */
export function dwellHours(
  since: Date | null,
  opts: { switches: readonly SwitchRecord[]; now: Date },
): number | null {
  let start = since?.getTime() ?? null;
  if (start === null) {
    for (const s of opts.switches) start = Math.max(start ?? -Infinity, s.at.getTime());
  }
  if (start === null) return null;
  return Math.max(0, opts.now.getTime() - start) / HOUR_MS;
}
