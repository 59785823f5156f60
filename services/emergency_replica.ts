/**
 * E11 create-emergency-replica (dormant in agent v4): records an explicit request on the signal's
 * event (once; repeats answer the same pool) and answers the pool to launch in, never the failing
 * pool or a correlated one. No replica row is written: it exists once the agent reports a real
 * instance (B-30).
 */
import type { AppDeps, ClientPrincipal } from "./types.ts";
import { Conflict, NotFound } from "../core/errors.ts";
import { parseAgentTime } from "../core/agent_time.ts";
import {
  findEventByKey,
  insertTerminationEvent,
  loadInterruptionContext,
  markAgentSignal,
  markReplicaRequested,
} from "../db/termination.ts";
import type { SignalType } from "../db/termination.ts";
import { loadPoolContext, splitPoolId } from "./_pool_context.ts";
import {
  placementOf,
  resolveInstanceId,
  SIGNAL_WINDOW_GAP_MS,
  signalKey,
} from "./_signal_context.ts";

/** The E11 answer. */
export interface EmergencyRequestAnswer {
  success: true;
  create_emergency_replica: true;
  replica_id: null;
  instance_id: null;
  target_pool_id: string;
  pool: { id: string; name: string; az: string };
  hourly_cost: number | null;
  urgency: "critical" | "high";
  event_id: number;
  already_requested: boolean;
  message: string;
}

/**
 * E11: records an explicit emergency-replica request on the signal's event and answers the pool
 * to launch in. No replica row is written: it exists once the agent reports a real instance (B-30).
 */
export async function handleEmergencyRequest(
  deps: AppDeps,
  p: ClientPrincipal,
  opts: {
    agentId: string;
    signal: SignalType;
    instanceId?: string;
    terminationTime?: string | null;
    poolId?: string | null;
    preferredZones: string[];
    excludeZones: string[];
  },
): Promise<EmergencyRequestAnswer> {
  const { db } = deps;
  const now = deps.clock();
  const instanceId = await resolveInstanceId(deps, p, opts.agentId, opts.instanceId);
  const termTime = parseAgentTime(opts.terminationTime);
  const noticeKey = signalKey(opts.signal, termTime, now);
  const ctx = await loadInterruptionContext(db, {
    clientId: p.clientId,
    agentId: opts.agentId,
    instanceId,
    eventType: opts.signal,
    noticeKey,
    recentSince: opts.signal === "termination_notice" && termTime
      ? null
      : new Date(now.getTime() - SIGNAL_WINDOW_GAP_MS),
  });
  if (!ctx || ctx.agent.deleted) throw new NotFound("Agent not found", "agent_not_found");
  if (!ctx.agent.enabled) throw new Conflict("Agent is disabled", "agent_disabled");
  const place = placementOf(ctx, instanceId);
  if (!place.instanceType || !place.region) {
    throw new Conflict("The instance's type and region are unknown", "no_pool");
  }
  const pc = await loadPoolContext(deps, {
    instanceType: place.instanceType,
    region: place.region,
    failingPoolId: place.poolId,
    now,
    noticeNow: opts.signal === "termination_notice",
    excludeZones: opts.excludeZones,
    preferredZones: opts.preferredZones,
  });
  const asked = opts.poolId ? pc.choice.ranked.find((r) => r.poolId === opts.poolId) : undefined;
  const chosen = asked ?? pc.choice.chosen;
  if (!chosen) {
    throw new Conflict("No suitable pool found for an emergency replica", "no_pool", {
      reason: pc.choice.reason,
    });
  }
  const result = await db.transaction(async (tx) => {
    let id = ctx.event?.id ?? null;
    let fresh = false;
    if (id === null) {
      id = await insertTerminationEvent(tx, {
        clientId: p.clientId,
        agentId: ctx.agent.id,
        instanceId,
        eventType: opts.signal,
        noticeKey,
        poolId: place.poolId,
        status: "handling",
        actionTaken: "replica_requested",
        terminationTime: termTime,
        replicaRequested: true,
        targetPoolId: chosen.poolId,
        noReplicaReason: null,
        webhookStatus: null,
        metadata: { source: "create-emergency-replica" },
        now,
      });
      fresh = id !== null;
      if (id === null) {
        const ev = await findEventByKey(tx, {
          agentId: ctx.agent.id,
          instanceId,
          eventType: opts.signal,
          noticeKey,
        });
        if (!ev) throw new Conflict("Signal recorded concurrently, retry", "notice_conflict");
        id = ev.id;
      }
    }
    if (!fresh) {
      fresh = await markReplicaRequested(tx, { eventId: id, targetPoolId: chosen.poolId, now });
    }
    if (fresh) {
      await markAgentSignal(tx, {
        clientId: p.clientId,
        agentId: ctx.agent.id,
        instanceId,
        type: opts.signal,
        at: now,
        replicaRequested: true,
      });
    }
    return { id, fresh };
  });
  const pool = pc.pools.find((x) => x.id === chosen.poolId);
  const target = result.fresh ? chosen.poolId : ctx.event?.targetPoolId ?? chosen.poolId;
  return {
    success: true,
    create_emergency_replica: true,
    replica_id: null,
    instance_id: null,
    target_pool_id: target,
    pool: {
      id: target,
      name: pool?.poolName ?? `${place.instanceType} (${splitPoolId(target)?.az ?? chosen.az})`,
      az: splitPoolId(target)?.az ?? chosen.az,
    },
    hourly_cost: chosen.price,
    urgency: opts.signal === "termination_notice" ? "critical" : "high",
    event_id: result.id,
    already_requested: !result.fresh,
    message: result.fresh
      ? `Launch the replica in ${target} and register it with POST /api/agents/${ctx.agent.id}/replicas`
      : "replica already requested",
  };
}
