/**
 * Replica rows (standby instances reported by agents) and their registration. A row exists only
 * for a real instance an agent reported (never a placeholder, B-30). Lifecycle changes (status,
 * sync, promote, delete) live in db/replica_lifecycle.ts, cost accounting in db/replica_costs.ts.
 */
import type { Queryable } from "./client.ts";
import { bool, json, num } from "./client.ts";
import { insertSystemEvent } from "./events.ts";
import { retireInstance } from "./instances.ts";
import { endSegmentAtTermination } from "./segments.ts";

/** A replica_instances row (joined with its pool's name) as the driver returns it. */
export interface ReplicaRow {
  id: string;
  agent_id: string;
  client_id: string | null;
  instance_id: string | null;
  replica_type: string;
  pool_id: string | null;
  pool_name: string | null;
  instance_type: string | null;
  region: string | null;
  az: string | null;
  status: string;
  created_at: string;
  launched_at: string | null;
  ready_at: string | null;
  promoted_at: string | null;
  terminated_at: string | null;
  ended_at: string | null;
  created_by: string | null;
  parent_instance_id: string | null;
  is_active: number;
  sync_status: string | null;
  sync_latency_ms: number | null;
  state_transfer_progress: number | null;
  error_message: string | null;
  hourly_cost: number | null;
  accumulated_cost: number | null;
  total_runtime_hours: number | null;
  termination_event_id: number | null;
  tags: unknown;
}

/** A replica as the code uses it. */
export interface ReplicaRecord {
  id: string;
  agentId: string;
  clientId: string | null;
  instanceId: string | null;
  type: string;
  poolId: string | null;
  poolName: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  status: string;
  createdAt: string;
  launchedAt: string | null;
  readyAt: string | null;
  promotedAt: string | null;
  terminatedAt: string | null;
  endedAt: string | null;
  createdBy: string | null;
  parentInstanceId: string | null;
  isActive: boolean;
  syncStatus: string | null;
  syncLatencyMs: number | null;
  stateTransferProgress: number;
  errorMessage: string | null;
  hourlyCost: number | null;
  accumulatedCost: number;
  totalRuntimeHours: number;
  terminationEventId: number | null;
  tags: Record<string, unknown>;
}

/** Columns of ReplicaRow; the replica table is aliased `r`, spot_pools `p`. */
export const REPLICA_COLUMNS =
  "r.id, r.agent_id, r.client_id, r.instance_id, r.replica_type, r.pool_id, p.pool_name, r.instance_type, r.region, r.az, r.status, r.created_at, r.launched_at, r.ready_at, r.promoted_at, r.terminated_at, r.ended_at, r.created_by, r.parent_instance_id, r.is_active, r.sync_status, r.sync_latency_ms, r.state_transfer_progress, r.error_message, r.hourly_cost, r.accumulated_cost, r.total_runtime_hours, r.termination_event_id, r.tags";
const FROM = "FROM replica_instances r LEFT JOIN spot_pools p ON p.id = r.pool_id";

/** Maps a row to the domain record. */
export function toReplica(r: ReplicaRow): ReplicaRecord {
  return {
    id: r.id,
    agentId: r.agent_id,
    clientId: r.client_id,
    instanceId: r.instance_id,
    type: r.replica_type,
    poolId: r.pool_id,
    poolName: r.pool_name,
    instanceType: r.instance_type,
    region: r.region,
    az: r.az,
    status: r.status,
    createdAt: r.created_at,
    launchedAt: r.launched_at,
    readyAt: r.ready_at,
    promotedAt: r.promoted_at,
    terminatedAt: r.terminated_at,
    endedAt: r.ended_at,
    createdBy: r.created_by,
    parentInstanceId: r.parent_instance_id,
    isActive: bool(r.is_active),
    syncStatus: r.sync_status,
    syncLatencyMs: num(r.sync_latency_ms),
    stateTransferProgress: num(r.state_transfer_progress) ?? 0,
    errorMessage: r.error_message,
    hourlyCost: num(r.hourly_cost),
    accumulatedCost: num(r.accumulated_cost) ?? 0,
    totalRuntimeHours: num(r.total_runtime_hours) ?? 0,
    terminationEventId: num(r.termination_event_id),
    tags: json<Record<string, unknown>>(r.tags) ?? {},
  };
}

/** The agent as the replica routes need it. */
export interface ReplicaAgent {
  id: string;
  clientId: string;
  instanceId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  mode: string;
  poolId: string | null;
  enabled: boolean;
  autoSwitch: boolean;
  manualReplica: boolean;
  replicaEnabled: boolean;
  replicaCount: number;
  currentReplicaId: string | null;
}

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;

/** The agent (of `clientId`, or any client for the admin when null); deleted agents are absent. */
export async function findReplicaAgent(
  db: Queryable,
  opts: { agentId: string; clientId: string | null; forUpdate?: boolean },
): Promise<ReplicaAgent | null> {
  const r = await db.execute<Row>(
    `SELECT id, client_id, instance_id, instance_type, region, az, current_mode, current_pool_id, enabled, auto_switch_enabled, manual_replica_enabled, replica_enabled, replica_count, current_replica_id FROM agents WHERE id = ?${
      opts.clientId ? " AND client_id = ?" : ""
    } AND status <> 'deleted' AND deleted_at IS NULL${opts.forUpdate ? " FOR UPDATE" : ""}`,
    opts.clientId ? [opts.agentId, opts.clientId] : [opts.agentId],
  );
  const a = r.rows[0];
  if (!a) return null;
  return {
    id: a.id,
    clientId: a.client_id,
    instanceId: a.instance_id,
    instanceType: a.instance_type,
    region: a.region,
    az: a.az,
    mode: a.current_mode,
    poolId: a.current_pool_id,
    enabled: bool(a.enabled),
    autoSwitch: bool(a.auto_switch_enabled),
    manualReplica: bool(a.manual_replica_enabled),
    replicaEnabled: bool(a.replica_enabled),
    replicaCount: num(a.replica_count) ?? 0,
    currentReplicaId: a.current_replica_id,
  };
}

/** An agent's replicas, newest first; inactive ones only when asked. */
export async function listReplicas(
  db: Queryable,
  opts: { agentId: string; includeInactive: boolean; status?: string },
): Promise<ReplicaRecord[]> {
  const r = await db.execute<ReplicaRow>(
    `SELECT ${REPLICA_COLUMNS} ${FROM} WHERE r.agent_id = ?${
      opts.includeInactive ? "" : " AND r.is_active = 1"
    }${opts.status ? " AND r.status = ?" : ""} ORDER BY r.created_at DESC, r.id`,
    opts.status ? [opts.agentId, opts.status] : [opts.agentId],
  );
  return r.rows.map(toReplica);
}

/** One replica of an agent (locked when asked), or null. */
export async function findReplica(
  db: Queryable,
  opts: { agentId: string; replicaId?: string; instanceId?: string; forUpdate?: boolean },
): Promise<ReplicaRecord | null> {
  const by = opts.replicaId !== undefined ? "r.id = ?" : "r.instance_id = ?";
  const r = await db.execute<ReplicaRow>(
    `SELECT ${REPLICA_COLUMNS} ${FROM} WHERE ${by} AND r.agent_id = ? ORDER BY r.created_at DESC LIMIT 1${
      opts.forUpdate ? " FOR UPDATE" : ""
    }`,
    [opts.replicaId ?? opts.instanceId, opts.agentId],
  );
  return r.rows[0] ? toReplica(r.rows[0]) : null;
}

/** Active replicas of one type of an agent. */
export async function countActiveReplicas(
  db: Queryable,
  opts: { agentId: string; type?: string },
): Promise<number> {
  const r = await db.execute<{ n: number }>(
    `SELECT COUNT(*) AS n FROM replica_instances WHERE agent_id = ? AND is_active = 1${
      opts.type ? " AND replica_type = ?" : ""
    }`,
    opts.type ? [opts.agentId, opts.type] : [opts.agentId],
  );
  return num(r.rows[0]?.n) ?? 0;
}

/**
 * Called inside the registration transaction when an instance registers under an agent whose
 * current instance is another one. If that instance is one of the agent's active replicas, the
 * replica becomes the primary (status promoted) and the old instance's open termination event is
 * resolved with the new instance. Returns the replica id, or null when it was not a replica.
 */
export async function onInstanceRegistered(
  tx: Queryable,
  opts: {
    clientId: string;
    agentId: string;
    oldInstanceId: string | null;
    newInstanceId: string;
    now: Date;
  },
): Promise<{ replicaId: string } | null> {
  // Found without a lock first (a locking read that finds nothing takes a gap lock, which
  // deadlocks concurrent registrations), then locked by primary key and checked again.
  const seen = await tx.execute<{ id: string }>(
    "SELECT id FROM replica_instances WHERE agent_id = ? AND client_id = ? AND instance_id = ? AND is_active = 1 AND status NOT IN ('promoted', 'terminated', 'failed') LIMIT 1",
    [opts.agentId, opts.clientId, opts.newInstanceId],
  );
  if (!seen.rows[0]) return null;
  const r = await tx.execute<{ id: string; ready_at: string | null }>(
    "SELECT id, ready_at FROM replica_instances WHERE id = ? AND is_active = 1 AND status NOT IN ('promoted', 'terminated', 'failed') FOR UPDATE",
    [seen.rows[0].id],
  );
  const replica = r.rows[0];
  if (!replica) return null;
  await tx.execute(
    "UPDATE replica_instances SET status = 'promoted', promoted_at = ?, failover_completed_at = ?, ready_at = COALESCE(ready_at, ?), ended_at = COALESCE(ended_at, ?), is_active = 0 WHERE id = ?",
    [opts.now, opts.now, opts.now, opts.now, replica.id],
  );
  await tx.execute(
    "UPDATE agents SET current_replica_id = IF(current_replica_id = ?, NULL, current_replica_id), last_failover_at = ?, interruption_handled_count = interruption_handled_count + 1 WHERE id = ?",
    [replica.id, opts.now, opts.agentId],
  );
  // The noticed old instance is being reclaimed by AWS: it ends terminated, not as a zombie.
  const noticed = await tx.execute<{ termination_time: string | null }>(
    "SELECT termination_time FROM termination_events WHERE agent_id = ? AND event_type = 'termination_notice' AND status IN ('detected', 'handling', 'failed') AND instance_id = ? ORDER BY detected_at DESC LIMIT 1",
    [opts.agentId, opts.oldInstanceId ?? ""],
  );
  if (noticed.rows[0] && opts.oldInstanceId) {
    const t = noticed.rows[0].termination_time;
    const at = t && Date.parse(t) < opts.now.getTime() ? new Date(t) : opts.now;
    await retireInstance(tx, {
      clientId: opts.clientId,
      instanceId: opts.oldInstanceId,
      terminatedAt: at,
    });
    await endSegmentAtTermination(tx, {
      instanceId: opts.oldInstanceId,
      terminatedAt: at,
      supersededAt: opts.now,
      clientId: opts.clientId,
    });
  }
  await tx.execute(
    "UPDATE termination_events SET status = 'resolved', resolved_at = ?, new_instance_id = ?, emergency_replica_id = COALESCE(emergency_replica_id, ?), replica_registered_at = COALESCE(replica_registered_at, ?), replica_ready_at = COALESCE(replica_ready_at, ?), promoted_at = ?, no_replica_reason = NULL, action_taken = 'replica_promoted', updated_at = ? WHERE agent_id = ? AND event_type = 'termination_notice' AND status IN ('detected', 'handling', 'failed') AND (emergency_replica_id = ? OR instance_id = ?)",
    [
      opts.now,
      opts.newInstanceId,
      replica.id,
      opts.now,
      replica.ready_at ? new Date(replica.ready_at) : opts.now,
      opts.now,
      opts.now,
      opts.agentId,
      replica.id,
      opts.oldInstanceId ?? "",
    ],
  );
  await insertSystemEvent(tx, {
    type: "replica_promoted",
    clientId: opts.clientId,
    agentId: opts.agentId,
    instanceId: opts.newInstanceId,
    message: `Replica ${opts.newInstanceId} registered and became the primary`,
    metadata: {
      replica_id: replica.id,
      old_instance_id: opts.oldInstanceId,
      source: "registration",
    },
  });
  return { replicaId: replica.id };
}

/**
 * The agent an active replica with this instance id belongs to, or null. Registration uses it
 * when an emergency replica's agent registers with the installer default logical id (its own
 * instance id) so it continues the agent that launched it instead of becoming a new agent.
 */
export async function findAgentOfReplicaInstance(
  db: Queryable,
  opts: { clientId: string; instanceId: string },
): Promise<string | null> {
  const r = await db.execute<{ agent_id: string }>(
    "SELECT agent_id FROM replica_instances WHERE client_id = ? AND instance_id = ? AND is_active = 1 AND status IN ('launching', 'syncing', 'ready') ORDER BY created_at DESC LIMIT 1",
    [opts.clientId, opts.instanceId],
  );
  return r.rows[0]?.agent_id ?? null;
}
