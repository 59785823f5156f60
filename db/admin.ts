/**
 * Cross-tenant reads of the admin dashboard (CONTRACT E58, E61–E63, E68). Totals are aggregated
 * per table in their own subqueries, never over a join (B-17).
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";
import { bool, col, type Decoded, decoder, num0, opt, str } from "./_rows.ts";
import { containsPattern, EFFECTIVE_STATUS_SQL } from "./dashboard.ts";
import { INSTANCE_PRICES_SQL } from "./dashboard_instances.ts";

/** Global counters of the admin overview. */
export interface AdminStats {
  totalAccounts: number;
  activeAccounts: number;
  agentsTotal: number;
  agentsOnline: number;
  poolsCovered: number;
  totalSavings: number;
  totalSwitches: number;
  totalDowntimeSeconds: number;
  manualSwitches: number;
  activeInstances: number;
}

/** Reads the global counters in one statement (one subquery per table). */
export async function adminStats(db: Queryable, heartbeatCutoff: Date): Promise<AdminStats> {
  const r = await db.execute<Record<string, number | null>>(
    `SELECT
       (SELECT COUNT(*) FROM clients) AS accounts,
       (SELECT COUNT(*) FROM clients WHERE is_active = 1 AND status = 'active') AS active_accounts,
       (SELECT COUNT(*) FROM agents WHERE status <> 'deleted') AS agents_total,
       (SELECT COUNT(*) FROM agents WHERE status = 'online' AND last_heartbeat_at >= ?) AS agents_online,
       (SELECT COUNT(*) FROM spot_pools WHERE is_active = 1) AS pools,
       (SELECT SUM(opening_savings) FROM clients) AS opening,
       (SELECT SUM(daily_savings) FROM savings_snapshots) AS ledger,
       (SELECT COUNT(*) FROM switches) AS switches,
       (SELECT SUM(downtime_seconds) FROM switches) AS downtime,
       (SELECT COUNT(*) FROM switches WHERE COALESCE(trigger_type, event_trigger) = 'manual') AS manual,
       (SELECT COUNT(*) FROM instances WHERE is_active = 1) AS instances`,
    [heartbeatCutoff],
  );
  const x = r.rows[0] ?? {};
  const n = (k: string) => num(x[k]) ?? 0;
  return {
    totalAccounts: n("accounts"),
    activeAccounts: n("active_accounts"),
    agentsTotal: n("agents_total"),
    agentsOnline: n("agents_online"),
    poolsCovered: n("pools"),
    totalSavings: Math.round((n("opening") + n("ledger")) * 10_000) / 10_000,
    totalSwitches: n("switches"),
    totalDowntimeSeconds: n("downtime"),
    manualSwitches: n("manual"),
    activeInstances: n("instances"),
  };
}

/** Filters of the admin instance list. */
export interface AdminInstanceFilter {
  status?: "active" | "terminated";
  mode?: string;
  region?: string;
  search?: string;
}

function instanceWhere(f: AdminInstanceFilter): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.status === "active") where.push("i.is_active = 1");
  if (f.status === "terminated") where.push("i.is_active = 0");
  if (f.mode) {
    where.push("i.current_mode = ?");
    args.push(f.mode);
  }
  if (f.region) {
    where.push("i.region = ?");
    args.push(f.region);
  }
  if (f.search) {
    where.push("(i.id LIKE ? ESCAPE '!' OR i.instance_type LIKE ? ESCAPE '!')");
    args.push(containsPattern(f.search), containsPattern(f.search));
  }
  return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", args };
}

const ADMIN_INSTANCE_ITEM = {
  id: str,
  instanceId: col("id", str),
  clientId: str,
  clientName: str,
  agentId: opt,
  region: str,
  az: str,
  instanceType: str,
  currentMode: str,
  currentPoolId: opt,
  spotPrice: num0,
  ondemandPrice: num0,
  isActive: bool,
  instanceStatus: str,
  installedAt: opt,
  createdAt: str,
  logicalAgentId: opt,
  agentStatus: opt,
};

/** An instance as the admin dashboard lists it. */
export type AdminInstanceItem = Decoded<typeof ADMIN_INSTANCE_ITEM>;
const toAdminInstance = decoder(ADMIN_INSTANCE_ITEM);

/** A page of every client's instances (newest first) and the filtered total. */
export async function adminInstances(
  db: Queryable,
  opts: AdminInstanceFilter & { limit: number; offset: number },
): Promise<{ rows: AdminInstanceItem[]; total: number }> {
  const w = instanceWhere(opts);
  const r = await db.execute<Record<string, unknown>>(
    `SELECT i.id, i.client_id, c.name AS client_name, i.agent_id, i.region, i.az, i.instance_type,
       i.current_mode, i.current_pool_id,
       ${INSTANCE_PRICES_SQL},
       i.is_active, i.instance_status, i.installed_at, i.created_at, a.logical_agent_id, a.status AS agent_status
     FROM instances i JOIN clients c ON c.id = i.client_id LEFT JOIN agents a ON a.id = i.agent_id
     ${w.sql} ORDER BY i.created_at DESC, i.id LIMIT ? OFFSET ?`,
    [...w.args, opts.limit, opts.offset],
  );
  const n = await db.execute<{ n: number }>(
    `SELECT COUNT(*) AS n FROM instances i ${w.sql}`,
    w.args,
  );
  return { rows: r.rows.map(toAdminInstance), total: num(n.rows[0]?.n) ?? 0 };
}

const ADMIN_AGENT_ITEM = {
  id: str,
  logicalAgentId: str,
  hostname: opt,
  clientId: str,
  clientName: str,
  instanceId: opt,
  instanceType: opt,
  region: opt,
  az: opt,
  currentMode: str,
  currentPoolId: opt,
  status: str,
  enabled: bool,
  autoSwitchEnabled: bool,
  version: col("agent_version", opt),
  lastHeartbeatAt: opt,
  createdAt: str,
};

/** An agent as the admin dashboard lists it. */
export type AdminAgentItem = Decoded<typeof ADMIN_AGENT_ITEM>;

/** A page of every client's agents (status derived from the heartbeat) and the filtered total. */
export async function adminAgents(
  db: Queryable,
  opts: { status?: string; heartbeatCutoff: Date; limit: number; offset: number },
): Promise<{ rows: AdminAgentItem[]; total: number }> {
  const where = opts.status ? `WHERE ${EFFECTIVE_STATUS_SQL} = ?` : "";
  const whereArgs = opts.status ? [opts.heartbeatCutoff, opts.status] : [];
  const r = await db.execute<Record<string, unknown>>(
    `SELECT a.id, a.logical_agent_id, a.hostname, a.client_id, c.name AS client_name, a.instance_id,
       a.instance_type, a.region, a.az, a.current_mode, a.current_pool_id,
       ${EFFECTIVE_STATUS_SQL} AS status, a.enabled, a.auto_switch_enabled, a.agent_version,
       a.last_heartbeat_at, a.created_at
     FROM agents a JOIN clients c ON c.id = a.client_id ${where}
     ORDER BY a.last_heartbeat_at DESC, a.id LIMIT ? OFFSET ?`,
    [opts.heartbeatCutoff, ...whereArgs, opts.limit, opts.offset],
  );
  const n = await db.execute<{ n: number }>(
    `SELECT COUNT(*) AS n FROM agents a ${where}`,
    whereArgs,
  );
  return { rows: r.rows.map(decoder(ADMIN_AGENT_ITEM)), total: num(n.rows[0]?.n) ?? 0 };
}

const ACTIVITY_ITEM = {
  id: num0,
  eventType: str,
  severity: str,
  message: opt,
  clientId: opt,
  time: col("created_at", str),
};

/** One entry of the activity feed. */
export type ActivityItem = Decoded<typeof ACTIVITY_ITEM>;

/** The newest info/warning system events (the admin activity feed). */
export async function recentActivity(
  db: Queryable,
  opts: { limit: number; offset: number },
): Promise<ActivityItem[]> {
  const r = await db.execute(
    "SELECT id, event_type, severity, message, client_id, created_at FROM system_events WHERE severity IN ('info', 'warning') ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
    [opts.limit, opts.offset],
  );
  return r.rows.map(decoder(ACTIVITY_ITEM));
}

/** One row of the global-stats export. */
export interface ClientStatsRow {
  id: string;
  name: string;
  email: string;
  totalSavings: number;
  activeInstances: number;
  enabledAgents: number;
  createdAt: string;
}

/** Active clients with their ledger savings, active instances and enabled agents (per-table groups). */
export async function activeClientStats(
  db: Queryable,
  opts: { limit: number; offset: number },
): Promise<ClientStatsRow[]> {
  const r = await db.execute<Record<string, unknown>>(
    `SELECT c.id, c.name, c.email, c.opening_savings + COALESCE(s.total, 0) AS total_savings,
       COALESCE(i.n, 0) AS active_instances, COALESCE(a.n, 0) AS enabled_agents, c.created_at
     FROM clients c
     LEFT JOIN (SELECT client_id, SUM(daily_savings) AS total FROM savings_snapshots GROUP BY client_id) s ON s.client_id = c.id
     LEFT JOIN (SELECT client_id, COUNT(*) AS n FROM instances WHERE is_active = 1 GROUP BY client_id) i ON i.client_id = c.id
     LEFT JOIN (SELECT client_id, COUNT(*) AS n FROM agents WHERE enabled = 1 AND status <> 'deleted' GROUP BY client_id) a ON a.client_id = c.id
     WHERE c.is_active = 1 ORDER BY c.created_at, c.id LIMIT ? OFFSET ?`,
    [opts.limit, opts.offset],
  );
  return r.rows.map((x) => ({
    id: String(x.id),
    name: String(x.name),
    email: String(x.email),
    totalSavings: Math.round((num(x.total_savings) ?? 0) * 10_000) / 10_000,
    activeInstances: num(x.active_instances) ?? 0,
    enabledAgents: num(x.enabled_agents) ?? 0,
    createdAt: String(x.created_at),
  }));
}
