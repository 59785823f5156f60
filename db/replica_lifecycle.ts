/**
 * Replica lifecycle after registration: instance/status/sync updates (E14-E16), promotion in ONE
 * transaction (E17) and deletion (E18). Promotion makes the replica's instance the agent's
 * primary with agent_id set (B-23), retires the old primary (zombie, terminated when it got a
 * termination notice, or a replica when demoted), moves the savings segments and resolves the
 * termination event.
 */
import type { Db, Queryable } from "./client.ts";
import { insertSystemEvent } from "./events.ts";
import { findReplica, findReplicaAgent } from "./replicas.ts";
import { markEventReplicaReady } from "./replica_register.ts";
import type { ReplicaRecord } from "./replicas.ts";
import { retireInstance, upsertPrimaryInstance } from "./instances.ts";
import {
  closeOpenSegment,
  endSegmentAtTermination,
  openSegment,
  supersedeOpenSegment,
} from "./segments.ts";
import { Conflict, NotFound } from "../core/errors.ts";

/** Locks and returns an agent's replica; 404 when it is not there. */
async function lockReplica(
  tx: Queryable,
  opts: { agentId: string; clientScope: string | null; replicaId: string },
): Promise<ReplicaRecord> {
  const agent = await findReplicaAgent(tx, {
    agentId: opts.agentId,
    clientId: opts.clientScope,
    forUpdate: true,
  });
  if (!agent) throw new NotFound("Agent not found", "agent_not_found");
  const rep = await findReplica(tx, {
    agentId: opts.agentId,
    replicaId: opts.replicaId,
    forUpdate: true,
  });
  if (!rep) throw new NotFound("Replica not found", "replica_not_found");
  return rep;
}

function assertOpen(rep: ReplicaRecord): void {
  if (rep.status === "promoted") {
    throw new Conflict("Replica was promoted", "replica_promoted", {
      promoted_at: rep.promotedAt,
    });
  }
  if (!rep.isActive || rep.status === "terminated") {
    throw new Conflict("Replica already terminated", "replica_terminated", {
      terminated_at: rep.terminatedAt,
    });
  }
}

/** Scope of one replica operation. */
export interface ReplicaScope {
  agentId: string;
  clientScope: string | null;
  replicaId: string;
  now: Date;
}

/** E14/E15/E16: sets status (ready sets ready_at once and the event's replica_ready_at). */
export async function updateReplicaState(
  db: Db,
  opts: ReplicaScope & {
    status?: "launching" | "syncing" | "ready" | "failed" | null;
    instanceId?: string | null;
    syncStatus?: string | null;
    syncLatencyMs?: number | null;
    progress?: number | null;
    syncStartedAt?: Date | null;
    syncCompletedAt?: Date | null;
    errorMessage?: string | null;
  },
): Promise<ReplicaRecord> {
  return await db.transaction(async (tx) => {
    const rep = await lockReplica(tx, opts);
    assertOpen(rep);
    const status = opts.progress !== null && opts.progress !== undefined && opts.progress >= 100
      ? "ready"
      : opts.status ?? null;
    if (opts.instanceId && opts.instanceId !== rep.instanceId) {
      await tx.execute(
        "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, current_mode, current_pool_id, spot_price, is_active, instance_status, is_primary, installed_at) VALUES (?, ?, ?, ?, ?, ?, 'spot', ?, ?, 1, 'running_replica', 0, ?) ON DUPLICATE KEY UPDATE instance_status = IF(is_primary = 1, instance_status, 'running_replica'), is_active = 1",
        [
          opts.instanceId,
          rep.clientId,
          opts.agentId,
          rep.instanceType ?? "unknown",
          rep.region ?? "unknown",
          rep.az ?? "unknown",
          rep.poolId,
          rep.hourlyCost,
          opts.now,
        ],
      );
    }
    await tx.execute(
      "UPDATE replica_instances SET instance_id = COALESCE(?, instance_id), status = COALESCE(?, status), launched_at = COALESCE(launched_at, ?), ready_at = IF(? = 'ready', COALESCE(ready_at, ?), ready_at), ended_at = IF(? = 'failed', COALESCE(ended_at, ?), ended_at), sync_status = COALESCE(?, IF(? = 'ready', 'synced', sync_status)), sync_latency_ms = COALESCE(?, sync_latency_ms), state_transfer_progress = COALESCE(?, IF(? = 'ready', 100, state_transfer_progress)), sync_started_at = COALESCE(?, sync_started_at), sync_completed_at = COALESCE(?, sync_completed_at), error_message = COALESCE(?, error_message), last_sync_at = IF(? OR ? IS NOT NULL, ?, last_sync_at) WHERE id = ?",
      [
        opts.instanceId ?? null,
        status,
        opts.now,
        status,
        opts.now,
        status,
        opts.now,
        opts.syncStatus ?? null,
        status,
        opts.syncLatencyMs ?? null,
        opts.progress ?? null,
        status,
        opts.syncStartedAt ?? null,
        opts.syncCompletedAt ?? null,
        opts.errorMessage ?? null,
        opts.syncStatus !== undefined && opts.syncStatus !== null,
        opts.progress ?? null,
        opts.now,
        rep.id,
      ],
    );
    if (status === "ready") {
      await markEventReplicaReady(tx, {
        replicaId: rep.id,
        eventId: rep.terminationEventId,
        at: opts.now,
      });
    }
    if (status === "failed") {
      await tx.execute(
        "UPDATE termination_events SET status = 'failed', no_replica_reason = 'replica_failed', error_message = COALESCE(?, error_message), updated_at = ? WHERE emergency_replica_id = ? AND status IN ('detected', 'handling')",
        [opts.errorMessage ?? null, opts.now, rep.id],
      );
    }
    return (await findReplica(tx, { agentId: opts.agentId, replicaId: rep.id }))!;
  });
}

/** What a promotion did. */
export interface PromoteResult {
  replica: ReplicaRecord;
  newInstanceId: string;
  oldInstanceId: string | null;
  demotedReplicaId: string | null;
  oldInstanceStatus: "zombie" | "terminated" | "running_replica" | null;
  eventId: number | null;
}

/** E17: promotes a ready/syncing replica to primary, all in one transaction. */
export async function promoteReplica(
  db: Db,
  opts: ReplicaScope & { demoteOldPrimary: boolean },
): Promise<PromoteResult> {
  return await db.transaction(async (tx) => {
    const rep = await lockReplica(tx, opts);
    assertOpen(rep);
    if (rep.status !== "ready" && rep.status !== "syncing") {
      throw new Conflict(
        "Replica must be ready or syncing to be promoted",
        "replica_not_ready",
        {
          current_status: rep.status,
          required_status: ["ready", "syncing"],
        },
      );
    }
    const agent = (await findReplicaAgent(tx, { agentId: opts.agentId, clientId: null }))!;
    const now = opts.now;
    const newId = rep.instanceId!;
    const oldId = agent.instanceId && agent.instanceId !== newId ? agent.instanceId : null;
    const type = rep.instanceType ?? agent.instanceType ?? "unknown";
    const region = rep.region ?? agent.region ?? "unknown";
    const az = rep.az ?? agent.az ?? "unknown";
    const poolId = rep.poolId ?? (type !== "unknown" && az !== "unknown" ? `${type}.${az}` : null);
    const ev = await tx.execute<{ id: number; termination_time: string | null }>(
      "SELECT id, termination_time FROM termination_events WHERE agent_id = ? AND event_type = 'termination_notice' AND status IN ('detected', 'handling', 'failed') AND (emergency_replica_id = ? OR instance_id = ?) ORDER BY detected_at DESC LIMIT 1 FOR UPDATE",
      [opts.agentId, rep.id, oldId ?? ""],
    );
    const event = ev.rows[0] ?? null;

    await tx.execute(
      "UPDATE replica_instances SET status = 'promoted', promoted_at = ?, failover_completed_at = ?, ready_at = COALESCE(ready_at, ?), ended_at = COALESCE(ended_at, ?), is_active = 0 WHERE id = ?",
      [now, now, now, now, rep.id],
    );
    const place = { clientId: agent.clientId, agentId: agent.id, instanceId: newId, region };
    await upsertPrimaryInstance(tx, {
      ...place,
      instanceType: type,
      az,
      amiId: null,
      mode: "spot",
      poolId,
      now,
      lastSwitchAt: now,
      spotPrice: rep.hourlyCost,
    });
    await openSegment(tx, { ...place, instanceType: type, mode: "spot", poolId, at: now });

    let demotedReplicaId: string | null = null;
    let oldStatus: PromoteResult["oldInstanceStatus"] = null;
    if (oldId) {
      if (opts.demoteOldPrimary && !event) {
        demotedReplicaId = crypto.randomUUID();
        oldStatus = "running_replica";
        await tx.execute(
          "UPDATE instances SET is_primary = 0, is_active = 1, instance_status = 'running_replica' WHERE id = ? AND client_id = ?",
          [oldId, agent.clientId],
        );
        await closeOpenSegment(tx, {
          instanceId: oldId,
          at: now,
          reason: "demoted",
          clientId: agent.clientId,
        });
        await tx.execute(
          "INSERT INTO replica_instances (id, agent_id, client_id, instance_id, replica_type, pool_id, instance_type, region, az, status, created_at, launched_at, ready_at, created_by, parent_instance_id, is_active, sync_status, state_transfer_progress) SELECT ?, ?, ?, i.id, 'manual', i.current_pool_id, i.instance_type, i.region, i.az, 'ready', ?, ?, ?, 'system', ?, 1, 'synced', 100 FROM instances i WHERE i.id = ? AND i.client_id = ?",
          [demotedReplicaId, agent.id, agent.clientId, now, now, now, newId, oldId, agent.clientId],
        );
      } else {
        // A noticed instance is being reclaimed by AWS: it ends terminated, never a zombie.
        const t = event?.termination_time ? new Date(event.termination_time) : now;
        const terminatedAt = event ? (t < now ? t : now) : null;
        oldStatus = terminatedAt ? "terminated" : "zombie";
        await retireInstance(tx, { clientId: agent.clientId, instanceId: oldId, terminatedAt });
        if (terminatedAt) {
          await endSegmentAtTermination(tx, {
            instanceId: oldId,
            terminatedAt,
            supersededAt: now,
            clientId: agent.clientId,
          });
        } else {
          await supersedeOpenSegment(tx, { instanceId: oldId, at: now, clientId: agent.clientId });
        }
      }
    }
    await tx.execute(
      "UPDATE agents SET instance_id = ?, instance_type = ?, region = ?, az = ?, current_mode = 'spot', current_pool_id = ?, pool_since = ?, current_replica_id = ?, last_failover_at = ?, last_switch_at = ?, interruption_handled_count = interruption_handled_count + ? WHERE id = ?",
      [newId, type, region, az, poolId, now, demotedReplicaId, now, now, event ? 1 : 0, agent.id],
    );
    if (event) {
      await tx.execute(
        "UPDATE termination_events SET status = 'resolved', resolved_at = ?, new_instance_id = ?, promoted_at = ?, emergency_replica_id = COALESCE(emergency_replica_id, ?), replica_registered_at = COALESCE(replica_registered_at, ?), replica_ready_at = COALESCE(replica_ready_at, ?), no_replica_reason = NULL, action_taken = 'replica_promoted', updated_at = ? WHERE id = ?",
        [now, newId, now, rep.id, now, rep.readyAt ? new Date(rep.readyAt) : now, now, event.id],
      );
    }
    await tx.execute(
      "INSERT INTO instance_switches (agent_id, client_id, old_instance_id, new_instance_id, switch_reason, switched_at, success) VALUES (?, ?, ?, ?, ?, ?, 1)",
      [
        agent.id,
        agent.clientId,
        oldId,
        newId,
        event ? "automatic-interruption-failover" : "manual-replica-promotion",
        now,
      ],
    );
    await insertSystemEvent(tx, {
      type: "replica_promoted",
      clientId: agent.clientId,
      agentId: agent.id,
      instanceId: newId,
      message: `Replica ${newId} promoted to primary${oldId ? ` (was ${oldId})` : ""}`,
      metadata: {
        replica_id: rep.id,
        old_instance_id: oldId,
        demoted_replica_id: demotedReplicaId,
      },
    });
    const replica = (await findReplica(tx, { agentId: agent.id, replicaId: rep.id }))!;
    return {
      replica,
      newInstanceId: newId,
      oldInstanceId: oldId,
      demotedReplicaId,
      oldInstanceStatus: oldStatus,
      eventId: event ? Number(event.id) : null,
    };
  });
}

/**
 * E18 (and E15 status terminated): the replica ends; its instance becomes a zombie (still
 * running in EC2: the server does not terminate instances) and an open emergency event that
 * waited for it fails with reason replica_deleted. `idempotent` answers an ended replica as is.
 */
export async function terminateReplica(
  db: Db,
  opts: ReplicaScope & { idempotent?: boolean },
): Promise<ReplicaRecord> {
  return await db.transaction(async (tx) => {
    const rep = await lockReplica(tx, opts);
    if (opts.idempotent && rep.status === "terminated") return rep;
    assertOpen(rep);
    const now = opts.now;
    await tx.execute(
      "UPDATE replica_instances SET status = 'terminated', is_active = 0, terminated_at = ?, ended_at = COALESCE(ended_at, ?) WHERE id = ?",
      [now, now, rep.id],
    );
    await tx.execute(
      "UPDATE instances SET instance_status = IF(instance_status = 'terminated', 'terminated', 'zombie'), is_active = 0 WHERE id = ? AND agent_id = ? AND is_primary = 0",
      [rep.instanceId ?? "", opts.agentId],
    );
    await tx.execute(
      "UPDATE agents SET current_replica_id = NULL WHERE id = ? AND current_replica_id = ?",
      [opts.agentId, rep.id],
    );
    await tx.execute(
      "UPDATE termination_events SET status = 'failed', no_replica_reason = 'replica_deleted', updated_at = ? WHERE emergency_replica_id = ? AND status IN ('detected', 'handling')",
      [now, rep.id],
    );
    await insertSystemEvent(tx, {
      type: "replica_terminated",
      clientId: rep.clientId,
      agentId: opts.agentId,
      instanceId: rep.instanceId,
      message: `Replica ${rep.instanceId ?? rep.id} terminated`,
      metadata: { replica_id: rep.id },
    });
    return (await findReplica(tx, { agentId: opts.agentId, replicaId: rep.id }))!;
  });
}
