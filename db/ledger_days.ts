/**
 * Daily rows of one client's savings ledger (savings_snapshots) for the console's ledger page
 * and its 30-day gross vs net chart. Days the daily job has not settled yet are computed by the
 * caller with computeLedgerRow (db/savings.ts), as the savings API does.
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";
import type { LedgerRow } from "../core/savings.ts";

interface LedgerDayRow {
  snapshot_date: string;
  spot_hours: number | null;
  ondemand_hours: number | null;
  overlap_hours: number | null;
  unpriced_hours: number | null;
  total_cost: number | null;
  would_be_cost: number | null;
  gross_savings: number | null;
  overlap_cost: number | null;
  replica_cost: number | null;
  daily_savings: number | null;
  average_savings_percent: number | null;
  switch_count: number | null;
  total_savings: number | null;
}

function toLedgerRow(r: LedgerDayRow): LedgerRow {
  const n = (v: unknown) => num(v) ?? 0;
  return {
    snapshotDate: String(r.snapshot_date).slice(0, 10),
    spotHours: n(r.spot_hours),
    ondemandHours: n(r.ondemand_hours),
    overlapHours: n(r.overlap_hours),
    unpricedHours: n(r.unpriced_hours),
    totalCost: n(r.total_cost),
    wouldBeCost: n(r.would_be_cost),
    grossSavings: n(r.gross_savings),
    overlapCost: n(r.overlap_cost),
    replicaCost: n(r.replica_cost),
    dailySavings: n(r.daily_savings),
    averageSavingsPercent: n(r.average_savings_percent),
    switchCount: n(r.switch_count),
    totalSavings: n(r.total_savings),
  };
}

/** The stored ledger days of a client from `fromDay` (YYYY-MM-DD), newest first, at most `limit`. */
export async function listLedgerDays(
  db: Queryable,
  opts: { clientId: string; fromDay: string; limit: number },
): Promise<LedgerRow[]> {
  const r = await db.execute<LedgerDayRow>(
    "SELECT snapshot_date, spot_hours, ondemand_hours, overlap_hours, unpriced_hours, total_cost, would_be_cost, gross_savings, overlap_cost, replica_cost, daily_savings, average_savings_percent, switch_count, total_savings FROM savings_snapshots WHERE client_id = ? AND snapshot_date >= ? ORDER BY snapshot_date DESC LIMIT ?",
    [opts.clientId, opts.fromDay, opts.limit],
  );
  return r.rows.map(toLedgerRow);
}
