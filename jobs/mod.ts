/**
 * The job table and its registration with Deno.cron (called at the entry module's top level by
 * crons.ts). Every process fires every cron tick (Deno CLI, STACK-NOTES V5); `runClaimed` makes
 * exactly one instance do each slot's work.
 */
import type { Config } from "../config.ts";
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

/** The Deno.cron signature registerJobs uses (a spy in tests). */
export type CronRegistrar = (
  name: string,
  schedule: string,
  options: { backoffSchedule?: number[]; signal?: AbortSignal },
  handler: () => Promise<void>,
) => unknown;

/**
 * Registers every job with Deno.cron, its schedule from `config`. A tick runs the job with the
 * dependencies `depsOf()` returns at that moment; null (the server is not built yet, or
 * CRON_ENABLED=false) makes the tick return at once. Failures are recorded in job_runs and retried
 * by backoff, never thrown at the caller. Returns the registered job names.
 */
export function registerJobs(
  config: Config,
  depsOf: () => JobDeps | null,
  opts: { signal?: AbortSignal; cron?: CronRegistrar } = {},
): string[] {
  const cron: CronRegistrar = opts.cron ?? Deno.cron;
  for (const job of JOBS) {
    const schedule = cronFor(job.periodSeconds(config));
    const options = { backoffSchedule: [10_000, 60_000], signal: opts.signal };
    cron(job.name, schedule, options, async () => {
      const deps = depsOf();
      if (!deps || !deps.config.CRON_ENABLED) return;
      const outcome = await runClaimed(deps, job);
      // Throwing lets Deno.cron retry with the backoff schedule; the failure is already recorded.
      if (outcome.status === "error") throw new Error(`${job.name}: ${outcome.error}`);
    });
  }
  return JOBS.map((j) => j.name);
}
