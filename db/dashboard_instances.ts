/** Instance and replica reads of one client for the dashboards (CONTRACT E37–E40, E44). */
import type { Queryable } from "./client.ts";
import type { AgentPlacementRow } from "./agents.ts";
import { toAgentPlacement } from "./agents.ts";
import { bool, col, type Decoded, decoder, nnum, num0, opt, str } from "./_rows.ts";
import { containsPattern } from "./dashboard.ts";

const INSTANCE_ITEM = {
  id: str,
  clientId: str,
  agentId: opt,
  instanceType: str,
  region: str,
  az: str,
  currentMode: str,
  currentPoolId: opt,
  spotPrice: nnum,
  onDemandPrice: col("ondemand_price", nnum),
  baselineOnDemandPrice: col("baseline_ondemand_price", nnum),
  isActive: bool,
  instanceStatus: str,
  isPrimary: bool,
  installedAt: opt,
  lastSwitchAt: opt,
  terminatedAt: opt,
  createdAt: str,
};

/** An instance with its current prices (latest market price while active, else the recorded one). */
export type InstanceItem = Decoded<typeof INSTANCE_ITEM>;
const toInstance = decoder(INSTANCE_ITEM);

// Correlated lookups walk uk_spot_price_bucket / uk_ondemand_price_bucket backwards: one index
// probe per listed row, bounded by the page size. A retired instance (a terminated replica has no
// recorded on-demand price) keeps the last prices known when it stopped: never an on-demand 0 the
// dashboards turn into "-Infinity%".
const RETIRED_AT = "COALESCE(i.terminated_at, i.updated_at)";

/** `spot_price` and `ondemand_price` of an instances row `i`: current while active, else last known. */
export const INSTANCE_PRICES_SQL = `COALESCE(
    CASE WHEN i.is_active = 1 AND i.current_mode = 'spot' THEN (SELECT s.price FROM spot_price_snapshots s WHERE s.pool_id = i.current_pool_id ORDER BY s.bucket_start DESC LIMIT 1) END,
    i.spot_price,
    CASE WHEN i.is_active = 0 AND i.current_mode = 'spot' THEN (SELECT s.price FROM spot_price_snapshots s WHERE s.pool_id = i.current_pool_id AND s.bucket_start <= ${RETIRED_AT} ORDER BY s.bucket_start DESC LIMIT 1) END
  ) AS spot_price,
  COALESCE(
    CASE WHEN i.is_active = 1 THEN (SELECT o.price FROM ondemand_price_snapshots o WHERE o.region = i.region AND o.instance_type = i.instance_type ORDER BY o.bucket_start DESC LIMIT 1) END,
    i.ondemand_price,
    (SELECT o.price FROM ondemand_price_snapshots o WHERE o.region = i.region AND o.instance_type = i.instance_type AND o.bucket_start <= ${RETIRED_AT} ORDER BY o.bucket_start DESC LIMIT 1),
    i.baseline_ondemand_price
  ) AS ondemand_price`;

const INSTANCE_COLUMNS =
  `i.id, i.client_id, i.agent_id, i.instance_type, i.region, i.az, i.current_mode,
  i.current_pool_id, ${INSTANCE_PRICES_SQL},
  i.baseline_ondemand_price, i.is_active, i.instance_status, i.is_primary, i.installed_at,
  i.last_switch_at, i.terminated_at, i.created_at`;

/** Filters of the instances list. */
export interface InstanceFilter {
  status?: "active" | "terminated";
  mode?: string;
  search?: string;
}

/** A page of a client's instances, newest first. */
export async function listClientInstances(
  db: Queryable,
  opts: InstanceFilter & { clientId: string; limit: number; offset: number },
): Promise<InstanceItem[]> {
  const where = ["i.client_id = ?"];
  const args: unknown[] = [opts.clientId];
  if (opts.status === "active") {
    where.push("i.instance_status IN ('running_primary', 'running_replica')");
  }
  if (opts.status === "terminated") where.push("i.instance_status IN ('zombie', 'terminated')");
  if (opts.mode) {
    where.push("i.current_mode = ?");
    args.push(opts.mode);
  }
  if (opts.search) {
    where.push("(i.id LIKE ? ESCAPE '!' OR i.instance_type LIKE ? ESCAPE '!')");
    args.push(containsPattern(opts.search), containsPattern(opts.search));
  }
  const r = await db.execute(
    `SELECT ${INSTANCE_COLUMNS} FROM instances i WHERE ${
      where.join(" AND ")
    } ORDER BY i.created_at DESC, i.id LIMIT ? OFFSET ?`,
    [...args, opts.limit, opts.offset],
  );
  return r.rows.map(toInstance);
}

/** What `/api/client/instances/{id}/...` resolves to: an instance row and/or its agent. */
export interface InstanceContext {
  /** The EC2 instance id (the agent's current one when the path named an agent). */
  instanceId: string | null;
  clientId: string;
  agentId: string | null;
  instance: InstanceItem | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  currentMode: string;
  currentPoolId: string | null;
}

/**
 * Resolves a path id visible to `clientId` (null = admin): an instance id first, else an agent id
 * or an agent's current instance id. Null when nothing matches.
 */
export async function resolveInstance(
  db: Queryable,
  opts: { id: string; clientId: string | null },
): Promise<InstanceContext | null> {
  const r = await db.execute(
    `SELECT ${INSTANCE_COLUMNS} FROM instances i WHERE i.id = ? AND (? IS NULL OR i.client_id = ?) ORDER BY i.updated_at DESC LIMIT 1`,
    [opts.id, opts.clientId, opts.clientId],
  );
  if (r.rows[0]) {
    const inst = toInstance(r.rows[0]);
    return {
      instanceId: inst.id,
      clientId: inst.clientId,
      agentId: inst.agentId,
      instance: inst,
      instanceType: inst.instanceType,
      region: inst.region,
      az: inst.az,
      currentMode: inst.currentMode,
      currentPoolId: inst.currentPoolId,
    };
  }
  const a = await db.execute<AgentPlacementRow & { id: string; client_id: string }>(
    "SELECT id, client_id, instance_id, instance_type, region, az, current_mode, current_pool_id FROM agents WHERE (id = ? OR instance_id = ?) AND (? IS NULL OR client_id = ?) ORDER BY (id = ?) DESC, last_heartbeat_at DESC LIMIT 1",
    [opts.id, opts.id, opts.clientId, opts.clientId, opts.id],
  );
  const ag = a.rows[0];
  if (!ag) return null;
  return { ...toAgentPlacement(ag), clientId: ag.client_id, agentId: ag.id, instance: null };
}

const REPLICA_ITEM = {
  id: str,
  agentId: str,
  instanceId: opt,
  replicaType: str,
  poolId: opt,
  instanceType: opt,
  region: opt,
  az: opt,
  status: str,
  syncStatus: opt,
  syncLatencyMs: nnum,
  stateTransferProgress: num0,
  hourlyCost: num0,
  totalCost: num0,
  createdBy: opt,
  createdAt: str,
  readyAt: opt,
  terminatedAt: opt,
  isActive: bool,
};
const PRIMARY = {
  instanceId: col("p_instance_id", opt),
  instanceType: col("p_instance_type", opt),
  region: col("p_region", opt),
  az: col("p_az", opt),
  mode: col("p_mode", str),
};
const POOL = {
  id: col("pool_id2", str),
  name: col("pool_name", opt),
  instanceType: col("pool_type", str),
  region: col("pool_region", str),
  az: col("pool_az", str),
};
const toReplica = decoder(REPLICA_ITEM);
const toPrimary = decoder(PRIMARY);
const toPool = decoder(POOL);

/** An active replica with its primary (the agent's current instance) and pool. */
export type ReplicaItem = Decoded<typeof REPLICA_ITEM> & {
  primary: Decoded<typeof PRIMARY>;
  pool: { id: string; name: string; instanceType: string; region: string; az: string } | null;
};

/** A page of a client's active replicas (not promoted, terminated or failed), newest first. */
export async function listClientReplicas(
  db: Queryable,
  opts: { clientId: string; limit: number; offset: number },
): Promise<ReplicaItem[]> {
  const r = await db.execute<Record<string, unknown>>(
    `SELECT r.id, r.agent_id, r.instance_id, r.replica_type, r.pool_id, r.instance_type, r.region, r.az,
       r.status, r.sync_status, r.sync_latency_ms, r.state_transfer_progress,
       COALESCE(r.hourly_cost, (SELECT s.price FROM spot_price_snapshots s WHERE s.pool_id = r.pool_id ORDER BY s.bucket_start DESC LIMIT 1)) AS hourly_cost,
       COALESCE(r.total_cost, r.accumulated_cost) AS total_cost, r.created_by, r.created_at, r.ready_at,
       r.terminated_at, r.is_active,
       a.instance_id AS p_instance_id, a.instance_type AS p_instance_type, a.region AS p_region,
       a.az AS p_az, a.current_mode AS p_mode,
       p.id AS pool_id2, p.pool_name, p.instance_type AS pool_type, p.region AS pool_region, p.az AS pool_az
     FROM replica_instances r JOIN agents a ON a.id = r.agent_id
     LEFT JOIN spot_pools p ON p.id = r.pool_id
     WHERE a.client_id = ? AND r.is_active = 1 AND r.status NOT IN ('promoted', 'terminated', 'failed')
     ORDER BY r.created_at DESC, r.id LIMIT ? OFFSET ?`,
    [opts.clientId, opts.limit, opts.offset],
  );
  return r.rows.map((x) => {
    const pool = x.pool_id2 ? toPool(x) : null;
    return {
      ...toReplica(x),
      primary: toPrimary(x),
      pool: pool && { ...pool, name: pool.name ?? `${pool.instanceType} (${pool.az})` },
    };
  });
}
