/**
 * The nightly savings ledger: at SAVINGS_CALCULATION_HOUR UTC, one savings_snapshots row per client
 * for the previous UTC day (core/savings.ts computes it, db/savings.ts loads and writes it), then
 * clients.total_savings = opening_savings + Σ daily_savings.
 *
 * Catch-up: Deno.cron does not replay ticks missed while no server ran, so each run settles every
 * day after the last day a successful run settled (its job_runs summary `settledThrough`; with no
 * run yet, after the latest ledger row), at most MAX_CATCH_UP_DAYS back, and always at least the
 * last RESETTLE_DAYS days: rows that arrive after midnight (the last hour's replica cost, a segment
 * closed late) and the seed's evt_calculate_daily_savings overwriting yesterday's row on
 * self-hosted MySQL are corrected by the next run. Days are settled in order per client, so each
 * cumulative total chains from the day before. Every write is an upsert: re-running a day rewrites
 * the same row.
 * @module
 */
import type { JobDef, JobDeps, JobResult } from "./_runner.ts";
import type { Queryable } from "../db/client.ts";
import type { Logger } from "../core/log.ts";
import { daysBetween, previousUtcDay, utcDayBounds } from "../core/savings.ts";
import {
  computeLedgerRow,
  lastSettledDay,
  latestSnapshotDay,
  listLedgerClientIds,
  rechainTotalsAfter,
  refreshClientTotals,
  upsertSavingsSnapshot,
} from "../db/savings.ts";

/** The job's name in job_runs (its summary carries `settledThrough`). */
export const DAILY_SAVINGS_JOB = "daily_savings";
/** How far back a run catches up after downtime. */
export const MAX_CATCH_UP_DAYS = 31;
/** Every run settles at least this many most recent days again (yesterday and the day before). */
export const RESETTLE_DAYS = 2;

const DAY_MS = 86_400_000;

function addDays(day: string, n: number): string {
  return new Date(utcDayBounds(day).start.getTime() + n * DAY_MS).toISOString().slice(0, 10);
}

/** The days a run at `now` settles, oldest first. */
export async function daysToSettle(
  db: Queryable,
  opts: { now: Date; maxDays?: number },
): Promise<string[]> {
  const yesterday = previousUtcDay(opts.now);
  const maxDays = opts.maxDays ?? MAX_CATCH_UP_DAYS;
  const last = (await lastSettledDay(db, DAILY_SAVINGS_JOB)) ?? (await latestSnapshotDay(db));
  let from = last ? addDays(last, 1) : yesterday;
  const latest = addDays(yesterday, 1 - Math.min(RESETTLE_DAYS, maxDays));
  const earliest = addDays(yesterday, 1 - maxDays);
  if (from > latest) from = latest;
  if (from < earliest) from = earliest;
  return daysBetween(from, yesterday);
}

/** What settling a range wrote. */
export interface SettleResult {
  rowsWritten: number;
  rechained: number;
  failedClients: { clientId: string; error: string }[];
}

/**
 * Computes and upserts the ledger rows of `days` (consecutive, oldest first) for each client, then
 * re-chains the cumulative totals of later rows and derives clients.total_savings. A client that
 * fails is reported and the others go on.
 */
export async function settleDays(
  db: Queryable,
  opts: { clientIds: string[]; days: string[]; now: Date; log: Logger },
): Promise<SettleResult> {
  const result: SettleResult = { rowsWritten: 0, rechained: 0, failedClients: [] };
  const done: string[] = [];
  if (opts.days.length === 0) return result;
  const lastDay = opts.days[opts.days.length - 1]!;
  for (const clientId of opts.clientIds) {
    try {
      for (const day of opts.days) {
        const row = await computeLedgerRow(db, { clientId, day, now: opts.now });
        await upsertSavingsSnapshot(db, row, clientId);
        result.rowsWritten++;
      }
      result.rechained += await rechainTotalsAfter(db, { clientId, afterDay: lastDay });
      done.push(clientId);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      opts.log.error("savings ledger failed for client", { clientId, error: err });
      result.failedClients.push({ clientId, error });
    }
  }
  // Chunked so a large tenant list never builds one huge IN list.
  for (let i = 0; i < done.length; i += 500) {
    await refreshClientTotals(db, done.slice(i, i + 500));
  }
  return result;
}

/** The nightly run at `now`: settles every day due for every client. */
export async function runDailySavings(
  deps: JobDeps,
  now: Date,
  opts: { maxDays?: number } = {},
): Promise<JobResult> {
  const days = await daysToSettle(deps.db, { now, maxDays: opts.maxDays });
  const clientIds = await listLedgerClientIds(deps.db);
  const r = await settleDays(deps.db, { clientIds, days, now, log: deps.log });
  if (r.failedClients.length > 0) {
    // Recorded as an error: the runner's backoff retries the slot, which re-settles the same days.
    throw new Error(
      `savings ledger failed for ${r.failedClients.length} client(s): ${
        r.failedClients.slice(0, 5).map((f) => `${f.clientId}: ${f.error}`).join("; ")
      }`,
    );
  }
  const summary = {
    from: days[0],
    settledThrough: days[days.length - 1],
    days: days.length,
    clients: clientIds.length,
    rowsWritten: r.rowsWritten,
  };
  deps.log.info("savings ledger settled", summary);
  return { rowsTouched: r.rowsWritten, summary };
}

/** The job definition registered in jobs/mod.ts: daily slots starting at SAVINGS_CALCULATION_HOUR. */
export const dailySavingsJob: JobDef = {
  name: DAILY_SAVINGS_JOB,
  periodSeconds: () => 86_400,
  offsetSeconds: (config) => config.SAVINGS_CALCULATION_HOUR * 3600,
  leaseSeconds: 1800,
  run: (deps, now) => runDailySavings(deps, now),
};
