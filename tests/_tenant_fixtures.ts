/**
 * Test fixtures for tenancy: rows inserted into any table from information_schema (so tables
 * added later are covered without editing the tests), a complete tenant (client, agent, instance,
 * replica, command, notification, switch) and a scan proving that no secret was logged or stored.
 */
import assert from "node:assert/strict";
import type { Queryable } from "../db/client.ts";
import { hashOpaqueToken, signClientToken } from "../core/tokens.ts";
import type { TestContext } from "./_support.ts";

interface ColumnInfo {
  name: string;
  dataType: string;
  columnType: string;
  maxLength: number | null;
  required: boolean;
}

const columnCache = new WeakMap<Queryable, Map<string, ColumnInfo[]>>();

async function columnsOf(db: Queryable, table: string): Promise<ColumnInfo[]> {
  let perDb = columnCache.get(db);
  if (!perDb) columnCache.set(db, perDb = new Map());
  const hit = perDb.get(table);
  if (hit) return hit;
  const r = await db.execute<{
    c: string;
    dt: string;
    ct: string;
    ml: number | null;
    nul: string;
    def: string | null;
    extra: string;
  }>(
    "SELECT COLUMN_NAME AS c, DATA_TYPE AS dt, COLUMN_TYPE AS ct, CHARACTER_MAXIMUM_LENGTH AS ml, IS_NULLABLE AS nul, COLUMN_DEFAULT AS def, EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
    [table],
  );
  const cols = r.rows.map((x) => ({
    name: x.c,
    dataType: String(x.dt).toLowerCase(),
    columnType: String(x.ct).toLowerCase(),
    maxLength: x.ml === null ? null : Number(x.ml),
    required: x.nul === "NO" && x.def === null && !/auto_increment|generated/i.test(x.extra),
  }));
  perDb.set(table, cols);
  return cols;
}

function sampleValue(col: ColumnInfo, seq: number): unknown {
  const t = col.dataType;
  if (t === "enum") return /enum\('([^']*)'/.exec(col.columnType)?.[1] ?? "";
  if (/int|decimal|double|float|numeric|bit/.test(t)) return 1;
  if (t === "datetime" || t === "timestamp") return new Date();
  if (t === "date") {
    return new Date(Date.UTC(2026, 0, 1) + seq * 86_400_000).toISOString().slice(0, 10);
  }
  if (t === "time") return "00:00:00";
  if (t === "json" || t === "longtext") return "{}"; // MariaDB JSON is LONGTEXT + json_valid()
  const text = `x${seq}${crypto.randomUUID().replaceAll("-", "")}`;
  return text.slice(0, Math.max(1, Math.min(col.maxLength ?? 36, 36)));
}

let sequence = 0;

/** Inserts one row into `table`: `values` plus a sample for every required column left out. */
export async function insertRow(
  db: Queryable,
  table: string,
  values: Record<string, unknown>,
): Promise<void> {
  const cols = await columnsOf(db, table);
  assert.ok(cols.length > 0, `table ${table} does not exist`);
  const row: Record<string, unknown> = {};
  for (const col of cols) {
    if (col.name in values) row[col.name] = values[col.name];
    else if (col.required) row[col.name] = sampleValue(col, ++sequence);
  }
  const names = Object.keys(row);
  await db.execute(
    `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`,
    names.map((n) => row[n]),
  );
}

/** Base tables (not views) with a `client_id` and/or `agent_id` column, and which ones. */
export async function tenantTables(db: Queryable): Promise<Map<string, Set<string>>> {
  const r = await db.execute<{ t: string; c: string }>(
    "SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' AND c.COLUMN_NAME IN ('client_id', 'agent_id')",
  );
  const out = new Map<string, Set<string>>();
  for (const { t, c } of r.rows) out.set(t, (out.get(t) ?? new Set()).add(c));
  return out;
}

/** Rows per table that still reference the client or one of `agentIds`. */
export async function rowsOfTenant(
  db: Queryable,
  clientId: string,
  agentIds: string[],
): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const [table, cols] of await tenantTables(db)) {
    const where: string[] = [];
    const args: unknown[] = [];
    if (cols.has("client_id")) {
      where.push("client_id = ?");
      args.push(clientId);
    }
    if (cols.has("agent_id") && agentIds.length > 0) {
      where.push("agent_id IN (?)");
      args.push(agentIds);
    }
    if (where.length === 0) continue;
    const r = await db.execute<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${table} WHERE ${where.join(" OR ")}`,
      args,
    );
    if (Number(r.rows[0]!.n) > 0) found[table] = Number(r.rows[0]!.n);
  }
  return found;
}

/** One tenant with one of everything the API addresses by id, and its credentials. */
export interface Tenant {
  clientId: string;
  agentId: string;
  instanceId: string;
  replicaId: string;
  commandId: string;
  notificationId: string;
  switchId: string;
  /** Current JWT (token_version 2). */
  token: string;
  /** JWT of version 1: revoked by the rotation to version 2. */
  revokedToken: string;
  /** Opaque token of an older installation, known by its SHA-256 only. */
  legacyToken: string;
}

/** Creates a tenant directly in the database (token_version 2, plus a legacy token hash). */
export async function seedTenant(t: TestContext, label: string): Promise<Tenant> {
  const db = t.db;
  const id = crypto.randomUUID();
  const short = id.slice(0, 8);
  const legacyToken = `token-${crypto.randomUUID().replaceAll("-", "")}`;
  await insertRow(db, "clients", {
    id,
    name: `${label}-${short}`,
    email: `${label}-${short}@example.test`,
    token_version: 2,
    token_hash: await hashOpaqueToken(legacyToken),
    status: "active",
    is_active: 1,
  });
  const agentId = crypto.randomUUID();
  const instanceId = `i-${short}${crypto.randomUUID().slice(0, 8)}`;
  const now = t.clock();
  await insertRow(db, "agents", {
    id: agentId,
    client_id: id,
    logical_agent_id: `logical-${short}`,
    hostname: `host-${short}`,
    instance_id: instanceId,
    instance_type: "t3.medium",
    region: "us-east-1",
    az: "us-east-1a",
    current_mode: "spot",
    current_pool_id: "t3.medium.us-east-1a",
    status: "online",
    enabled: 1,
    last_heartbeat_at: now,
  });
  await insertRow(db, "agent_configs", { agent_id: agentId });
  await insertRow(db, "instances", {
    id: instanceId,
    client_id: id,
    agent_id: agentId,
    instance_type: "t3.medium",
    region: "us-east-1",
    az: "us-east-1a",
    current_mode: "spot",
    current_pool_id: "t3.medium.us-east-1a",
    is_active: 1,
  });
  const replicaId = crypto.randomUUID();
  await insertRow(db, "replica_instances", {
    id: replicaId,
    agent_id: agentId,
    client_id: id,
    instance_id: `i-r${short}`,
    instance_type: "t3.medium",
    region: "us-east-1",
    az: "us-east-1b",
    pool_id: "t3.medium.us-east-1b",
    status: "ready",
    is_active: 1,
  });
  const commandId = crypto.randomUUID();
  await insertRow(db, "commands", {
    id: commandId,
    client_id: id,
    agent_id: agentId,
    target_mode: "ondemand",
    instance_id: instanceId,
    status: "pending",
  });
  const notificationId = crypto.randomUUID();
  await insertRow(db, "notifications", { id: notificationId, client_id: id, message: "hello" });
  const switchId = crypto.randomUUID();
  await insertRow(db, "switches", {
    id: switchId,
    client_id: id,
    agent_id: agentId,
    new_instance_id: `i-n${short}`,
    old_instance_id: instanceId,
  });
  const keys = t.deps.services.keys;
  return {
    clientId: id,
    agentId,
    instanceId,
    replicaId,
    commandId,
    notificationId,
    switchId,
    token: await signClientToken(keys, { clientId: id, version: 2, now }),
    revokedToken: await signClientToken(keys, { clientId: id, version: 1, now }),
    legacyToken,
  };
}

/** Asserts that no secret appears in any captured log line or in any row of any table. */
export async function assertNoSecretLeak(t: TestContext, secrets: Iterable<string>): Promise<void> {
  const list = [...new Set(secrets)].filter((s) => s.length >= 8);
  assert.ok(list.length > 0, "no secrets to look for");
  for (const line of t.logs) {
    for (const s of list) assert.ok(!line.includes(s), `a token appears in a log line: ${line}`);
  }
  const tables = await t.db.execute<{ t: string }>(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
  );
  for (const { t: table } of tables.rows) {
    const rows = await t.db.execute(`SELECT * FROM ${table}`);
    const text = JSON.stringify(rows.rows);
    for (const s of list) assert.ok(!text.includes(s), `a token is stored in table ${table}`);
  }
}
