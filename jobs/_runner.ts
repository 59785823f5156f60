/**
 * Runs a job for one slot exactly once across all server instances: the instance whose claim
 * row is inserted does the work and records the outcome; the others skip. A run that died stays
 * `running` past its lease, which system health reports as such.
 */
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Clock, Logger } from "../core/log.ts";
import { claimJobSlot, finishJobRun } from "../db/job_runs.ts";

/** What a job receives. */
export interface JobDeps {
  db: Db;
  config: Config;
  clock: Clock;
  log: Logger;
  instanceName: string;
}

/** What a job reports. */
export interface JobResult {
  rowsTouched: number;
  summary?: Record<string, unknown>;
}

/** A scheduled job: a function plus how often it runs. */
export interface JobDef {
  name: string;
  /** Slot length in seconds; slots start at multiples of it (UTC epoch), plus `offsetSeconds`. */
  periodSeconds: (config: Config) => number;
  offsetSeconds?: (config: Config) => number;
  /** Seconds after which a `running` row counts as died. */
  leaseSeconds: number;
  run(deps: JobDeps, now: Date): Promise<JobResult>;
}

/** Outcome of one attempt. */
export type RunOutcome =
  | { status: "skipped"; slotStart: Date }
  | { status: "ok"; slotStart: Date; result: JobResult }
  | { status: "error"; slotStart: Date; error: string };

/** The start of the slot that contains `now`. */
export function slotStartFor(now: Date, periodSeconds: number, offsetSeconds = 0): Date {
  const p = periodSeconds * 1000;
  const o = offsetSeconds * 1000;
  return new Date(Math.floor((now.getTime() - o) / p) * p + o);
}

/** Claims the current slot of `job` and runs it if this instance won the claim. */
export async function runClaimed(deps: JobDeps, job: JobDef): Promise<RunOutcome> {
  const now = deps.clock();
  const slotStart = slotStartFor(
    now,
    job.periodSeconds(deps.config),
    job.offsetSeconds?.(deps.config) ?? 0,
  );
  const won = await claimJobSlot(deps.db, {
    job: job.name,
    slotStart,
    claimedBy: deps.instanceName,
    now,
    leaseSeconds: job.leaseSeconds,
  });
  if (!won) {
    deps.log.debug("job slot taken by another instance", { job: job.name, slotStart });
    return { status: "skipped", slotStart };
  }
  const started = performance.now();
  try {
    const result = await job.run(deps, now);
    await finishJobRun(deps.db, {
      job: job.name,
      slotStart,
      status: "ok",
      now: deps.clock(),
      rowsTouched: result.rowsTouched,
      summary: result.summary ?? null,
    });
    deps.log.info("job finished", {
      job: job.name,
      slotStart,
      outcome: "ok",
      rowsTouched: result.rowsTouched,
      durationMs: Math.round(performance.now() - started),
    });
    return { status: "ok", slotStart, result };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await finishJobRun(deps.db, {
      job: job.name,
      slotStart,
      status: "error",
      now: deps.clock(),
      rowsTouched: null,
      error: message.slice(0, 2000),
    }).catch((e) => deps.log.error("could not record job failure", { job: job.name, error: e }));
    deps.log.error("job failed", { job: job.name, slotStart, outcome: "error", error: err });
    return { status: "error", slotStart, error: message };
  }
}
