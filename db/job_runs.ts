/** Scheduled-job slots: claim, finish, and read the last runs. */
import type { Queryable } from "./client.ts";

/** Claims (job, slot) for this instance; true when this instance won and must do the work. */
export async function claimJobSlot(
  db: Queryable,
  opts: { job: string; slotStart: Date; claimedBy: string; now: Date; leaseSeconds: number },
): Promise<boolean> {
  // INSERT IGNORE reports 1 for a fresh row and 0 for a duplicate (STACK-NOTES V13); an
  // ON DUPLICATE KEY UPDATE would report 1 for both under CLIENT_FOUND_ROWS.
  const r = await db.execute(
    "INSERT IGNORE INTO job_runs (job, slot_start, claimed_by, status, started_at, lease_until) VALUES (?, ?, ?, 'running', ?, ?)",
    [
      opts.job,
      opts.slotStart,
      opts.claimedBy,
      opts.now,
      new Date(opts.now.getTime() + opts.leaseSeconds * 1000),
    ],
  );
  if (r.rowsAffected === 1) return true;
  // A slot whose run failed, or died past its lease, may be claimed again (cron backoff retry).
  const again = await db.execute(
    "UPDATE job_runs SET status = 'running', claimed_by = ?, started_at = ?, lease_until = ?, finished_at = NULL, error = NULL, attempts = attempts + 1 WHERE job = ? AND slot_start = ? AND (status = 'error' OR (status = 'running' AND lease_until < ?))",
    [
      opts.claimedBy,
      opts.now,
      new Date(opts.now.getTime() + opts.leaseSeconds * 1000),
      opts.job,
      opts.slotStart,
      opts.now,
    ],
  );
  return again.rowsAffected === 1;
}

/** Records the outcome of a claimed run. */
export async function finishJobRun(
  db: Queryable,
  opts: {
    job: string;
    slotStart: Date;
    status: "ok" | "error";
    now: Date;
    rowsTouched: number | null;
    error?: string | null;
    summary?: Record<string, unknown> | null;
  },
): Promise<void> {
  await db.execute(
    "UPDATE job_runs SET status = ?, finished_at = ?, rows_touched = ?, error = ?, summary = ? WHERE job = ? AND slot_start = ?",
    [
      opts.status,
      opts.now,
      opts.rowsTouched,
      opts.error ?? null,
      opts.summary ? JSON.stringify(opts.summary) : null,
      opts.job,
      opts.slotStart,
    ],
  );
}

/** A job_runs row. */
export interface JobRunRow {
  job: string;
  slot_start: string;
  claimed_by: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  lease_until: string | null;
  rows_touched: number | null;
  error: string | null;
}

/** The latest run of each job. */
export async function latestJobRuns(db: Queryable): Promise<JobRunRow[]> {
  const r = await db.execute<JobRunRow>(
    "SELECT j.job, j.slot_start, j.claimed_by, j.status, j.started_at, j.finished_at, j.lease_until, j.rows_touched, j.error FROM job_runs j JOIN (SELECT job, MAX(slot_start) AS s FROM job_runs GROUP BY job) m ON m.job = j.job AND m.s = j.slot_start",
  );
  return r.rows;
}
