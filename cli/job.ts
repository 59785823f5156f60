/**
 * `deno task job <name> [--date YYYY-MM-DD | --date <ISO instant>]`: runs one scheduled job now.
 *
 * Without --date the job's current slot is claimed through job_runs exactly as the cron would
 * (skipped when a server already ran that slot; a failed slot is claimed again). With --date the
 * clock is set to that instant (a bare day means 00:00Z) and that slot is claimed. For
 * daily_savings, --date names the day to settle: it is recomputed directly for every client (no
 * slot claim) and the cumulative totals after it are re-chained.
 *
 * Database: DATABASE_URL, else the local stack under .data/ (cli/_env.ts).
 * @module
 */
import { parseArgs } from "node:util";
import { systemClock } from "../core/log.ts";
import type { Clock } from "../core/log.ts";
import { utcDayBounds } from "../core/savings.ts";
import { listLedgerClientIds } from "../db/savings.ts";
import { runClaimed } from "../jobs/_runner.ts";
import type { JobDef } from "../jobs/_runner.ts";
import { JOBS } from "../jobs/mod.ts";
import { staleAgentsJob } from "../jobs/stale_agents.ts";
import { DAILY_SAVINGS_JOB, dailySavingsJob, settleDays } from "../jobs/daily_savings.ts";
import { cleanupMetricsJob } from "../jobs/cleanup_metrics.ts";
import { loadCliConfig, openCliDeps, runCli } from "./_env.ts";

/** Every runnable job by name: the registry plus this jobs (until listed in JOBS). */
export function jobsByName(): Map<string, JobDef> {
  const all = new Map<string, JobDef>();
  for (const j of [...JOBS, staleAgentsJob, dailySavingsJob, cleanupMetricsJob]) {
    if (!all.has(j.name)) all.set(j.name, j);
  }
  return all;
}

/** The instant a `--date` value names: a bare day is its 00:00Z. */
export function parseDateFlag(value: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? utcDayBounds(value).start : new Date(value);
  if (!Number.isFinite(d.getTime())) throw new RangeError(`--date: invalid date "${value}"`);
  return d;
}

const USAGE = "usage: deno task job <name> [--date YYYY-MM-DD|ISO-instant]";

function usage(): string {
  return `${USAGE}\njobs: ${[...jobsByName().keys()].join(", ")}`;
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { date: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const jobs = jobsByName();
  const name = positionals[0];
  const job = name ? jobs.get(name) : undefined;
  if (!job || positionals.length > 1) {
    if (name && !job) console.error(`unknown job "${name}"`);
    console.error(usage());
    return 2;
  }
  const at = values.date ? parseDateFlag(values.date) : null;
  const deps = await openCliDeps(await loadCliConfig(), "job");
  try {
    if (job.name === DAILY_SAVINGS_JOB && at) {
      const day = at.toISOString().slice(0, 10);
      const now = systemClock();
      if (utcDayBounds(day).end > now) {
        console.error(`${day} is not over yet; the ledger settles finished UTC days`);
        return 2;
      }
      const clientIds = await listLedgerClientIds(deps.db);
      const r = await settleDays(deps.db, { clientIds, days: [day], now, log: deps.log });
      console.log(JSON.stringify({ job: job.name, day, clients: clientIds.length, ...r }));
      return r.failedClients.length > 0 ? 1 : 0;
    }
    const clock: Clock = at ? () => new Date(at) : systemClock;
    const outcome = await runClaimed(
      { db: deps.db, config: deps.config, clock, log: deps.log, instanceName: `cli-${Deno.pid}` },
      job,
    );
    console.log(JSON.stringify({ job: job.name, ...outcome }));
    if (outcome.status === "skipped") {
      console.error("this slot already ran (or is running) on another instance; see job_runs");
    }
    return outcome.status === "error" ? 1 : 0;
  } finally {
    await deps.close();
  }
}

if (import.meta.main) await runCli(main, { usage: usage() });
