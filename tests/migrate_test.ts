import assert from "node:assert/strict";
import {
  applyRoutines,
  currentSchemaVersion,
  LATEST_SCHEMA_VERSION,
  migrate,
} from "../db/migrate.ts";
import type { Db } from "../db/client.ts";
import { splitStatements } from "../db/schema_parse.ts";
import { hashOpaqueToken } from "../core/tokens.ts";
import { testDb, testStack } from "./_support.ts";

async function schemaSnapshot(db: Db): Promise<string> {
  const cols = await db.execute<{ t: string; c: string; ty: string; n: string; d: string | null }>(
    "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS ty, IS_NULLABLE AS n, COLUMN_DEFAULT AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, COLUMN_NAME",
  );
  const idx = await db.execute<{ t: string; i: string; c: string; u: number }>(
    "SELECT TABLE_NAME AS t, INDEX_NAME AS i, COLUMN_NAME AS c, NON_UNIQUE AS u FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
  );
  return JSON.stringify([cols.rows, idx.rows]);
}

async function count(db: Db, table: string): Promise<number> {
  const r = await db.execute<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return r.rows[0]!.n;
}

Deno.test("migrate: a second run changes nothing", async () => {
  const db = await testDb("migrate_twice");
  const before = await schemaSnapshot(db);
  const again = await migrate(db);
  assert.deepEqual(again.createdTables, []);
  assert.deepEqual(again.addedColumns, []);
  assert.deepEqual(again.addedIndexes, []);
  assert.equal(await schemaSnapshot(db), before);
  assert.equal(again.schemaVersion, "002_instance_namespace");
});

Deno.test("migrate: a predecessor database is upgraded in place with every row kept", async () => {
  const stack = await testStack();
  const db = stack.open(`t_pred_${crypto.randomUUID().slice(0, 8)}`);
  const fixture = await Deno.readTextFile(
    new URL("./fixtures/predecessor_v5_1.sql", import.meta.url),
  );
  for (const stmt of splitStatements(fixture)) await db.execute(stmt);
  const tables = ["clients", "agents", "commands", "pending_switch_commands", "pricing_reports"];
  const counts = Object.fromEntries(
    await Promise.all(tables.map(async (t) => [t, await count(db, t)] as const)),
  );

  const result = await migrate(db);
  assert.ok(result.applied.includes("001_predecessor_upgrade"));
  for (const t of tables) {
    const expected = t === "commands" ? counts[t]! + 1 : counts[t]!; // + the imported legacy row
    assert.equal(await count(db, t), expected, `rows of ${t}`);
  }
  // Clear-text tokens are gone; their hashes let the old tokens keep working.
  const cols = await db.execute(
    "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'clients' AND COLUMN_NAME = 'client_token'",
  );
  assert.equal(cols.rows.length, 0);
  const demo = await db.execute<{ token_hash: string; opening_savings: number }>(
    "SELECT token_hash, opening_savings FROM clients WHERE name = 'Demo Client'",
  );
  assert.equal(demo.rows[0]!.token_hash, await hashOpaqueToken("demo-token-12345"));
  const acme = await db.execute<{ opening_savings: number; total_savings: number }>(
    "SELECT opening_savings, total_savings FROM clients WHERE name = 'Acme'",
  );
  assert.equal(acme.rows[0]!.opening_savings, 123.45);
  // The nightly reset event and the foreign keys are gone.
  const events = await db.execute(
    "SELECT 1 FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()",
  );
  assert.equal(events.rows.length, 0);
  const fks = await db.execute(
    "SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
  );
  assert.equal(fks.rows.length, 0);
  // Of two open commands of one agent only the newest stays open; the legacy row is closed.
  const cmds = await db.execute<{ id: string; status: string }>(
    "SELECT id, status FROM commands ORDER BY created_at",
  );
  assert.deepEqual(cmds.rows.map((r) => r.status), [
    "completed",
    "expired",
    "superseded",
    "pending",
  ]);
  // Price snapshots: the old rows are kept beside, bucketed into the new series.
  assert.equal(await count(db, "spot_price_snapshots_legacy"), 3);
  const snaps = await db.execute<{ bucket_start: string; price: number }>(
    "SELECT bucket_start, price FROM spot_price_snapshots ORDER BY bucket_start",
  );
  assert.deepEqual(snaps.rows, [
    { bucket_start: "2026-11-01T10:00:00.000Z", price: 0.013 },
    { bucket_start: "2026-11-01T10:05:00.000Z", price: 0.014 },
  ]);
  // Status columns became VARCHAR and keep their values.
  const ag = await db.execute<{ status: string }>("SELECT status FROM agents ORDER BY id");
  assert.deepEqual(ag.rows.map((r) => r.status), ["online", "switching"]);
  // pricing_reports got its tenant column filled.
  const pr = await db.execute<{ client_id: string }>("SELECT client_id FROM pricing_reports");
  assert.equal(pr.rows[0]!.client_id, "11111111-1111-1111-1111-111111111111");

  const second = await migrate(db);
  assert.deepEqual(second.applied, []);
  assert.deepEqual(second.addedColumns, []);
  assert.equal(await count(db, "commands"), counts.commands! + 1);
});

Deno.test("views: the seed's three views return the right rows", async () => {
  const db = await testDb("views");
  await db.execute(
    "INSERT INTO clients (id, name, email) VALUES ('c1', 'One', 'one@x.test'), ('c2', 'Two', 'two@x.test')",
  );
  await db.execute(
    "INSERT INTO agents (id, client_id, logical_agent_id, status, hostname, instance_type) VALUES ('a1', 'c1', 'l1', 'online', 'h1', 't3.small'), ('a2', 'c1', 'l2', 'offline', 'h2', 't3.small'), ('a3', 'c1', 'l3', 'deleted', 'h3', 't3.small')",
  );
  await db.execute(
    "INSERT INTO savings_snapshots (client_id, snapshot_date, daily_savings, total_savings, average_savings_percent) VALUES ('c1', CURDATE() - INTERVAL 1 DAY, 10, 60, 50), ('c1', CURDATE() - INTERVAL 10 DAY, 20, 50, 70), ('c1', CURDATE() - INTERVAL 40 DAY, 30, 30, 60)",
  );
  const s = await db.execute<Record<string, unknown>>(
    "SELECT * FROM v_client_savings_summary ORDER BY client_id",
  );
  assert.deepEqual(s.rows, [
    {
      client_id: "c1",
      client_name: "One",
      lifetime_savings: 60,
      monthly_savings: 30,
      weekly_savings: 10,
      avg_savings_percent: 60,
      agent_count: 2,
      online_agents: 1,
    },
    {
      client_id: "c2",
      client_name: "Two",
      lifetime_savings: 0,
      monthly_savings: 0,
      weekly_savings: 0,
      avg_savings_percent: 0,
      agent_count: 0,
      online_agents: 0,
    },
  ]);

  await db.execute(
    "INSERT INTO pool_risk_analysis (pool_id, instance_type, region, az, analysis_time, risk_score, recommendation) VALUES ('p1', 't3.small', 'r', 'r-a', '2026-11-27 10:00:00', 0.1, 'safe'), ('p1', 't3.small', 'r', 'r-a', '2026-11-27 10:15:00', 0.8, 'avoid'), ('p2', 't3.small', 'r', 'r-b', '2026-11-27 10:00:00', 0.5, 'caution')",
  );
  const risk = await db.execute<{ pool_id: string; risk_score: number; recommendation: string }>(
    "SELECT pool_id, risk_score, recommendation FROM v_pool_risk_current ORDER BY pool_id",
  );
  assert.deepEqual(risk.rows, [
    { pool_id: "p1", risk_score: 0.8, recommendation: "avoid" },
    { pool_id: "p2", risk_score: 0.5, recommendation: "caution" },
  ]);

  await db.execute(
    "INSERT INTO termination_events (agent_id, instance_id, event_type, detected_at) VALUES ('a1', 'i-1', 'termination_notice', NOW() - INTERVAL 1 HOUR), ('a1', 'i-1', 'rebalance_recommendation', NOW() - INTERVAL 2 DAY)",
  );
  const te = await db.execute<{ instance_id: string; hostname: string; client_name: string }>(
    "SELECT instance_id, hostname, client_name, event_type FROM v_recent_termination_events",
  );
  assert.deepEqual(te.rows, [{
    instance_id: "i-1",
    hostname: "h1",
    client_name: "One",
    event_type: "termination_notice",
  }]);
});

Deno.test("routines: sp_calculate_daily_savings writes what its SQL says (MariaDB)", async () => {
  const db = await testDb("routines");
  await applyRoutines(db);
  await applyRoutines(db); // re-applying is harmless
  await db.execute(
    "INSERT INTO clients (id, name, email) VALUES ('c1', 'One', 'one@x.test'), ('c2', 'Two', 'two@x.test')",
  );
  await db.execute(
    "INSERT INTO switches (id, client_id, agent_id, new_instance_id, savings_impact, initiated_at) VALUES ('s1', 'c1', 'a1', 'i-1', 0.02, '2026-11-26 03:00:00'), ('s2', 'c1', 'a1', 'i-2', 0.01, '2026-11-26 20:00:00'), ('s3', 'c1', 'a1', 'i-3', 0.05, '2026-11-25 20:00:00')",
  );
  await db.execute("CALL sp_calculate_daily_savings('2026-11-26')");
  const r = await db.execute<{ client_id: string; daily_savings: number; switch_count: number }>(
    "SELECT client_id, daily_savings, switch_count FROM savings_snapshots WHERE snapshot_date = '2026-11-26' ORDER BY client_id",
  );
  assert.deepEqual(r.rows, [
    { client_id: "c1", daily_savings: 0.72, switch_count: 2 },
    { client_id: "c2", daily_savings: 0, switch_count: 0 },
  ]);
  await db.execute(
    "INSERT INTO agent_health_metrics (agent_id, metric_time) VALUES ('a1', NOW() - INTERVAL 40 DAY), ('a1', NOW())",
  );
  await db.execute("CALL sp_cleanup_old_metrics(30)");
  assert.equal(await count(db, "agent_health_metrics"), 1);
  const ev = await db.execute<{ n: string }>(
    "SELECT EVENT_NAME AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY EVENT_NAME",
  );
  assert.deepEqual(ev.rows.map((x) => x.n), [
    "evt_calculate_daily_savings",
    "evt_cleanup_old_metrics",
  ]);
});

Deno.test("migrate: the schema version is null before the first migration and the latest after", async () => {
  const stack = await testStack();
  const db = stack.open(`t_version_${crypto.randomUUID().slice(0, 8)}`);
  assert.equal(await currentSchemaVersion(db), null); // what `deno task start` refuses to serve
  await migrate(db);
  assert.equal(await currentSchemaVersion(db), LATEST_SCHEMA_VERSION);
});
