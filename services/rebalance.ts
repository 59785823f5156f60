/**
 * E09 rebalance-recommendation (the seed's section 3). Called every 30 s while AWS recommends a
 * rebalance (CONTRACT T-12): one termination_events row per rebalance window (a signal within
 * 10 minutes of the previous one continues the window; a new window's key is its first detection
 * minute), repeats only counted. Each call analyses the current pool's risk and the alternatives
 * (core/pool_choice.ts decideRebalance: stay in a low-risk pool, rebalance signals are noisy) and,
 * when the agent is in auto-switch mode, queues ONE switch command per window (priority 50,
 * created_by rebalance); a command already in flight is never replaced.
 */
import type { AppDeps, ClientPrincipal } from "./types.ts";
import { Conflict, NotFound } from "../core/errors.ts";
import { parseAgentTime } from "../core/agent_time.ts";
import { decideRebalance } from "../core/pool_choice.ts";
import type { PoolChoice } from "../core/pool_choice.ts";
import { scorePool } from "../core/risk.ts";
import type { Recommendation } from "../core/risk.ts";
import {
  countRepeatSignal,
  findEventByKey,
  insertTerminationEvent,
  loadInterruptionContext,
  markAgentSignal,
  setEventCommand,
} from "../db/termination.ts";
import { insertSystemEvent } from "../db/events.ts";
import { queueSwitchCommand } from "../db/commands.ts";
import { riskOptionsFrom } from "../core/risk.ts";
import { loadPoolContext } from "./_pool_context.ts";
import type { PoolContext } from "./_pool_context.ts";
import {
  placementOf,
  resolveInstanceId,
  SIGNAL_WINDOW_GAP_MS,
  signalKey,
} from "./_signal_context.ts";

/** Priority of a rebalance switch (CONTRACT 5.1: 50 = urgent). */
export const REBALANCE_PRIORITY = 50;

/** The E09 answer. */
export interface RebalanceAnswer {
  success: true;
  action: "switch" | "stay";
  target_mode: "spot" | null;
  target_pool_id: string | null;
  target_pool_name?: string;
  reason: string;
  risk_score: number;
  risk_recommendation: Recommendation;
  event_id: number;
  command_id: string | null;
  command_status: "queued" | "already_queued" | "in_flight" | "not_configured" | "none";
}

const EMPTY_CHOICE: PoolChoice = {
  chosen: null,
  ranked: [],
  excluded: [],
  reason: "the current pool is unknown",
};

/** Handles one rebalance-recommendation call. */
export async function handleRebalance(
  deps: AppDeps,
  p: ClientPrincipal,
  opts: { agentId: string; instanceId?: string; detectedAt?: string | null },
): Promise<RebalanceAnswer> {
  const { db, config } = deps;
  const now = deps.clock();
  const instanceId = await resolveInstanceId(deps, p, opts.agentId, opts.instanceId);
  const noticeKey = signalKey("rebalance_recommendation", null, now);
  const ctx = await loadInterruptionContext(db, {
    clientId: p.clientId,
    agentId: opts.agentId,
    instanceId,
    eventType: "rebalance_recommendation",
    noticeKey,
    recentSince: new Date(now.getTime() - SIGNAL_WINDOW_GAP_MS),
  });
  if (!ctx) throw new NotFound("Agent not found", "agent_not_found");
  const place = placementOf(ctx, instanceId);
  let pc: PoolContext | null = null;
  if (place.instanceType && place.region) {
    pc = await loadPoolContext(deps, {
      instanceType: place.instanceType,
      region: place.region,
      failingPoolId: place.poolId,
      now,
      noticeNow: false,
    });
  }
  const riskOpts = riskOptionsFrom(config);
  const unknown = scorePool({ prices: [], events: [], now }, riskOpts);
  const current = pc?.currentRisk ??
    { score: unknown.riskScore, recommendation: unknown.recommendation, source: "computed" };
  const decision = decideRebalance({
    currentRisk: current.score,
    mediumThreshold: config.POOL_RISK_MEDIUM_THRESHOLD,
    choice: place.poolId && pc ? pc.choice : EMPTY_CHOICE,
  });
  const target = decision.target;
  const metadata = {
    risk_score: current.score,
    risk_source: current.source,
    current_pool: place.poolId,
    decision: decision.code,
    agent_detected_at: parseAgentTime(opts.detectedAt)?.toISOString() ?? null,
  };
  const actionTaken = decision.action === "switch" ? "switch_recommended" : "stay";
  // The agent's signal marker, the same on a repeat and on a first notice.
  const signal = {
    clientId: p.clientId,
    agentId: ctx.agent.id,
    instanceId,
    type: "rebalance_recommendation" as const,
    at: now,
    replicaRequested: false,
  };

  let event = ctx.event;
  if (event) {
    await countRepeatSignal(db, {
      eventId: event.id,
      now,
      actionTaken: event.commandId ? undefined : actionTaken,
      targetPoolId: event.commandId ? undefined : target?.poolId ?? null,
      metadata,
    });
    await markAgentSignal(db, signal);
  } else {
    const id = await db.transaction(async (tx) => {
      const id = await insertTerminationEvent(tx, {
        clientId: p.clientId,
        agentId: ctx.agent.id,
        instanceId,
        eventType: "rebalance_recommendation",
        noticeKey,
        poolId: place.poolId,
        status: "detected",
        actionTaken,
        terminationTime: null,
        replicaRequested: false,
        targetPoolId: target?.poolId ?? null,
        noReplicaReason: null,
        webhookStatus: null,
        metadata,
        now,
      });
      await markAgentSignal(tx, signal);
      if (id !== null) {
        await insertSystemEvent(tx, {
          type: "rebalance_recommendation",
          severity: "warning",
          clientId: p.clientId,
          agentId: ctx.agent.id,
          instanceId,
          message:
            `Rebalance recommendation for ${instanceId} in ${place.poolId ?? "unknown pool"}: ` +
            `${decision.action} (${decision.reason})`,
          metadata: { ...metadata, target_pool_id: target?.poolId ?? null },
        });
      }
      return id;
    });
    event = await findEventByKey(db, {
      agentId: ctx.agent.id,
      instanceId,
      eventType: "rebalance_recommendation",
      noticeKey,
    });
    if (!event) throw new Conflict("Signal recorded concurrently, retry", "notice_conflict");
    if (id === null) await countRepeatSignal(db, { eventId: event.id, now, metadata });
  }

  let commandId: string | null = event.commandId;
  let commandStatus: RebalanceAnswer["command_status"] = "none";
  if (decision.action === "switch") {
    const a = ctx.agent;
    const eligible = a.enabled && !a.deleted && a.autoSwitch && !a.manualReplica && place.isPrimary;
    if (!eligible) commandStatus = "not_configured";
    else if (commandId) commandStatus = "already_queued";
    else {
      try {
        const q = await queueSwitchCommand(db, {
          clientId: p.clientId,
          agentId: a.id,
          targetMode: "spot",
          targetPoolId: decision.target.poolId,
          priority: REBALANCE_PRIORITY,
          createdBy: "rebalance",
          triggerType: "emergency",
          reason: decision.reason,
          instanceId,
          now,
          pendingTtlSeconds: config.COMMAND_PENDING_TTL,
        });
        commandId = q.id;
        commandStatus = "queued";
        await setEventCommand(db, { eventId: event.id, commandId: q.id, now });
      } catch (err) {
        if (!(err instanceof Conflict)) throw err;
        commandStatus = "in_flight";
      }
    }
  }
  const poolName = target
    ? pc?.pools.find((x) => x.id === target.poolId)?.poolName ??
      `${place.instanceType} (${target.az})`
    : undefined;
  return {
    success: true,
    action: decision.action,
    target_mode: decision.action === "switch" ? "spot" : null,
    target_pool_id: target?.poolId ?? null,
    ...(poolName ? { target_pool_name: poolName } : {}),
    reason: decision.reason,
    risk_score: current.score,
    risk_recommendation: current.recommendation,
    event_id: event.id,
    command_id: commandId,
    command_status: commandStatus,
  };
}
