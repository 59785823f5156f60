/** Pure display helpers of the dashboard routes: elapsed times, day bounds, decision labels. */
import { round } from "../../core/round.ts";

/** How long ago `at` was, in the largest sensible unit. */
export function elapsedSince(
  at: Date,
  now: Date,
): { value: number; unit: "minutes" | "hours" | "days"; minutes: number; formatted: string } {
  const minutes = Math.max(0, Math.floor((now.getTime() - at.getTime()) / 60_000));
  let value = minutes;
  let unit: "minutes" | "hours" | "days" = "minutes";
  if (minutes >= 48 * 60) {
    value = Math.floor(minutes / 1440);
    unit = "days";
  } else if (minutes >= 120) {
    value = Math.floor(minutes / 60);
    unit = "hours";
  }
  const label = value === 1 ? unit.slice(0, -1) : unit;
  return { value, unit, minutes, formatted: `${value} ${label}` };
}

/** Relative text like the predecessor's `lastHeartbeat` ("3 min ago", "never"). */
export function relativeText(at: string | null, now: Date): string {
  if (!at) return "never";
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(at)) / 1000));
  if (seconds < 60) return `${seconds} sec ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} days ago`;
}

/** Midnight UTC of the day `now` falls in. */
export function utcDayStart(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000);
}

/** `YYYY-MM-DD` of a date (UTC). */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * The admin dashboard's decision label from the engine's decision type or action:
 * switch_to_spot / switch_pool → switch_spot, switch_to_ondemand → switch_ondemand, else stay.
 */
export function dashboardDecisionType(
  decisionType: string | null,
  action: string | null,
): "stay" | "switch_spot" | "switch_ondemand" {
  for (const v of [action, decisionType]) {
    if (!v) continue;
    const s = v.toLowerCase();
    if (s.includes("ondemand") || s.includes("on_demand")) {
      return s.startsWith("stay") ? "stay" : "switch_ondemand";
    }
    if (s === "switch_to_spot" || s === "switch_pool" || s === "switch_spot") return "switch_spot";
    if (s.startsWith("stay")) return "stay";
  }
  return "stay";
}

/** English month names for the savings charts. */
export const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

/** Rounds money to 4 decimals (DECIMAL(15,4)). */
export function money(v: number): number {
  return round(v, 4);
}

/** Groups items by a key (order within each group kept). */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
