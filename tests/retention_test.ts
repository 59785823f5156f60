import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { createLogger } from "../core/log.ts";
import type { Db } from "../db/client.ts";
import { deleteOlderThan } from "../db/retention.ts";
import { runClaimed } from "../jobs/_runner.ts";
import type { JobDeps } from "../jobs/_runner.ts";
import { cleanupMetricsJob, runCleanupMetrics } from "../jobs/cleanup_metrics.ts";
import { testClock, testDb } from "./_support.ts";

const NOW = new Date("2026-11-27T12:00:00.000Z");
const DAY = 86_400;
const ago = (s: number): Date => new Date(NOW.getTime() - s * 1000);
const RETENTION = 30 * DAY;
// Ages in seconds: past the 30-day retention, and within it (exactly 30 days is kept).
const OLD = [RETENTION + 1, 31 * DAY, 40 * DAY, 90 * DAY, 400 * DAY];
const KEPT = [RETENTION, RETENTION - 1, 29 * DAY, 60, 0];

async function fixture(db: Db): Promise<void> {
  for (const [i, age] of [...OLD, ...KEPT].entries()) {
    await db.execute(
      "INSERT INTO agent_health_metrics (agent_id, metric_time, error_count) VALUES ('a1', ?, ?)",
      [ago(age), age],
    );
    await db.execute(
      "INSERT INTO pool_risk_analysis (pool_id, instance_type, region, az, analysis_time, interruption_frequency) VALUES (?, 't3.small', 'us-east-1', 'us-east-1a', ?, ?)",
      [`p${i}`, ago(age), age],
    );
    await db.execute(
      "INSERT INTO replica_cost_log (replica_id, agent_id, client_id, log_time, duration_hours, total_cost) VALUES (?, 'a1', 'c1', ?, ?, 1)",
      [`r${i}`, ago(age), i],
    );
  }
  // Ledger rows of any age are never retention's business.
  await db.execute(
    "INSERT INTO savings_snapshots (client_id, snapshot_date, daily_savings) VALUES ('c1', '2020-01-01', 1), ('c1', '2026-11-26', 2)",
  );
}

async function ages(db: Db, sql: string): Promise<number[]> {
  const r = await db.execute<{ v: number }>(sql);
  return r.rows.map((x) => Number(x.v)).sort((a, b) => a - b);
}

function deps(db: Db): JobDeps {
  return {
    db,
    config: parseConfig({ METRICS_RETENTION_DAYS: "30" }),
    clock: testClock(NOW),
    log: createLogger({ level: "error", sink: () => {} }),
    instanceName: "test-retention",
  };
}

Deno.test("retention: only rows past the retention are deleted, in bounded batches", async () => {
  const db = await testDb("retention");
  await fixture(db);
  const r = await runCleanupMetrics(deps(db), NOW, { batchSize: 2 });
  // 5 old rows per table at 2 per statement: 2 + 2 + 1 → three statements each.
  assert.deepEqual(r.tables, [
    { table: "agent_health_metrics", deleted: 5, batches: 3 },
    { table: "pool_risk_analysis", deleted: 5, batches: 3 },
    { table: "replica_cost_log", deleted: 5, batches: 3 },
  ]);
  assert.equal(r.rowsTouched, 15);
  const kept = [...KEPT].sort((a, b) => a - b);
  assert.deepEqual(await ages(db, "SELECT error_count AS v FROM agent_health_metrics"), kept);
  assert.deepEqual(
    await ages(db, "SELECT interruption_frequency AS v FROM pool_risk_analysis"),
    kept,
  );
  assert.deepEqual(
    await ages(db, "SELECT duration_hours AS v FROM replica_cost_log"),
    [5, 6, 7, 8, 9], // the indexes of the KEPT rows
  );
  assert.deepEqual(await ages(db, "SELECT daily_savings AS v FROM savings_snapshots"), [1, 2]);

  // A second run finds nothing; a batch that comes back short ends the loop at once.
  const again = await runCleanupMetrics(deps(db), NOW, { batchSize: 2 });
  assert.deepEqual(again.tables.map((t) => [t.deleted, t.batches]), [[0, 1], [0, 1], [0, 1]]);
});

Deno.test("retention: the weekly job records rows deleted per table in job_runs", async () => {
  const db = await testDb("retention_job");
  await fixture(db);
  const out = await runClaimed(deps(db), cleanupMetricsJob);
  assert.equal(out.status, "ok");
  const run = await db.execute<{ rows_touched: number; summary: unknown; slot_start: string }>(
    "SELECT rows_touched, summary, slot_start FROM job_runs WHERE job = 'cleanup_metrics'",
  );
  assert.equal(run.rows[0]!.rows_touched, 15);
  const summary = typeof run.rows[0]!.summary === "string"
    ? JSON.parse(run.rows[0]!.summary)
    : run.rows[0]!.summary;
  assert.deepEqual(summary.deleted, {
    agent_health_metrics: 5,
    pool_risk_analysis: 5,
    replica_cost_log: 5,
  });
  // Weekly slots: 2026-11-26T00:00Z is a multiple of 604 800 s from the epoch (a Thursday).
  assert.equal(run.rows[0]!.slot_start, "2026-11-26T00:00:00.000Z");
  // Only the three metric tables can be targeted.
  await assert.rejects(
    () =>
      deleteOlderThan(db, { table: "savings_snapshots", column: "snapshot_date" }, {
        cutoff: NOW,
        batchSize: 10,
      }),
    /not a retention target/,
  );
});
