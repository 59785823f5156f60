/**
 * Weekly retention: agent_health_metrics, pool_risk_analysis and replica_cost_log rows older than
 * METRICS_RETENTION_DAYS are deleted in bounded batches (db/retention.ts). savings_snapshots rows
 * are never deleted.
 */
import type { JobDef, JobDeps, JobResult } from "./_runner.ts";
import { deleteOlderThan, RETENTION_TARGETS } from "../db/retention.ts";
import type { RetentionOutcome } from "../db/retention.ts";

/** Rows deleted per statement by default. */
export const RETENTION_BATCH_SIZE = 5000;

/** Deletes the metric rows older than the retention at `now`; reports rows deleted per table. */
export async function runCleanupMetrics(
  deps: JobDeps,
  now: Date,
  opts: { batchSize?: number } = {},
): Promise<JobResult & { tables: RetentionOutcome[] }> {
  const cutoff = new Date(now.getTime() - deps.config.METRICS_RETENTION_DAYS * 86_400_000);
  const tables: RetentionOutcome[] = [];
  for (const target of RETENTION_TARGETS) {
    tables.push(
      await deleteOlderThan(deps.db, target, {
        cutoff,
        batchSize: opts.batchSize ?? RETENTION_BATCH_SIZE,
      }),
    );
  }
  const rowsTouched = tables.reduce((n, t) => n + t.deleted, 0);
  deps.log.info("metrics retention", {
    cutoff,
    deleted: Object.fromEntries(tables.map((t) => [t.table, t.deleted])),
  });
  return {
    rowsTouched,
    tables,
    summary: {
      cutoff: cutoff.toISOString(),
      deleted: Object.fromEntries(tables.map((t) => [t.table, t.deleted])),
    },
  };
}

/** The job definition registered in jobs/mod.ts (weekly slots). */
export const cleanupMetricsJob: JobDef = {
  name: "cleanup_metrics",
  periodSeconds: () => 604_800,
  leaseSeconds: 1800,
  run: (deps, now) => runCleanupMetrics(deps, now),
};
