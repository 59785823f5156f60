/** Instance and replica reads of one client for the dashboards (CONTRACT E37–E40, E44). */
import type { Queryable } from "./client.ts";
import type { InstanceRow } from "./instances.ts";
import type { AgentPlacementRow } from "./agents.ts";
import { toAgentPlacement } from "./agents.ts";
import { bool, num } from "./client.ts";
import { containsPattern } from "./dashboard.ts";

/** An instance with its current prices (latest market price while active, else the recorded one). */
export interface InstanceItem {
  id: string;
  clientId: string;
  agentId: string | null;
  instanceType: string;
  region: string;
  az: string;
  currentMode: string;
  currentPoolId: string | null;
  spotPrice: number | null;
  onDemandPrice: number | null;
  baselineOnDemandPrice: number | null;
  isActive: boolean;
  instanceStatus: string;
  isPrimary: boolean;
  installedAt: string | null;
  lastSwitchAt: string | null;
  terminatedAt: string | null;
  createdAt: string;
}

/** The instances columns INSTANCE_COLUMNS selects (prices already resolved). */
type InstanceItemRow = Omit<InstanceRow, "ami_id" | "last_heartbeat_at" | "updated_at">;

// Correlated lookups walk uk_spot_price_bucket / uk_ondemand_price_bucket backwards: one index
// probe per listed row, bounded by the page size.
const INSTANCE_COLUMNS =
  `i.id, i.client_id, i.agent_id, i.instance_type, i.region, i.az, i.current_mode,
  i.current_pool_id,
  COALESCE(CASE WHEN i.is_active = 1 AND i.current_mode = 'spot' THEN (SELECT s.price FROM spot_price_snapshots s WHERE s.pool_id = i.current_pool_id ORDER BY s.bucket_start DESC LIMIT 1) END, i.spot_price) AS spot_price,
  COALESCE(CASE WHEN i.is_active = 1 THEN (SELECT o.price FROM ondemand_price_snapshots o WHERE o.region = i.region AND o.instance_type = i.instance_type ORDER BY o.bucket_start DESC LIMIT 1) END, i.ondemand_price) AS ondemand_price,
  i.baseline_ondemand_price, i.is_active, i.instance_status, i.is_primary, i.installed_at,
  i.last_switch_at, i.terminated_at, i.created_at`;

function toInstance(r: InstanceItemRow): InstanceItem {
  return {
    id: r.id,
    clientId: r.client_id,
    agentId: r.agent_id,
    instanceType: r.instance_type,
    region: r.region,
    az: r.az,
    currentMode: r.current_mode,
    currentPoolId: r.current_pool_id,
    spotPrice: num(r.spot_price),
    onDemandPrice: num(r.ondemand_price),
    baselineOnDemandPrice: num(r.baseline_ondemand_price),
    isActive: bool(r.is_active),
    instanceStatus: r.instance_status,
    isPrimary: bool(r.is_primary),
    installedAt: r.installed_at,
    lastSwitchAt: r.last_switch_at,
    terminatedAt: r.terminated_at,
    createdAt: r.created_at,
  };
}

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
  const r = await db.execute<InstanceItemRow>(
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
  const r = await db.execute<InstanceItemRow>(
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

/** An active replica with its primary (the agent's current instance) and pool. */
export interface ReplicaItem {
  id: string;
  agentId: string;
  instanceId: string | null;
  replicaType: string;
  poolId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  status: string;
  syncStatus: string | null;
  syncLatencyMs: number | null;
  stateTransferProgress: number;
  hourlyCost: number;
  totalCost: number;
  createdBy: string | null;
  createdAt: string;
  readyAt: string | null;
  terminatedAt: string | null;
  isActive: boolean;
  primary: {
    instanceId: string | null;
    instanceType: string | null;
    region: string | null;
    az: string | null;
    mode: string;
  };
  pool: { id: string; name: string; instanceType: string; region: string; az: string } | null;
}

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
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return r.rows.map((x) => ({
    id: String(x.id),
    agentId: String(x.agent_id),
    instanceId: s(x.instance_id),
    replicaType: String(x.replica_type),
    poolId: s(x.pool_id),
    instanceType: s(x.instance_type),
    region: s(x.region),
    az: s(x.az),
    status: String(x.status),
    syncStatus: s(x.sync_status),
    syncLatencyMs: num(x.sync_latency_ms),
    stateTransferProgress: num(x.state_transfer_progress) ?? 0,
    hourlyCost: num(x.hourly_cost) ?? 0,
    totalCost: num(x.total_cost) ?? 0,
    createdBy: s(x.created_by),
    createdAt: String(x.created_at),
    readyAt: s(x.ready_at),
    terminatedAt: s(x.terminated_at),
    isActive: bool(x.is_active),
    primary: {
      instanceId: s(x.p_instance_id),
      instanceType: s(x.p_instance_type),
      region: s(x.p_region),
      az: s(x.p_az),
      mode: String(x.p_mode),
    },
    pool: x.pool_id2
      ? {
        id: String(x.pool_id2),
        name: s(x.pool_name) ?? `${x.pool_type} (${x.pool_az})`,
        instanceType: String(x.pool_type),
        region: String(x.pool_region),
        az: String(x.pool_az),
      }
      : null,
  }));
}
