/**
 * Savings reads of one client from the daily ledger (savings_snapshots, written by the daily job)
 * and the seed's view v_client_savings_summary. The view's 7/30-day windows use the database's
 * CURDATE(); the windows here are passed in from the server clock instead, so every instance and
 * test agrees on "today".
 */
import type { Queryable } from "./client.ts";
import { col, type Decoded, decoder, num0, opt, str } from "./_rows.ts";

const STORED_SAVINGS = {
  openingSavings: num0,
  /** Σ daily_savings of all stored days (the view's lifetime_savings). */
  ledgerSavings: col("lifetime_savings", num0),
  /** The view's average of average_savings_percent over the stored days. */
  averagePercent: col("avg_savings_percent", num0),
  storedDays: col("days", num0),
  monthly: num0,
  weekly: num0,
  lastDay: opt,
};

/** What the ledger holds for one client. */
export type StoredSavings = Decoded<typeof STORED_SAVINGS>;

/** Reads the stored totals; null when the client does not exist. */
export async function storedSavings(
  db: Queryable,
  opts: { clientId: string; monthFrom: string; weekFrom: string },
): Promise<StoredSavings | null> {
  const r = await db.execute(
    `SELECT c.opening_savings, v.lifetime_savings, v.avg_savings_percent,
       (SELECT COUNT(*) FROM savings_snapshots s WHERE s.client_id = c.id) AS days,
       (SELECT SUM(s.daily_savings) FROM savings_snapshots s WHERE s.client_id = c.id AND s.snapshot_date >= ?) AS monthly,
       (SELECT SUM(s.daily_savings) FROM savings_snapshots s WHERE s.client_id = c.id AND s.snapshot_date >= ?) AS weekly,
       (SELECT MAX(s.snapshot_date) FROM savings_snapshots s WHERE s.client_id = c.id) AS last_day
     FROM clients c JOIN v_client_savings_summary v ON v.client_id = c.id WHERE c.id = ?`,
    [opts.monthFrom, opts.weekFrom, opts.clientId],
  );
  return r.rows[0] ? decoder(STORED_SAVINGS)(r.rows[0]) : null;
}

const MONTH_SAVINGS = {
  year: col("y", num0),
  month: col("m", num0),
  baseline: num0,
  actual: num0,
  savings: num0,
  switches: num0,
};

/** One calendar month of the ledger. */
export type MonthSavings = Decoded<typeof MONTH_SAVINGS>;

/** The ledger grouped by calendar month from `fromDay` on, oldest first, at most `limit` months. */
export async function monthlySavings(
  db: Queryable,
  opts: { clientId: string; fromDay: string; limit: number },
): Promise<MonthSavings[]> {
  const r = await db.execute(
    `SELECT YEAR(snapshot_date) AS y, MONTH(snapshot_date) AS m, SUM(would_be_cost) AS baseline,
       SUM(total_cost) AS actual, SUM(daily_savings) AS savings, SUM(switch_count) AS switches
     FROM savings_snapshots WHERE client_id = ? AND snapshot_date >= ?
     GROUP BY YEAR(snapshot_date), MONTH(snapshot_date) ORDER BY y, m LIMIT ?`,
    [opts.clientId, opts.fromDay, opts.limit],
  );
  return r.rows.map(decoder(MONTH_SAVINGS));
}

/**
 * Clients (all, or the listed ones) whose unsettled days can hold savings: a segment overlapping
 * [from, until) or replica cost logged in it. Others' unsettled days are 0. With their newest
 * stored day.
 */
export async function clientsWithActivity(
  db: Queryable,
  opts: { clientIds: readonly string[] | null; from: Date; until: Date },
): Promise<{ clientId: string; lastDay: string | null }[]> {
  if (opts.clientIds !== null && opts.clientIds.length === 0) return [];
  const r = await db.execute(
    `SELECT c.id AS client_id, (SELECT MAX(s.snapshot_date) FROM savings_snapshots s WHERE s.client_id = c.id) AS last_day
     FROM clients c
     WHERE ${opts.clientIds === null ? "1 = 1" : "c.id IN (?)"}
       AND (EXISTS (SELECT 1 FROM instance_segments g WHERE g.client_id = c.id AND g.started_at < ? AND (g.ended_at IS NULL OR g.ended_at > ?))
         OR EXISTS (SELECT 1 FROM replica_cost_log r WHERE r.client_id = c.id AND r.log_time >= ? AND r.log_time < ?))`,
    [
      ...(opts.clientIds === null ? [] : [opts.clientIds]),
      opts.until,
      opts.from,
      opts.from,
      opts.until,
    ],
  );
  return r.rows.map(decoder({ clientId: str, lastDay: opt }));
}
