/**
 * The job table and its registration with Deno.cron. Every process fires every cron tick (Deno
 * CLI, STACK-NOTES V5); `runClaimed` makes exactly one instance do each slot's work.
 */
import type { JobDef, JobDeps } from "./_runner.ts";
import { runClaimed } from "./_runner.ts";
import { staleAgentsJob } from "./stale_agents.ts";
import { dailySavingsJob } from "./daily_savings.ts";
import { cleanupMetricsJob } from "./cleanup_metrics.ts";
import { expireCommandsJob } from "./expire_commands.ts";
import { poolRiskJob } from "./pool_risk.ts";
import { replicaCostsJob } from "./replica_costs.ts";

/** Every scheduled job of the server. */
export const JOBS: JobDef[] = [
  staleAgentsJob,
  dailySavingsJob,
  cleanupMetricsJob,
  expireCommandsJob,
  poolRiskJob,
  replicaCostsJob,
];

/** A cron expression that fires at least once per slot of `periodSeconds`. */
export function cronFor(periodSeconds: number): string {
  const minutes = Math.max(1, Math.floor(periodSeconds / 60));
  if (minutes < 60) return `*/${minutes} * * * *`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `0 */${hours} * * *`;
  return "0 * * * *";
}

/** Registers every job with Deno.cron; failures are recorded and retried by backoff, never thrown. */
export function registerJobs(deps: JobDeps, signal: AbortSignal): void {
  for (const job of JOBS) {
    const schedule = cronFor(job.periodSeconds(deps.config));
    Deno.cron(job.name, schedule, { backoffSchedule: [10_000, 60_000], signal }, async () => {
      const outcome = await runClaimed(deps, job);
      // Throwing lets Deno.cron retry with the backoff schedule; the failure is already recorded.
      if (outcome.status === "error") throw new Error(`${job.name}: ${outcome.error}`);
    });
  }
}
