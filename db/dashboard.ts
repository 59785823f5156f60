/**
 * Dashboard reads of one client: the overview counters and the chart series. Every counter is
 * aggregated in its own subquery over its own table, so no total is multiplied by a join (B-17,
 * B-19), and the displayed agent status is derived from the heartbeat at read time.
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";
import { bool, col, type Decoded, decoder, num0, opt, str } from "./_rows.ts";

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

const CLIENT_OVERVIEW = {
  id: str,
  name: str,
  email: str,
  isActive: bool,
  status: str,
  agentsTotal: num0,
  agentsOnline: num0,
  lastSync: opt,
  activeInstances: num0,
  spotInstances: num0,
  totalSwitches: num0,
  switchesToday: num0,
  totalDowntimeSeconds: col("total_downtime", num0),
  switchesWithDowntime: num0,
};

/** The overview counters of one client. */
export type ClientOverview = Decoded<typeof CLIENT_OVERVIEW>;
const toOverview = decoder(CLIENT_OVERVIEW);

/** Reads the overview counters in one statement; null when the client does not exist. */
export async function clientOverview(
  db: Queryable,
  opts: { clientId: string; heartbeatCutoff: Date; dayStart: Date },
): Promise<ClientOverview | null> {
  const r = await db.execute(
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
  return r.rows[0] ? toOverview(r.rows[0]) : null;
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
