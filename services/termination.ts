/**
 * E08 termination-imminent. A notice is called every 5 s for about 2 minutes (CONTRACT T-10):
 * the first call records ONE termination_events row (notice_key: see _signal_context.ts), decides
 * once whether the agent launches an emergency replica and where (core/pool_choice.ts), raises
 * the pool's risk at once, and in the background sends the webhook and re-scores the type's other
 * AZs (services/sibling_risk.ts); repeats only count the signal
 * and answer `create_emergency_replica: false` ("replica already requested").
 */
import type { AppDeps, ClientPrincipal } from "./types.ts";
import { Conflict, NotFound } from "../core/errors.ts";
import { parseAgentTime } from "../core/agent_time.ts";
import { emergencyReplicaGate } from "../core/pool_choice.ts";
import type { NoReplicaReason } from "../core/pool_choice.ts";
import { DEFAULT_RISK_OPTIONS, recommendationFor, scorePool } from "../core/risk.ts";
import {
  countRepeatSignal,
  findEventByKey,
  insertTerminationEvent,
  loadInterruptionContext,
  markAgentSignal,
} from "../db/termination.ts";
import type { InterruptionContext } from "../db/termination.ts";
import { raisePoolRisk } from "../db/risk.ts";
import { insertNotification, insertSystemEvent } from "../db/events.ts";
import { riskOptionsFrom } from "../core/risk.ts";
import { loadPoolContext } from "./_pool_context.ts";
import { scheduleSiblingRisk } from "./sibling_risk.ts";
import { notifyInBackground } from "./webhooks.ts";
import {
  placementOf,
  resolveInstanceId,
  SIGNAL_WINDOW_GAP_MS,
  signalKey,
} from "./_signal_context.ts";
import type { Placement } from "./_signal_context.ts";

const REASON_TEXT: Record<NoReplicaReason, string> = {
  auto_create_disabled: "emergency replicas are turned off (TERMINATION_REPLICA_AUTO_CREATE)",
  agent_deleted: "the agent was deleted",
  agent_disabled: "the agent is disabled",
  not_primary: "the instance is not the agent's current primary",
  manual_replica_ready: "the user's manual replica is ready: promote it instead",
  no_pool: "no other pool of this instance type is safe to use",
};

/** The E08 answer. */
export interface NoticeAnswer {
  success: true;
  create_emergency_replica: boolean;
  target_pool_id: string | null;
  instructions: string;
  event_id: number;
  message: string;
  no_replica_reason: string | null;
}

/** Handles one termination-imminent call. */
export async function handleTerminationNotice(
  deps: AppDeps,
  p: ClientPrincipal,
  opts: {
    agentId: string;
    instanceId?: string;
    terminationTime?: string | null;
    action?: string | null;
    detectedAt?: string | null;
  },
): Promise<NoticeAnswer> {
  const { db, config } = deps;
  const now = deps.clock();
  const instanceId = await resolveInstanceId(deps, p, opts.agentId, opts.instanceId);
  const termTime = parseAgentTime(opts.terminationTime);
  const noticeKey = signalKey("termination_notice", termTime, now);
  const ctx = await loadInterruptionContext(db, {
    clientId: p.clientId,
    agentId: opts.agentId,
    instanceId,
    eventType: "termination_notice",
    noticeKey,
    recentSince: termTime ? null : new Date(now.getTime() - SIGNAL_WINDOW_GAP_MS),
  });
  if (!ctx) throw new NotFound("Agent not found", "agent_not_found");
  if (ctx.event) {
    await countRepeatSignal(db, { eventId: ctx.event.id, now });
    return repeatAnswer(ctx.event);
  }

  const place = placementOf(ctx, instanceId);
  const gate = emergencyReplicaGate({
    autoCreate: config.TERMINATION_REPLICA_AUTO_CREATE,
    agentEnabled: ctx.agent.enabled,
    agentDeleted: ctx.agent.deleted,
    instanceIsPrimary: place.isPrimary,
    manualReplicaEnabled: ctx.agent.manualReplica,
    readyReplicas: ctx.readyReplicas,
  });
  let reason: NoReplicaReason | null = gate.allowed ? null : gate.reason;
  let target: { poolId: string; price: number | null } | null = null;
  let choiceReason = "";
  if (gate.allowed) {
    if (place.instanceType && place.region) {
      const pc = await loadPoolContext(deps, {
        instanceType: place.instanceType,
        region: place.region,
        failingPoolId: place.poolId,
        now,
        noticeNow: true,
      });
      target = pc.choice.chosen;
      choiceReason = pc.choice.reason;
    }
    if (!target) reason = "no_pool";
  }
  const requested = target !== null;
  const riskOpts = riskOptionsFrom(config);
  const floor = scorePool({
    prices: [],
    events: [{ at: now, kind: "termination_notice" }],
    now,
  }, riskOpts).components.freshNoticeFloor;

  const eventId = await db.transaction(async (tx) => {
    const id = await insertTerminationEvent(tx, {
      clientId: p.clientId,
      agentId: ctx.agent.id,
      instanceId,
      eventType: "termination_notice",
      noticeKey,
      poolId: place.poolId,
      status: requested ? "handling" : reason === "manual_replica_ready" ? "detected" : "failed",
      actionTaken: requested
        ? "replica_requested"
        : reason === "manual_replica_ready"
        ? "manual_replica_available"
        : "no_replica",
      terminationTime: termTime,
      replicaRequested: requested,
      targetPoolId: target?.poolId ?? null,
      noReplicaReason: reason,
      webhookStatus: config.TERMINATION_NOTIFICATION_WEBHOOK ? "pending" : null,
      metadata: {
        action: opts.action ?? null,
        agent_detected_at: parseAgentTime(opts.detectedAt)?.toISOString() ?? null,
        choice: choiceReason || null,
      },
      now,
    });
    if (id === null) return null;
    await markAgentSignal(tx, {
      clientId: p.clientId,
      agentId: ctx.agent.id,
      instanceId,
      type: "termination_notice",
      at: now,
      replicaRequested: requested,
    });
    const text = noticeText(ctx, p, { instanceId, place, termTime, target, reason });
    await insertSystemEvent(tx, {
      type: "termination_notice",
      severity: "warning",
      clientId: p.clientId,
      agentId: ctx.agent.id,
      instanceId,
      message: text,
      metadata: { event_id: id, target_pool_id: target?.poolId ?? null, no_replica_reason: reason },
    });
    await insertNotification(tx, {
      clientId: p.clientId,
      agentId: ctx.agent.id,
      type: "termination_notice",
      message: text,
      severity: "warning",
    });
    return id;
  });
  if (eventId === null) {
    // Another call of the same notice inserted first: this one is a repeat.
    const ev = await findEventByKey(db, {
      agentId: ctx.agent.id,
      instanceId,
      eventType: "termination_notice",
      noticeKey,
    });
    if (!ev) throw new Conflict("Notice recorded concurrently, retry", "notice_conflict");
    await countRepeatSignal(db, { eventId: ev.id, now });
    return repeatAnswer(ev);
  }
  if (place.poolId) {
    // After the commit, as its own statement: inside the notice's transaction its count of other
    // clients' notices took shared locks on the events that concurrent notices of the same pool
    // had just inserted, and a fleet's simultaneous notices deadlocked (1213) past the retries.
    await raisePoolRisk(db, {
      poolId: place.poolId,
      score: floor,
      recommendation: recommendationFor(floor, riskOpts),
      at: now,
      // One tenant's notice raises only its own view (listOwnNotices); the shared score needs
      // notices from several clients (core/market.ts).
      confirmClients: DEFAULT_RISK_OPTIONS.confirmClients,
      confirmSince: new Date(now.getTime() - DEFAULT_RISK_OPTIONS.freshNoticeMinutes * 60_000),
    });
  }
  notifyInBackground(deps, {
    eventId,
    text: noticeText(ctx, p, { instanceId, place, termTime, target, reason }),
  });
  if (place.poolId && place.instanceType && place.region) {
    scheduleSiblingRisk(deps, {
      instanceType: place.instanceType,
      region: place.region,
      failingPoolId: place.poolId,
      now,
    });
  }
  return {
    success: true,
    create_emergency_replica: requested,
    target_pool_id: target?.poolId ?? null,
    instructions: target
      ? `Launch one spot replica of the same instance type in ${target.poolId}, then register it: POST /api/agents/${ctx.agent.id}/replicas {instance_id, replica_type:"emergency", parent_instance_id:"${instanceId}", pool_id, status:"ready"}.`
      : `No emergency replica: ${REASON_TEXT[reason!]}.`,
    event_id: eventId,
    message: requested
      ? `Termination notice recorded; launch an emergency replica in ${target!.poolId}`
      : `Termination notice recorded; ${REASON_TEXT[reason!]}`,
    no_replica_reason: reason,
  };
}

function repeatAnswer(ev: {
  id: number;
  replicaRequestedAt: string | null;
  targetPoolId: string | null;
  noReplicaReason: string | null;
}): NoticeAnswer {
  const requested = ev.replicaRequestedAt !== null;
  return {
    success: true,
    create_emergency_replica: false,
    target_pool_id: ev.targetPoolId,
    instructions: requested
      ? "Already answered: launch at most one emergency replica for this notice."
      : "Already answered for this notice.",
    event_id: ev.id,
    message: requested ? "replica already requested" : "notice already recorded",
    no_replica_reason: ev.noReplicaReason,
  };
}

function noticeText(
  ctx: InterruptionContext,
  p: ClientPrincipal,
  o: {
    instanceId: string;
    place: Placement;
    termTime: Date | null;
    target: { poolId: string } | null;
    reason: NoReplicaReason | null;
  },
): string {
  const who = `agent ${ctx.agent.logicalId}${ctx.agent.hostname ? ` (${ctx.agent.hostname})` : ""}`;
  const when = o.termTime ? `at ${o.termTime.toISOString()}` : "in about 2 minutes";
  const then = o.target
    ? `Emergency replica requested in ${o.target.poolId}.`
    : `No emergency replica: ${REASON_TEXT[o.reason!]}.`;
  return `Spot interruption notice: instance ${o.instanceId} of ${who}, client ${p.clientName}, ` +
    `pool ${o.place.poolId ?? "unknown"}, will be reclaimed ${when}. ${then}`;
}
