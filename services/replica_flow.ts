/**
 * E12 POST /api/agents/{id}/replicas: registers a replica an agent launched. Accepts the agent's
 * body (`{instance_id, replica_type:"emergency"|"manual", parent_instance_id, pool_id,
 * status:"ready"}`, CONTRACT T-11) and the dashboard's `{target_pool_id}`. The server cannot
 * launch EC2 instances, so a request without `instance_id` is refused with 400
 * `instance_id_required` instead of writing a placeholder nothing would fulfil (B-30).
 * Idempotent per (agent, instance id). `emergency` maps to automatic-termination (or
 * automatic-rebalance for a rebalance request) and works in any mode; `manual` needs manual
 * replica mode, which excludes auto-switch (CONTRACT 5.3), and at most one active manual replica.
 */
import type { AppDeps } from "./types.ts";
import { Conflict, InvalidInput, NotFound } from "../core/errors.ts";
import { insertSystemEvent } from "../db/events.ts";
import { isPoolId, poolInstanceType } from "../core/pool_id.ts";
import { latestSpotPrice } from "../db/risk.ts";
import { countActiveReplicas, findReplica, findReplicaAgent } from "../db/replicas.ts";
import {
  findOpenReplicaEvent,
  insertReplica,
  instanceOwner,
  linkReplicaToEvent,
  markEventReplicaReady,
  markReplicaReady,
} from "../db/replica_register.ts";
import type { ReplicaRecord } from "../db/replicas.ts";
import { splitPoolId } from "./_pool_context.ts";

/** The replica registration request, as validated. */
export interface ReplicaRegistration {
  instanceId?: string | null;
  replicaType?: "emergency" | "manual" | "automatic-termination" | "automatic-rebalance" | null;
  parentInstanceId?: string | null;
  poolId?: string | null;
  status?: "launching" | "syncing" | "ready" | null;
  createdBy?: string | null;
  tags?: Record<string, unknown> | null;
}

/** How far back an open interruption event can be answered by a new emergency replica. */
const EVENT_LOOKBACK_MS = 2 * 3_600_000;

/** Registers (or re-reports) a replica; `created` false for a repeat of the same instance. */
export async function registerReplica(
  deps: AppDeps,
  opts: { agentId: string; clientScope: string | null; body: ReplicaRegistration },
): Promise<{ replica: ReplicaRecord; created: boolean }> {
  const { db } = deps;
  const now = deps.clock();
  const b = opts.body;
  const instanceId = b.instanceId?.trim();
  if (!instanceId) {
    throw new InvalidInput(
      "The server cannot launch EC2 instances: launch the replica, then register it with its instance_id",
      "instance_id_required",
    );
  }
  const pool = b.poolId?.trim() || null;
  if (pool && !isPoolId(pool)) {
    throw new InvalidInput(
      "pool_id must look like <instance_type>.<az>, e.g. t3.medium.us-east-1a",
      "invalid_pool_id",
    );
  }
  if (b.parentInstanceId && b.parentInstanceId === instanceId) {
    throw new InvalidInput("A replica cannot be its own parent", "replica_is_parent");
  }
  return await db.transaction(async (tx) => {
    const agent = await findReplicaAgent(tx, {
      agentId: opts.agentId,
      clientId: opts.clientScope,
      forUpdate: true,
    });
    if (!agent) throw new NotFound("Agent not found", "agent_not_found");
    const existing = await findReplica(tx, { agentId: agent.id, instanceId, forUpdate: true });
    if (existing) {
      if (
        b.status === "ready" && (existing.status === "launching" || existing.status === "syncing")
      ) {
        await markReplicaReady(tx, { replicaId: existing.id, at: now });
        await markEventReplicaReady(tx, {
          replicaId: existing.id,
          eventId: existing.terminationEventId,
          at: now,
        });
      }
      return {
        replica: (await findReplica(tx, { agentId: agent.id, replicaId: existing.id }))!,
        created: false,
      };
    }
    const owner = await instanceOwner(tx, agent.clientId, instanceId);
    if (owner?.agentId && owner.agentId !== agent.id) {
      throw new Conflict("This instance belongs to another agent", "instance_taken");
    }
    const manual = !b.replicaType || b.replicaType === "manual";
    if (manual) {
      if (agent.autoSwitch) {
        throw new Conflict(
          "Auto-switch is on: manual replicas need manual replica mode (the two are mutually exclusive)",
          "mode_conflict",
        );
      }
      if (!agent.manualReplica) {
        throw new Conflict(
          "Manual replica mode is off for this agent",
          "manual_replica_disabled",
        );
      }
      const n = await countActiveReplicas(tx, { agentId: agent.id, type: "manual" });
      if (n >= 1) {
        throw new Conflict("A manual replica already exists", "replica_exists", {
          current_count: n,
          max_allowed: 1,
        });
      }
    }
    let event = null;
    if (!manual) {
      const since = new Date(now.getTime() - EVENT_LOOKBACK_MS);
      const parent = b.parentInstanceId ?? null;
      event = await findOpenReplicaEvent(tx, {
        agentId: agent.id,
        parentInstanceId: parent,
        since,
      });
      if (!event && parent) {
        event = await findOpenReplicaEvent(tx, {
          agentId: agent.id,
          parentInstanceId: null,
          since,
        });
      }
    }
    const type = manual
      ? "manual"
      : b.replicaType === "automatic-rebalance" || event?.type === "rebalance_recommendation"
      ? "automatic-rebalance"
      : "automatic-termination";
    const poolId = pool ?? agent.poolId;
    const split = poolId ? splitPoolId(poolId) : null;
    if (
      pool && agent.instanceType && agent.instanceType !== "unknown" &&
      poolInstanceType(pool) !== agent.instanceType
    ) {
      throw new InvalidInput(
        `pool_id is for another instance type than the agent's ${agent.instanceType}`,
        "pool_type_mismatch",
      );
    }
    // The replica's own agent may have registered first and already taken over the agent row.
    const alreadyPrimary = agent.instanceId === instanceId;
    const id = crypto.randomUUID();
    const hourly = poolId
      ? await latestSpotPrice(tx, { poolId, since: new Date(now.getTime() - 86_400_000) })
      : null;
    await insertReplica(tx, {
      id,
      agentId: agent.id,
      clientId: agent.clientId,
      instanceId,
      type,
      poolId,
      instanceType: split?.instanceType ?? agent.instanceType,
      region: agent.region,
      az: split?.az ?? agent.az,
      status: alreadyPrimary ? "promoted" : b.status ?? "launching",
      createdBy: b.createdBy ?? (manual ? "user" : "agent"),
      parentInstanceId: b.parentInstanceId ?? null,
      hourlyCost: hourly,
      event,
      tags: b.tags ?? null,
      now,
    });
    if (event) {
      await linkReplicaToEvent(tx, {
        eventId: event.id,
        replicaId: id,
        ready: b.status === "ready",
        promotedInstanceId: alreadyPrimary ? instanceId : null,
        now,
      });
    }
    await insertSystemEvent(tx, {
      type: "replica_registered",
      clientId: agent.clientId,
      agentId: agent.id,
      instanceId,
      message: `${type} replica ${instanceId} registered in ${poolId ?? "unknown pool"}`,
      metadata: { replica_id: id, termination_event_id: event?.id ?? null },
    });
    return {
      replica: (await findReplica(tx, { agentId: agent.id, replicaId: id }))!,
      created: true,
    };
  });
}
