/**
 * Savings reads of one client from the daily ledger (savings_snapshots, written by the daily job)
 * and the seed's view v_client_savings_summary. The view's 7/30-day windows use the database's
 * CURDATE(); the windows here are passed in from the server clock instead, so every instance and
 * test agrees on "today".
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";

/** What the ledger holds for one client. */
export interface StoredSavings {
  openingSavings: number;
  /** Σ daily_savings of all stored days (the view's lifetime_savings). */
  ledgerSavings: number;
  /** The view's average of average_savings_percent over the stored days. */
  averagePercent: number;
  storedDays: number;
  monthly: number;
  weekly: number;
  lastDay: string | null;
}

/** Reads the stored totals; null when the client does not exist. */
export async function storedSavings(
  db: Queryable,
  opts: { clientId: string; monthFrom: string; weekFrom: string },
): Promise<StoredSavings | null> {
  const r = await db.execute<{
    opening_savings: number;
    lifetime_savings: number | null;
    avg_savings_percent: number | null;
    days: number | null;
    monthly: number | null;
    weekly: number | null;
    last_day: string | null;
  }>(
    `SELECT c.opening_savings, v.lifetime_savings, v.avg_savings_percent,
       (SELECT COUNT(*) FROM savings_snapshots s WHERE s.client_id = c.id) AS days,
       (SELECT SUM(s.daily_savings) FROM savings_snapshots s WHERE s.client_id = c.id AND s.snapshot_date >= ?) AS monthly,
       (SELECT SUM(s.daily_savings) FROM savings_snapshots s WHERE s.client_id = c.id AND s.snapshot_date >= ?) AS weekly,
       (SELECT MAX(s.snapshot_date) FROM savings_snapshots s WHERE s.client_id = c.id) AS last_day
     FROM clients c JOIN v_client_savings_summary v ON v.client_id = c.id WHERE c.id = ?`,
    [opts.monthFrom, opts.weekFrom, opts.clientId],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    openingSavings: num(row.opening_savings) ?? 0,
    ledgerSavings: num(row.lifetime_savings) ?? 0,
    averagePercent: num(row.avg_savings_percent) ?? 0,
    storedDays: num(row.days) ?? 0,
    monthly: num(row.monthly) ?? 0,
    weekly: num(row.weekly) ?? 0,
    lastDay: row.last_day,
  };
}

/** One calendar month of the ledger. */
export interface MonthSavings {
  year: number;
  month: number;
  baseline: number;
  actual: number;
  savings: number;
  switches: number;
}

/** The ledger grouped by calendar month from `fromDay` on, oldest first, at most `limit` months. */
export async function monthlySavings(
  db: Queryable,
  opts: { clientId: string; fromDay: string; limit: number },
): Promise<MonthSavings[]> {
  const r = await db.execute<{
    y: number;
    m: number;
    baseline: number | null;
    actual: number | null;
    savings: number | null;
    switches: number | null;
  }>(
    `SELECT YEAR(snapshot_date) AS y, MONTH(snapshot_date) AS m, SUM(would_be_cost) AS baseline,
       SUM(total_cost) AS actual, SUM(daily_savings) AS savings, SUM(switch_count) AS switches
     FROM savings_snapshots WHERE client_id = ? AND snapshot_date >= ?
     GROUP BY YEAR(snapshot_date), MONTH(snapshot_date) ORDER BY y, m LIMIT ?`,
    [opts.clientId, opts.fromDay, opts.limit],
  );
  return r.rows.map((x) => ({
    year: num(x.y) ?? 0,
    month: num(x.m) ?? 0,
    baseline: num(x.baseline) ?? 0,
    actual: num(x.actual) ?? 0,
    savings: num(x.savings) ?? 0,
    switches: num(x.switches) ?? 0,
  }));
}
