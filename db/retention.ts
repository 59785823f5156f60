/**
 * Metric retention in portable SQL (the seed's sp_cleanup_old_metrics): old rows are deleted in
 * bounded batches, `DELETE … ORDER BY id LIMIT n` repeated until a batch comes back short, so a
 * large table is never locked for long (each statement commits on its own). savings_snapshots is
 * never touched: it is the ledger, not a metric.
 * @module
 */
import type { Queryable } from "./client.ts";

/** A table the retention job trims, and its time column. */
export interface RetentionTarget {
  table: string;
  column: string;
}

/** The seed's three metric tables (sp_cleanup_old_metrics), in the order it cleans them. */
export const RETENTION_TARGETS: readonly RetentionTarget[] = [
  { table: "agent_health_metrics", column: "metric_time" },
  { table: "pool_risk_analysis", column: "analysis_time" },
  { table: "replica_cost_log", column: "log_time" },
];

/** Rows deleted from one table and the statements it took. */
export interface RetentionOutcome {
  table: string;
  deleted: number;
  batches: number;
}

/** Deletes the target's rows older than `cutoff`, `batchSize` at a time, until a batch is short. */
export async function deleteOlderThan(
  db: Queryable,
  target: RetentionTarget,
  opts: { cutoff: Date; batchSize: number },
): Promise<RetentionOutcome> {
  // Identifiers come only from RETENTION_TARGETS (code constants), never from input.
  if (!RETENTION_TARGETS.some((t) => t.table === target.table && t.column === target.column)) {
    throw new Error(`not a retention target: ${target.table}.${target.column}`);
  }
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new RangeError("batchSize must be a positive integer");
  }
  const sql = `DELETE FROM ${target.table} WHERE ${target.column} < ? ORDER BY id LIMIT ?`;
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const r = await db.execute(sql, [opts.cutoff, opts.batchSize]);
    batches++;
    deleted += r.rowsAffected;
    if (r.rowsAffected < opts.batchSize) return { table: target.table, deleted, batches };
  }
}
