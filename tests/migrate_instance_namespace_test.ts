/**
 * Migration 002 (instance ids per client): an upgrade from schema version 001 and from the
 * predecessor keeps every row, keys instances by (client_id, id) and enforces one open segment
 * per instance.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { splitStatements } from "../db/schema_parse.ts";
import type { Db } from "../db/client.ts";
import { testStack } from "./_support.ts";

async function keyColumns(db: Db, table: string, index: string): Promise<string[]> {
  const r = await db.execute<{ c: string; u: number }>(
    "SELECT COLUMN_NAME AS c, NON_UNIQUE AS u FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX",
    [table, index],
  );
  return r.rows.map((x) => `${x.c}${Number(x.u) === 0 ? "" : " (not unique)"}`);
}

async function loadFixture(db: Db, file: string): Promise<void> {
  const sql = await Deno.readTextFile(new URL(`./fixtures/${file}`, import.meta.url));
  for (const stmt of splitStatements(sql)) await db.execute(stmt);
}

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";

Deno.test("migration 002: a schema-001 database keeps every row and gets per-client instance ids", async () => {
  const db = (await testStack()).open(`t_m002_${crypto.randomUUID().slice(0, 8)}`);
  await loadFixture(db, "schema_001.sql");
  await db.execute(
    "INSERT INTO schema_migrations (version, description) VALUES ('001_predecessor_upgrade', 'x')",
  );
  for (const [id, name] of [[A, "a"], [B, "b"]]) {
    await db.execute("INSERT INTO clients (id, name, email) VALUES (?, ?, ?)", [
      id,
      name,
      `${name}@example.test`,
    ]);
  }
  await db.execute(
    "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, current_mode) VALUES ('i-0aaa', ?, NULL, 'm5.large', 'us-east-1', 'us-east-1a', 'spot'), ('i-0bbb', ?, NULL, 'c5.large', 'us-east-1', 'us-east-1b', 'ondemand')",
    [A, B],
  );
  await db.execute(
    "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, instance_type, region, started_at, ended_at) VALUES (?, 'ag-1', 'i-0aaa', 'spot', 'm5.large', 'us-east-1', '2026-11-01 00:00:00', NULL), (?, 'ag-1', 'i-0aaa', 'ondemand', 'm5.large', 'us-east-1', '2026-10-01 00:00:00', '2026-11-01 00:00:00'), (?, 'ag-2', 'i-0bbb', 'ondemand', 'c5.large', 'us-east-1', '2026-11-01 00:00:00', NULL)",
    [A, A, B],
  );

  const result = await migrate(db);
  assert.deepEqual(result.applied, ["002_instance_namespace"]);
  const inst = await db.execute<{ id: string; client_id: string }>(
    "SELECT id, client_id FROM instances ORDER BY id",
  );
  assert.deepEqual(inst.rows, [{ id: "i-0aaa", client_id: A }, { id: "i-0bbb", client_id: B }]);
  assert.deepEqual(await keyColumns(db, "instances", "PRIMARY"), ["client_id", "id"]);
  assert.deepEqual(await keyColumns(db, "instances", "idx_instances_id"), ["id (not unique)"]);
  assert.deepEqual(await keyColumns(db, "instance_segments", "uk_segments_one_open"), [
    "client_id",
    "open_instance_id",
  ]);
  const segs = await db.execute<{ instance_id: string; open_instance_id: string | null }>(
    "SELECT instance_id, open_instance_id FROM instance_segments ORDER BY id",
  );
  assert.deepEqual(segs.rows, [
    { instance_id: "i-0aaa", open_instance_id: "i-0aaa" },
    { instance_id: "i-0aaa", open_instance_id: null },
    { instance_id: "i-0bbb", open_instance_id: "i-0bbb" },
  ]);
  // The same EC2 id in another client's namespace is a different row.
  await db.execute(
    "INSERT INTO instances (id, client_id, instance_type, region, az) VALUES ('i-0aaa', ?, 'm5.large', 'us-east-1', 'us-east-1a')",
    [B],
  );
  assert.equal((await db.execute("SELECT 1 FROM instances WHERE id = 'i-0aaa'")).rows.length, 2);
  // A second open segment of one instance is refused by the database.
  await assert.rejects(
    db.execute(
      "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, instance_type, region, started_at) VALUES (?, 'ag-1', 'i-0aaa', 'spot', 'm5.large', 'us-east-1', '2026-11-02 00:00:00')",
      [A],
    ),
    /Duplicate entry/,
  );

  const again = await migrate(db);
  assert.deepEqual(again.applied, []);
  assert.deepEqual(again.addedColumns, []);
  assert.deepEqual(again.addedIndexes, []);
});

Deno.test("migration 002: a predecessor database ends with the same instance keys", async () => {
  const db = (await testStack()).open(`t_m002p_${crypto.randomUUID().slice(0, 8)}`);
  await loadFixture(db, "predecessor_v5_1.sql");
  const result = await migrate(db);
  assert.deepEqual(result.applied, ["001_predecessor_upgrade", "002_instance_namespace"]);
  assert.deepEqual(await keyColumns(db, "instances", "PRIMARY"), ["client_id", "id"]);
  assert.deepEqual(await keyColumns(db, "instance_segments", "uk_segments_one_open"), [
    "client_id",
    "open_instance_id",
  ]);
});
