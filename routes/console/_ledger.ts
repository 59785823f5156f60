/**
 * A client's daily savings ledger for the console: the stored days (db/ledger_days.ts) plus the
 * days the savings API reports as not yet settled (`live_days`), computed with the same ledger
 * code the API uses (computeLedgerRow), so the rows add up to the API's totals.
 */
import type { Queryable } from "../../db/client.ts";
import { listLedgerDays } from "../../db/ledger_days.ts";
import { computeLedgerRow } from "../../db/savings.ts";
import type { LedgerRow } from "../../core/savings.ts";

const DAY = 86_400_000;

/** The UTC day (YYYY-MM-DD) of `d`. */
export function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Ledger rows of the last `days` days up to today, newest first (missing days omitted). */
export async function ledgerRows(
  db: Queryable,
  opts: { clientId: string; now: Date; days: number; liveDays: readonly string[] },
): Promise<LedgerRow[]> {
  const fromDay = dayOf(new Date(opts.now.getTime() - (opts.days - 1) * DAY));
  const stored = await listLedgerDays(db, { clientId: opts.clientId, fromDay, limit: opts.days });
  const have = new Set(stored.map((r) => r.snapshotDate));
  const live: LedgerRow[] = [];
  for (const day of opts.liveDays) {
    if (day < fromDay || have.has(day)) continue;
    live.push(await computeLedgerRow(db, { clientId: opts.clientId, day, now: opts.now }));
  }
  return [...live, ...stored].sort((a, b) => b.snapshotDate.localeCompare(a.snapshotDate));
}

/** The `days` UTC days ending today, oldest first. */
export function lastDays(now: Date, days: number): string[] {
  return Array.from(
    { length: days },
    (_, i) => dayOf(new Date(now.getTime() - (days - 1 - i) * DAY)),
  );
}
