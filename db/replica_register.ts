/**
 * Writes of replica registration (E12): ownership of an instance id, the interruption event a new
 * emergency replica answers, the replica row with its instances row, and the event's timeline
 * (replica registered / ready / promoted).
 */
import type { Queryable } from "./client.ts";
import { bool } from "./client.ts";

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;
/** Which agent of the client has an EC2 instance id, if the client has that instance. */
export async function instanceOwner(
  db: Queryable,
  clientId: string,
  instanceId: string,
): Promise<{ clientId: string; agentId: string | null; isPrimary: boolean } | null> {
  const r = await db.execute<Row>(
    "SELECT client_id, agent_id, is_primary FROM instances WHERE client_id = ? AND id = ?",
    [clientId, instanceId],
  );
  const row = r.rows[0];
  return row
    ? { clientId: row.client_id, agentId: row.agent_id, isPrimary: bool(row.is_primary) }
    : null;
}

/** The open interruption event an agent's new replica answers (the newest within 2 hours). */
export async function findOpenReplicaEvent(
  db: Queryable,
  opts: { agentId: string; parentInstanceId: string | null; since: Date },
): Promise<
  { id: number; type: string; detectedAt: string; terminationTime: string | null } | null
> {
  const r = await db.execute<Row>(
    `SELECT id, event_type, detected_at, termination_time FROM termination_events WHERE agent_id = ? AND status IN ('detected', 'handling', 'failed') AND detected_at >= ? AND (event_type = 'termination_notice' OR replica_requested_at IS NOT NULL)${
      opts.parentInstanceId ? " AND instance_id = ?" : ""
    } ORDER BY event_type = 'termination_notice' DESC, detected_at DESC, id DESC LIMIT 1 FOR UPDATE`,
    opts.parentInstanceId
      ? [opts.agentId, opts.since, opts.parentInstanceId]
      : [opts.agentId, opts.since],
  );
  const row = r.rows[0];
  return row
    ? {
      id: Number(row.id),
      type: row.event_type,
      detectedAt: row.detected_at,
      terminationTime: row.termination_time,
    }
    : null;
}

/** A new replica row. */
export interface NewReplica {
  id: string;
  agentId: string;
  clientId: string;
  instanceId: string;
  type: string;
  poolId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  status: "launching" | "syncing" | "ready" | "promoted";
  createdBy: string;
  parentInstanceId: string | null;
  hourlyCost: number | null;
  event: { id: number; type: string; detectedAt: string; terminationTime: string | null } | null;
  tags: Record<string, unknown> | null;
  now: Date;
}

/** Inserts a replica row (and its instances row as running_replica unless it is the primary). */
export async function insertReplica(tx: Queryable, n: NewReplica): Promise<void> {
  const ready = n.status === "ready" || n.status === "promoted";
  await tx.execute(
    "INSERT INTO replica_instances (id, agent_id, client_id, instance_id, replica_type, pool_id, instance_type, region, az, status, created_at, launched_at, ready_at, promoted_at, ended_at, created_by, parent_instance_id, is_active, sync_status, state_transfer_progress, hourly_cost, interruption_signal_type, interruption_detected_at, termination_time, termination_event_id, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [
      n.id,
      n.agentId,
      n.clientId,
      n.instanceId,
      n.type,
      n.poolId,
      n.instanceType,
      n.region,
      n.az,
      n.status,
      n.now,
      n.now,
      ready ? n.now : null,
      n.status === "promoted" ? n.now : null,
      n.status === "promoted" ? n.now : null,
      n.createdBy,
      n.parentInstanceId,
      n.status === "promoted" ? 0 : 1,
      ready ? "synced" : "initializing",
      ready ? 100 : 0,
      n.hourlyCost,
      n.event ? n.event.type.replace("_", "-") : null,
      n.event ? new Date(n.event.detectedAt) : null,
      n.event?.terminationTime ? new Date(n.event.terminationTime) : null,
      n.event?.id ?? null,
      n.tags ? JSON.stringify(n.tags) : null,
    ],
  );
  if (n.status === "promoted") return;
  // Never demote a row that is (already) a primary: a replica's agent may register first.
  await tx.execute(
    "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, current_mode, current_pool_id, spot_price, is_active, instance_status, is_primary, installed_at) VALUES (?, ?, ?, ?, ?, ?, 'spot', ?, ?, 1, 'running_replica', 0, ?) ON DUPLICATE KEY UPDATE instance_status = IF(is_primary = 1, instance_status, 'running_replica'), is_active = 1, current_pool_id = COALESCE(VALUES(current_pool_id), current_pool_id), spot_price = COALESCE(VALUES(spot_price), spot_price)",
    [
      n.instanceId,
      n.clientId,
      n.agentId,
      n.instanceType ?? "unknown",
      n.region ?? "unknown",
      n.az ?? "unknown",
      n.poolId,
      n.hourlyCost,
      n.now,
    ],
  );
  await tx.execute(
    "UPDATE agents SET current_replica_id = ? WHERE id = ?",
    [n.id, n.agentId],
  );
}

/**
 * Records on an interruption event that its replica registered (and is ready, and, when the
 * replica's agent registered first, that it was promoted: the event is then resolved).
 */
export async function linkReplicaToEvent(
  tx: Queryable,
  opts: {
    eventId: number;
    replicaId: string;
    ready: boolean;
    promotedInstanceId: string | null;
    now: Date;
  },
): Promise<void> {
  const promoted = opts.promotedInstanceId !== null;
  await tx.execute(
    "UPDATE termination_events SET emergency_replica_id = COALESCE(emergency_replica_id, ?), replica_registered_at = COALESCE(replica_registered_at, ?), replica_ready_at = IF(?, COALESCE(replica_ready_at, ?), replica_ready_at), promoted_at = IF(?, COALESCE(promoted_at, ?), promoted_at), new_instance_id = IF(?, ?, new_instance_id), resolved_at = IF(?, ?, resolved_at), action_taken = ?, no_replica_reason = NULL, status = ?, updated_at = ? WHERE id = ? AND status <> 'resolved'",
    [
      opts.replicaId,
      opts.now,
      opts.ready || promoted,
      opts.now,
      promoted,
      opts.now,
      promoted,
      opts.promotedInstanceId,
      promoted,
      opts.now,
      promoted ? "replica_promoted" : "replica_registered",
      promoted ? "resolved" : "handling",
      opts.now,
      opts.eventId,
    ],
  );
}

/** Marks a launching/syncing replica ready (ready_at set once). */
export async function markReplicaReady(
  tx: Queryable,
  opts: { replicaId: string; at: Date },
): Promise<void> {
  await tx.execute(
    "UPDATE replica_instances SET status = 'ready', ready_at = COALESCE(ready_at, ?), sync_status = 'synced', state_transfer_progress = 100 WHERE id = ? AND status IN ('launching', 'syncing')",
    [opts.at, opts.replicaId],
  );
}

/** Sets ready_at on the interruption event a replica answers (once). */
export async function markEventReplicaReady(
  tx: Queryable,
  opts: { replicaId: string; eventId: number | null; at: Date },
): Promise<void> {
  await tx.execute(
    "UPDATE termination_events SET replica_ready_at = COALESCE(replica_ready_at, ?), updated_at = ? WHERE emergency_replica_id = ? OR id = ?",
    [opts.at, opts.at, opts.replicaId, opts.eventId ?? -1],
  );
}
