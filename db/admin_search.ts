/** Admin search across clients, instances and agents (CONTRACT E65); LIKE input escaped (B-07). */
import type { Queryable } from "./client.ts";
import { bool, col, type Decoded, decoder, opt, str } from "./_rows.ts";
import { containsPattern, EFFECTIVE_STATUS_SQL } from "./dashboard.ts";

const CLIENT_HIT = { id: str, name: str, email: str, isActive: bool, createdAt: str };
// Field names are the admin dashboard's (T-21: availabilityZone, name, isActive, lastHeartbeat).
const INSTANCE_HIT = {
  instanceId: col("id", str),
  id: str,
  instanceType: str,
  availabilityZone: col("az", str),
  region: str,
  status: col("instance_status", str),
  isActive: bool,
  clientId: str,
  clientName: str,
};
const AGENT_HIT = {
  id: str,
  name: col("logical_agent_id", str),
  hostname: opt,
  instanceId: opt,
  status: str,
  isActive: bool,
  lastHeartbeat: col("last_heartbeat_at", opt),
  clientId: str,
  clientName: str,
};

/** Hits of one search, at most `limit` per category. */
export interface SearchHits {
  clients: Decoded<typeof CLIENT_HIT>[];
  instances: Decoded<typeof INSTANCE_HIT>[];
  agents: Decoded<typeof AGENT_HIT>[];
}

/** Finds clients, instances and agents whose names or ids contain `q` literally. */
export async function searchAll(
  db: Queryable,
  opts: { q: string; heartbeatCutoff: Date; limit: number },
): Promise<SearchHits> {
  const p = containsPattern(opts.q);
  const c = await db.execute(
    "SELECT id, name, email, is_active, created_at FROM clients WHERE name LIKE ? ESCAPE '!' OR email LIKE ? ESCAPE '!' OR id LIKE ? ESCAPE '!' ORDER BY name LIMIT ?",
    [p, p, p, opts.limit],
  );
  const i = await db.execute(
    "SELECT i.id, i.instance_type, i.region, i.az, i.instance_status, i.is_active, i.client_id, c.name AS client_name FROM instances i JOIN clients c ON c.id = i.client_id WHERE i.id LIKE ? ESCAPE '!' OR i.instance_type LIKE ? ESCAPE '!' ORDER BY i.created_at DESC, i.id LIMIT ?",
    [p, p, opts.limit],
  );
  const a = await db.execute(
    `SELECT a.id, a.logical_agent_id, a.hostname, a.instance_id, ${EFFECTIVE_STATUS_SQL} AS status,
       a.enabled = 1 AND a.status <> 'deleted' AS is_active, a.last_heartbeat_at, a.client_id,
       c.name AS client_name
     FROM agents a JOIN clients c ON c.id = a.client_id
     WHERE a.logical_agent_id LIKE ? ESCAPE '!' OR a.hostname LIKE ? ESCAPE '!' OR a.id LIKE ? ESCAPE '!' OR a.instance_id LIKE ? ESCAPE '!'
     ORDER BY a.last_heartbeat_at DESC, a.id LIMIT ?`,
    [opts.heartbeatCutoff, p, p, p, p, opts.limit],
  );
  return {
    clients: c.rows.map(decoder(CLIENT_HIT)),
    instances: i.rows.map(decoder(INSTANCE_HIT)),
    agents: a.rows.map(decoder(AGENT_HIT)),
  };
}
