/** Queries on clients (tenants): lookup for auth, creation, token rotation, listing and deletion. */
import type { Queryable } from "./client.ts";
import { bool, num } from "./client.ts";

/** A clients row as the driver returns it (with db/client.ts casts). */
export interface ClientRow {
  id: string;
  name: string;
  email: string;
  status: string;
  is_active: number;
  token_version: number;
  token_hash: string | null;
  token_fingerprint: string | null;
  token_rotated_at: string | null;
  total_savings: number;
  opening_savings: number;
  downtime_weight: number | null;
  created_at: string;
  updated_at: string;
}

/** A client as the code uses it. */
export interface ClientRecord {
  id: string;
  name: string;
  email: string;
  status: string;
  isActive: boolean;
  tokenVersion: number;
  /** True while an opaque token of an older installation (stored as its hash) still works. */
  hasLegacyToken: boolean;
  tokenFingerprint: string | null;
  tokenRotatedAt: string | null;
  totalSavings: number;
  openingSavings: number;
  downtimeWeight: number | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS =
  "id, name, email, status, is_active, token_version, token_hash, token_fingerprint, token_rotated_at, total_savings, opening_savings, downtime_weight, created_at, updated_at";

/** Maps a row to the domain record. */
export function toClient(r: ClientRow): ClientRecord {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    status: r.status,
    isActive: bool(r.is_active),
    tokenVersion: Number(r.token_version),
    hasLegacyToken: r.token_hash !== null,
    tokenFingerprint: r.token_fingerprint,
    tokenRotatedAt: r.token_rotated_at,
    totalSavings: num(r.total_savings) ?? 0,
    openingSavings: num(r.opening_savings) ?? 0,
    downtimeWeight: num(r.downtime_weight),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Finds a client by id. */
export async function findClientById(db: Queryable, id: string): Promise<ClientRecord | null> {
  const r = await db.execute<ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE id = ?`, [id]);
  return r.rows[0] ? toClient(r.rows[0]) : null;
}

/** Finds a client by the SHA-256 of a legacy opaque token. */
export async function findClientByTokenHash(
  db: Queryable,
  hash: string,
): Promise<ClientRecord | null> {
  const r = await db.execute<ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE token_hash = ?`, [
    hash,
  ]);
  return r.rows[0] ? toClient(r.rows[0]) : null;
}

/** Inserts a client (token_version 1); a duplicate name or e-mail raises a duplicate-key error. */
export async function insertClient(
  db: Queryable,
  c: { id: string; name: string; email: string; tokenFingerprint?: string | null },
): Promise<void> {
  await db.execute(
    "INSERT INTO clients (id, name, email, token_version, token_fingerprint, status, is_active) VALUES (?, ?, ?, 1, ?, 'active', 1)",
    [c.id, c.name, c.email, c.tokenFingerprint ?? null],
  );
}

/** Which unique field of an existing client equals `name` or `email` (case-insensitive collation). */
export async function findClientConflict(
  db: Queryable,
  c: { name: string; email: string },
): Promise<"name" | "email" | null> {
  const r = await db.execute<{ name_taken: number; email_taken: number }>(
    "SELECT COALESCE(MAX(name = ?), 0) AS name_taken, COALESCE(MAX(email = ?), 0) AS email_taken FROM clients WHERE name = ? OR email = ?",
    [c.name, c.email, c.name, c.email],
  );
  const row = r.rows[0];
  if (row && bool(Number(row.name_taken))) return "name";
  if (row && bool(Number(row.email_taken))) return "email";
  return null;
}

/** Locks a client's row for a token rotation and returns its current token version. */
export async function lockClientTokenVersion(tx: Queryable, id: string): Promise<number | null> {
  const r = await tx.execute<{ token_version: number }>(
    "SELECT token_version FROM clients WHERE id = ? FOR UPDATE",
    [id],
  );
  return r.rows[0] ? Number(r.rows[0].token_version) : null;
}

/** Sets a new token version and forgets the legacy token hash (the old tokens stop working). */
export async function rotateClientToken(
  tx: Queryable,
  c: { id: string; version: number; fingerprint: string; now: Date },
): Promise<void> {
  await tx.execute(
    "UPDATE clients SET token_version = ?, token_hash = NULL, token_fingerprint = ?, token_rotated_at = ? WHERE id = ?",
    [c.version, c.fingerprint, c.now, c.id],
  );
}

/** Number of clients. */
export async function countClients(db: Queryable): Promise<number> {
  const r = await db.execute<{ n: number }>("SELECT COUNT(*) AS n FROM clients");
  return Number(r.rows[0]?.n ?? 0);
}

/** A client with the admin dashboard's counters. */
export interface ClientSummary {
  id: string;
  name: string;
  email: string;
  active: boolean;
  agentsOnline: number;
  agentsTotal: number;
  instances: number;
  totalSavings: number;
  lastSync: string | null;
  createdAt: string;
  tokenVersion: number;
  tokenFingerprint: string | null;
  tokenRotatedAt: string | null;
  hasLegacyToken: boolean;
}

interface ClientSummaryRow extends ClientRow {
  agents_online: number;
  agents_total: number;
  active_instances: number;
  last_sync: string | null;
}

// Each counter is its own correlated subquery: a join of agents and instances would multiply
// the counts (and any sum over clients) by the number of rows on the other side (B-17).
const SUMMARY_SELECT = `SELECT ${
  COLUMNS.split(", ").map((c) => `c.${c}`).join(", ")
}, (SELECT COUNT(*) FROM agents a WHERE a.client_id = c.id AND a.status = 'online') AS agents_online, (SELECT COUNT(*) FROM agents a WHERE a.client_id = c.id AND a.status <> 'deleted') AS agents_total, (SELECT COUNT(*) FROM instances i WHERE i.client_id = c.id AND i.is_active = 1) AS active_instances, (SELECT MAX(a.last_heartbeat_at) FROM agents a WHERE a.client_id = c.id) AS last_sync FROM clients c`;

function toSummary(r: ClientSummaryRow): ClientSummary {
  const c = toClient(r);
  return {
    id: c.id,
    name: c.name,
    email: c.email,
    active: c.isActive && c.status === "active",
    agentsOnline: Number(r.agents_online),
    agentsTotal: Number(r.agents_total),
    instances: Number(r.active_instances),
    totalSavings: c.totalSavings,
    lastSync: r.last_sync,
    createdAt: c.createdAt,
    tokenVersion: c.tokenVersion,
    tokenFingerprint: c.tokenFingerprint,
    tokenRotatedAt: c.tokenRotatedAt,
    hasLegacyToken: c.hasLegacyToken,
  };
}

/** Clients newest first with agent/instance counters, one page. */
export async function listClientSummaries(
  db: Queryable,
  page: { limit: number; offset: number },
): Promise<ClientSummary[]> {
  const r = await db.execute<ClientSummaryRow>(
    `${SUMMARY_SELECT} ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?`,
    [page.limit, page.offset],
  );
  return r.rows.map(toSummary);
}

/** One client with the admin dashboard's counters. */
export async function findClientSummary(db: Queryable, id: string): Promise<ClientSummary | null> {
  const r = await db.execute<ClientSummaryRow>(`${SUMMARY_SELECT} WHERE c.id = ?`, [id]);
  return r.rows[0] ? toSummary(r.rows[0]) : null;
}

/** Clients created per UTC day before `until` (only days with creations), oldest first. */
export async function clientCreationsByDay(
  db: Queryable,
  until: Date,
): Promise<{ date: string; created: number; active: number }[]> {
  const r = await db.execute<{ day: string; created: number; active: number }>(
    "SELECT DATE(created_at) AS day, COUNT(*) AS created, SUM(CASE WHEN is_active = 1 AND status = 'active' THEN 1 ELSE 0 END) AS active FROM clients WHERE created_at < ? GROUP BY DATE(created_at) ORDER BY day",
    [until],
  );
  return r.rows.map((x) => ({
    date: String(x.day),
    created: Number(x.created),
    active: num(x.active) ?? 0,
  }));
}

/**
 * Every table that holds rows of a client, by `client_id` and/or by `agent_id` of its agents,
 * children first. The second list exists only on databases upgraded from the predecessor.
 * tests/admin_clients_test.ts fails when a table with either column is missing here.
 */
export const CLIENT_OWNED_TABLES = [
  "agent_configs",
  "commands",
  "instance_segments",
  "switches",
  "instance_switches",
  "replica_instances",
  "replica_cost_log",
  "spot_interruption_events",
  "termination_events",
  "pricing_reports",
  "cleanup_logs",
  "agent_decision_history",
  "agent_health_metrics",
  "savings_snapshots",
  "notifications",
  "system_events",
  "audit_logs",
  "instances",
  "agents",
] as const;
const PREDECESSOR_OWNED_TABLES = [
  "pending_switch_commands",
  "risk_scores",
  "model_predictions",
  "cost_records",
  "client_savings_monthly",
  "client_savings_daily",
] as const;
const ALL_OWNED: readonly string[] = [...PREDECESSOR_OWNED_TABLES, ...CLIENT_OWNED_TABLES];

/** Which owned tables exist here and which of client_id / agent_id each has (one query). */
export async function ownedTableColumns(db: Queryable): Promise<Map<string, Set<string>>> {
  const r = await db.execute<{ t: string; c: string }>(
    "SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_NAME IN (?) AND c.COLUMN_NAME IN ('client_id', 'agent_id')",
    [ALL_OWNED],
  );
  const out = new Map<string, Set<string>>();
  for (const row of r.rows) {
    const cols = out.get(row.t) ?? new Set<string>();
    cols.add(row.c);
    out.set(row.t, cols);
  }
  return out;
}

/**
 * Deletes a client and every row that belongs to it (call inside a transaction; `columns` from
 * `ownedTableColumns`). Returns deleted rows per table, or null when the client does not exist.
 */
export async function deleteClientCascade(
  tx: Queryable,
  id: string,
  columns: Map<string, Set<string>>,
): Promise<Record<string, number> | null> {
  const found = await tx.execute("SELECT id FROM clients WHERE id = ? FOR UPDATE", [id]);
  if (found.rows.length === 0) return null;
  const agents = await tx.execute<{ id: string }>("SELECT id FROM agents WHERE client_id = ?", [
    id,
  ]);
  const agentIds = agents.rows.map((a) => a.id);
  const deleted: Record<string, number> = {};
  // Identifiers come from the constant lists above, never from input.
  for (const table of ALL_OWNED) {
    const cols = columns.get(table);
    if (!cols) continue;
    const where: string[] = [];
    const args: unknown[] = [];
    if (cols.has("client_id")) {
      where.push("client_id = ?");
      args.push(id);
    }
    if (cols.has("agent_id") && agentIds.length > 0) {
      where.push("agent_id IN (?)");
      args.push(agentIds);
    }
    if (where.length === 0) continue;
    const r = await tx.execute(`DELETE FROM ${table} WHERE ${where.join(" OR ")}`, args);
    if (r.rowsAffected > 0) deleted[table] = r.rowsAffected;
  }
  await tx.execute("DELETE FROM clients WHERE id = ?", [id]);
  return deleted;
}

/** One audit trail entry (never a secret in `details`). */
export interface AuditEntry {
  entityType: string;
  entityId: string | null;
  action: string;
  actorType: "admin" | "client" | "cli" | "system";
  actorId: string | null;
  clientId?: string | null;
  details?: Record<string, unknown> | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/** Records an audit log row. */
export async function insertAuditLog(db: Queryable, e: AuditEntry): Promise<void> {
  await db.execute(
    "INSERT INTO audit_logs (entity_type, entity_id, action, actor_type, actor_id, client_id, details, ip_address, user_agent, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [
      e.entityType,
      e.entityId,
      e.action,
      e.actorType,
      e.actorId,
      e.clientId ?? null,
      e.details ? JSON.stringify(e.details) : null,
      e.ipAddress?.slice(0, 64) ?? null,
      e.userAgent?.slice(0, 512) ?? null,
      e.requestId ?? null,
    ],
  );
}
