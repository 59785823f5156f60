/**
 * A client's savings as the dashboards show them: the stored daily ledger plus the days the daily
 * job has not settled yet (yesterday before the job ran, and today so far), computed on the fly
 * with the same ledger code (db/savings.ts computeLedgerRow), so a new client sees real figures
 * rather than zeros. At most two live days are added: a longer gap means the job is down, which
 * system health reports.
 */
import type { Queryable } from "../../db/client.ts";
import { computeLedgerRow } from "../../db/savings.ts";
import type { LedgerRow } from "../../core/savings.ts";
import { clientsWithActivity, monthlySavings, storedSavings } from "../../db/dashboard_savings.ts";
import type { MonthSavings } from "../../db/dashboard_savings.ts";
import { money, MONTH_NAMES, utcDay, utcDayStart } from "./_display.ts";

const DAY = 86_400_000;

/** Totals and months of one client. */
export interface ClientSavings {
  totalSavings: number;
  monthlySavings: number;
  weeklySavings: number;
  averageSavingsPercent: number;
  todaySavings: number;
  lastSettledDay: string | null;
  liveDays: string[];
  months: (MonthSavings & { name: string })[];
}

/**
 * The days a client view computes on the fly: yesterday and today, those after the newest day the
 * daily job stored (`lastDay`, null when none).
 */
export function liveDaysAfter(lastDay: string | null, now: Date): string[] {
  return [utcDay(new Date(now.getTime() - DAY)), utcDay(now)].filter((d) =>
    lastDay === null || d > lastDay
  );
}

async function liveRows(
  db: Queryable,
  opts: { clientId: string; days: string[]; now: Date },
): Promise<LedgerRow[]> {
  const rows: LedgerRow[] = [];
  for (const day of opts.days) {
    rows.push(await computeLedgerRow(db, { clientId: opts.clientId, day, now: opts.now }));
  }
  return rows;
}

/**
 * The savings of the unsettled days (`liveDaysAfter`) of each client, all or the listed ones: what
 * the client view adds to the stored ledger, so admin totals equal the sum of the client views.
 * Only clients with segments or replica cost since yesterday are computed; absent ones add 0.
 */
export async function unsettledSavings(
  db: Queryable,
  opts: { now: Date; clientIds: readonly string[] | null },
): Promise<Map<string, number>> {
  const from = new Date(utcDayStart(opts.now).getTime() - DAY);
  const active = await clientsWithActivity(db, {
    clientIds: opts.clientIds,
    from,
    until: opts.now,
  });
  const out = new Map<string, number>();
  for (const c of active) {
    const days = liveDaysAfter(c.lastDay, opts.now);
    const rows = await liveRows(db, { clientId: c.clientId, days, now: opts.now });
    out.set(c.clientId, rows.reduce((s, r) => s + r.dailySavings, 0));
  }
  return out;
}

/** Folds live ledger rows into their calendar months (months stay sorted oldest first). */
export function mergeLiveMonths(
  months: readonly MonthSavings[],
  live: readonly LedgerRow[],
): MonthSavings[] {
  const out = months.map((m) => ({ ...m }));
  for (const row of live) {
    const [y, m] = row.snapshotDate.split("-").map(Number) as [number, number];
    let month = out.find((x) => x.year === y && x.month === m);
    if (!month) {
      month = { year: y, month: m, baseline: 0, actual: 0, savings: 0, switches: 0 };
      out.push(month);
    }
    month.baseline = money(month.baseline + row.wouldBeCost);
    month.actual = money(month.actual + row.totalCost);
    month.savings = money(month.savings + row.dailySavings);
    month.switches += row.switchCount;
  }
  return out.sort((a, b) => a.year - b.year || a.month - b.month);
}

/** Reads (and completes) a client's savings; null when the client does not exist. */
export async function clientSavings(
  db: Queryable,
  opts: { clientId: string; now: Date; months: number },
): Promise<ClientSavings | null> {
  const { now } = opts;
  const today = utcDay(now);
  const stored = await storedSavings(db, {
    clientId: opts.clientId,
    monthFrom: utcDay(new Date(now.getTime() - 30 * DAY)),
    weekFrom: utcDay(new Date(now.getTime() - 7 * DAY)),
  });
  if (!stored) return null;
  const liveDays = liveDaysAfter(stored.lastDay, now);
  const live = await liveRows(db, { clientId: opts.clientId, days: liveDays, now });
  const liveSum = live.reduce((s, r) => s + r.dailySavings, 0);
  const pctDays = stored.storedDays + live.length;
  const pct = pctDays === 0 ? 0 : (stored.averagePercent * stored.storedDays +
    live.reduce((s, r) => s + r.averageSavingsPercent, 0)) / pctDays;
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (opts.months - 1), 1));
  const months = mergeLiveMonths(
    await monthlySavings(db, {
      clientId: opts.clientId,
      fromDay: utcDay(first),
      limit: opts.months,
    }),
    live,
  ).slice(-opts.months);
  return {
    totalSavings: money(stored.openingSavings + stored.ledgerSavings + liveSum),
    monthlySavings: money(stored.monthly + liveSum),
    weeklySavings: money(stored.weekly + liveSum),
    averageSavingsPercent: Math.round(pct * 100) / 100,
    todaySavings: money(live.find((r) => r.snapshotDate === today)?.dailySavings ?? 0),
    lastSettledDay: stored.lastDay,
    liveDays,
    months: months.map((m) => ({ ...m, name: MONTH_NAMES[m.month - 1] ?? String(m.month) })),
  };
}
