/** Admin search across clients, instances and agents (CONTRACT E65); LIKE input escaped (B-07). */
import type { Queryable } from "./client.ts";
import { bool } from "./client.ts";
import { containsPattern, EFFECTIVE_STATUS_SQL } from "./dashboard.ts";

/** Hits of one search, at most `limit` per category. */
export interface SearchHits {
  clients: { id: string; name: string; email: string; isActive: boolean; createdAt: string }[];
  instances: {
    id: string;
    instanceType: string;
    region: string;
    az: string;
    status: string;
    isActive: boolean;
    clientId: string;
    clientName: string;
  }[];
  agents: {
    id: string;
    logicalAgentId: string;
    hostname: string | null;
    instanceId: string | null;
    status: string;
    enabled: boolean;
    lastHeartbeatAt: string | null;
    clientId: string;
    clientName: string;
  }[];
}

/** Finds clients, instances and agents whose names or ids contain `q` literally. */
export async function searchAll(
  db: Queryable,
  opts: { q: string; heartbeatCutoff: Date; limit: number },
): Promise<SearchHits> {
  const p = containsPattern(opts.q);
  const c = await db.execute<{
    id: string;
    name: string;
    email: string;
    is_active: number;
    created_at: string;
  }>(
    "SELECT id, name, email, is_active, created_at FROM clients WHERE name LIKE ? ESCAPE '!' OR email LIKE ? ESCAPE '!' OR id LIKE ? ESCAPE '!' ORDER BY name LIMIT ?",
    [p, p, p, opts.limit],
  );
  const i = await db.execute<{
    id: string;
    instance_type: string;
    region: string;
    az: string;
    instance_status: string;
    is_active: number;
    client_id: string;
    client_name: string;
  }>(
    "SELECT i.id, i.instance_type, i.region, i.az, i.instance_status, i.is_active, i.client_id, c.name AS client_name FROM instances i JOIN clients c ON c.id = i.client_id WHERE i.id LIKE ? ESCAPE '!' OR i.instance_type LIKE ? ESCAPE '!' ORDER BY i.created_at DESC, i.id LIMIT ?",
    [p, p, opts.limit],
  );
  const a = await db.execute<{
    id: string;
    logical_agent_id: string;
    hostname: string | null;
    instance_id: string | null;
    status: string;
    enabled: number;
    last_heartbeat_at: string | null;
    client_id: string;
    client_name: string;
  }>(
    `SELECT a.id, a.logical_agent_id, a.hostname, a.instance_id, ${EFFECTIVE_STATUS_SQL} AS status,
       a.enabled, a.last_heartbeat_at, a.client_id, c.name AS client_name
     FROM agents a JOIN clients c ON c.id = a.client_id
     WHERE a.logical_agent_id LIKE ? ESCAPE '!' OR a.hostname LIKE ? ESCAPE '!' OR a.id LIKE ? ESCAPE '!' OR a.instance_id LIKE ? ESCAPE '!'
     ORDER BY a.last_heartbeat_at DESC, a.id LIMIT ?`,
    [opts.heartbeatCutoff, p, p, p, p, opts.limit],
  );
  return {
    clients: c.rows.map((x) => ({
      id: x.id,
      name: x.name,
      email: x.email,
      isActive: bool(x.is_active),
      createdAt: x.created_at,
    })),
    instances: i.rows.map((x) => ({
      id: x.id,
      instanceType: x.instance_type,
      region: x.region,
      az: x.az,
      status: x.instance_status,
      isActive: bool(x.is_active),
      clientId: x.client_id,
      clientName: x.client_name,
    })),
    agents: a.rows.map((x) => ({
      id: x.id,
      logicalAgentId: x.logical_agent_id,
      hostname: x.hostname,
      instanceId: x.instance_id,
      status: x.status,
      enabled: bool(x.enabled),
      lastHeartbeatAt: x.last_heartbeat_at,
      clientId: x.client_id,
      clientName: x.client_name,
    })),
  };
}
