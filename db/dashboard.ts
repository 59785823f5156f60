/**
 * Dashboard reads of one client: the overview counters and the chart series. Every counter is
 * aggregated in its own subquery over its own table, so no total is multiplied by a join (B-17,
 * B-19), and the displayed agent status is derived from the heartbeat at read time.
 */
import type { Queryable } from "./client.ts";
import { bool, num } from "./client.ts";

/**
 * An agent's displayed status (agents aliased `a`): `online` only while its last heartbeat is newer
 * than the cutoff, whatever the stale-agent job last wrote. One `?`: the cutoff (now − timeout).
 */
export const EFFECTIVE_STATUS_SQL =
  "CASE WHEN a.status = 'online' AND (a.last_heartbeat_at IS NULL OR a.last_heartbeat_at < ?) THEN 'offline' ELSE a.status END";

// The cutoff for EFFECTIVE_STATUS_SQL is the stale-agent rule's own.
export { heartbeatCutoff } from "./stale_agents.ts";

/** True when the client exists (admin requests name any client id). */
export async function clientExists(db: Queryable, clientId: string): Promise<boolean> {
  const r = await db.execute<{ n: number }>("SELECT COUNT(*) AS n FROM clients WHERE id = ?", [
    clientId,
  ]);
  return Number(r.rows[0]?.n ?? 0) > 0;
}

/** The overview counters of one client. */
export interface ClientOverview {
  id: string;
  name: string;
  email: string;
  isActive: boolean;
  status: string;
  agentsTotal: number;
  agentsOnline: number;
  lastSync: string | null;
  activeInstances: number;
  spotInstances: number;
  totalSwitches: number;
  switchesToday: number;
  totalDowntimeSeconds: number;
  switchesWithDowntime: number;
}

interface OverviewRow {
  id: string;
  name: string;
  email: string;
  is_active: number;
  status: string;
  agents_total: number;
  agents_online: number | null;
  last_sync: string | null;
  active_instances: number;
  spot_instances: number | null;
  total_switches: number;
  switches_today: number | null;
  total_downtime: number | null;
  switches_with_downtime: number | null;
}

/** Reads the overview counters in one statement; null when the client does not exist. */
export async function clientOverview(
  db: Queryable,
  opts: { clientId: string; heartbeatCutoff: Date; dayStart: Date },
): Promise<ClientOverview | null> {
  const r = await db.execute<OverviewRow>(
    `SELECT c.id, c.name, c.email, c.is_active, c.status,
      (SELECT COUNT(*) FROM agents a WHERE a.client_id = c.id AND a.status <> 'deleted') AS agents_total,
      (SELECT COUNT(*) FROM agents a WHERE a.client_id = c.id AND a.status = 'online' AND a.last_heartbeat_at >= ?) AS agents_online,
      (SELECT MAX(a.last_heartbeat_at) FROM agents a WHERE a.client_id = c.id) AS last_sync,
      (SELECT COUNT(*) FROM instances i WHERE i.client_id = c.id AND i.is_active = 1) AS active_instances,
      (SELECT SUM(i.current_mode = 'spot') FROM instances i WHERE i.client_id = c.id AND i.is_active = 1) AS spot_instances,
      (SELECT COUNT(*) FROM switches s WHERE s.client_id = c.id) AS total_switches,
      (SELECT SUM(COALESCE(s.initiated_at, s.created_at) >= ?) FROM switches s WHERE s.client_id = c.id) AS switches_today,
      (SELECT SUM(s.downtime_seconds) FROM switches s WHERE s.client_id = c.id) AS total_downtime,
      (SELECT SUM(s.downtime_seconds IS NOT NULL) FROM switches s WHERE s.client_id = c.id) AS switches_with_downtime
    FROM clients c WHERE c.id = ?`,
    [opts.heartbeatCutoff, opts.dayStart, opts.clientId],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    isActive: bool(row.is_active),
    status: row.status,
    agentsTotal: num(row.agents_total) ?? 0,
    agentsOnline: num(row.agents_online) ?? 0,
    lastSync: row.last_sync,
    activeInstances: num(row.active_instances) ?? 0,
    spotInstances: num(row.spot_instances) ?? 0,
    totalSwitches: num(row.total_switches) ?? 0,
    switchesToday: num(row.switches_today) ?? 0,
    totalDowntimeSeconds: num(row.total_downtime) ?? 0,
    switchesWithDowntime: num(row.switches_with_downtime) ?? 0,
  };
}

/** A row of the overview's agent strip. */
export interface ActiveAgentRow {
  id: string;
  status: string;
  hostname: string | null;
  instance_id: string | null;
  instance_type: string | null;
  region: string | null;
  current_mode: string;
  last_heartbeat_at: string | null;
}

/** The client's agents (not deleted) for the overview: online first, then by last heartbeat. */
export async function overviewAgents(
  db: Queryable,
  opts: { clientId: string; heartbeatCutoff: Date; limit: number },
): Promise<ActiveAgentRow[]> {
  const r = await db.execute<ActiveAgentRow>(
    `SELECT a.id, ${EFFECTIVE_STATUS_SQL} AS status, a.hostname, a.instance_id, a.instance_type, a.region, a.current_mode, a.last_heartbeat_at
     FROM agents a WHERE a.client_id = ? AND a.status <> 'deleted'
     ORDER BY (a.status = 'online' AND a.last_heartbeat_at >= ?) DESC, a.last_heartbeat_at DESC, a.id LIMIT ?`,
    [opts.heartbeatCutoff, opts.clientId, opts.heartbeatCutoff, opts.limit],
  );
  return r.rows;
}

/** One point of the monthly chart. */
export interface ModeCount {
  mode: string;
  count: number;
}

/** Active instances of a client per mode. */
export async function modeDistribution(db: Queryable, clientId: string): Promise<ModeCount[]> {
  const r = await db.execute<{ mode: string; n: number }>(
    "SELECT current_mode AS mode, COUNT(*) AS n FROM instances WHERE client_id = ? AND is_active = 1 GROUP BY current_mode ORDER BY current_mode",
    [clientId],
  );
  return r.rows.map((x) => ({ mode: x.mode, count: num(x.n) ?? 0 }));
}

/** Switches per UTC day since `since` (days without switches are absent). */
export async function switchesPerDay(
  db: Queryable,
  opts: { clientId: string; since: Date },
): Promise<{ date: string; switches: number }[]> {
  const r = await db.execute<{ d: string; n: number }>(
    "SELECT DATE_FORMAT(COALESCE(initiated_at, created_at), '%Y-%m-%d') AS d, COUNT(*) AS n FROM switches WHERE client_id = ? AND COALESCE(initiated_at, created_at) >= ? GROUP BY d ORDER BY d",
    [opts.clientId, opts.since],
  );
  return r.rows.map((x) => ({ date: x.d, switches: num(x.n) ?? 0 }));
}

/**
 * A LIKE pattern matching `text` literally anywhere (B-07: `%` and `_` typed by a user are not
 * wildcards). Use with `ESCAPE '!'`.
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (ch) => `!${ch}`)}%`;
}
