/**
 * Pure rules of the system-health verdict: a job's state from its last job_runs row, when it is
 * due next, whether it is overdue; the overall status from the parts.
 */
import type { JobRunRow } from "../../db/job_runs.ts";

/** A job's state as system health reports it. */
export type JobState = "ok" | "error" | "running" | "died" | "never_run";

/** What system health says about one job. */
export interface JobHealth {
  name: string;
  periodSeconds: number | null;
  state: JobState;
  lastRun: {
    slotStart: string;
    startedAt: string;
    finishedAt: string | null;
    status: string;
    rowsTouched: number | null;
    error: string | null;
    leaseUntil: string | null;
    claimedBy: string;
  } | null;
  nextDueAt: string | null;
  overdue: boolean;
  /** Why this job degrades the system (null when it does not). */
  problem: string | null;
}

/** Evaluates one job (`periodSeconds` null for a job_runs name the server no longer schedules). */
export function evaluateJob(
  job: { name: string; periodSeconds: number | null; offsetSeconds: number },
  last: JobRunRow | null,
  now: Date,
): JobHealth {
  const t = now.getTime();
  let state: JobState = "never_run";
  if (last) {
    if (last.status === "ok") state = "ok";
    else if (last.status === "error") state = "error";
    else if (last.lease_until && Date.parse(last.lease_until) < t) state = "died";
    else state = "running";
  }
  let nextDueAt: string | null = null;
  let overdue = false;
  if (job.periodSeconds !== null) {
    const p = job.periodSeconds * 1000;
    const o = job.offsetSeconds * 1000;
    const current = Math.floor((t - o) / p) * p + o;
    const lastSlot = last ? Date.parse(last.slot_start) : null;
    nextDueAt = new Date(lastSlot !== null && lastSlot >= current ? current + p : current)
      .toISOString();
    // A whole slot passed without a claim: the scheduler is not running it.
    overdue = lastSlot !== null && lastSlot < current - p && state !== "running";
  }
  let problem: string | null = null;
  if (state === "error") {
    problem = `job ${job.name} failed in its last run (slot ${last!.slot_start}): ${
      (last!.error ?? "no message").slice(0, 200)
    }`;
  } else if (state === "died") {
    problem = `job ${job.name} died: its run of slot ${
      last!.slot_start
    } is still marked running past its lease`;
  } else if (overdue) {
    problem = `job ${job.name} is overdue: no run since slot ${last!.slot_start}`;
  }
  return {
    name: job.name,
    periodSeconds: job.periodSeconds,
    state,
    lastRun: last
      ? {
        slotStart: last.slot_start,
        startedAt: last.started_at,
        finishedAt: last.finished_at,
        status: last.status,
        rowsTouched: last.rows_touched,
        error: last.error,
        leaseUntil: last.lease_until,
        claimedBy: last.claimed_by,
      }
      : null,
    nextDueAt,
    overdue,
    problem,
  };
}

/** The overall verdict: down without a database, degraded with any stated reason, else ok. */
export function overallStatus(
  databaseReachable: boolean,
  reasons: readonly string[],
): "ok" | "degraded" | "down" {
  if (!databaseReachable) return "down";
  return reasons.length > 0 ? "degraded" : "ok";
}
