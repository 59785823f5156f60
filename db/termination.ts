/**
 * termination_events: one row per termination notice (uk agent+instance+type+notice_key) or per
 * rebalance window, repeats counted in signal_count; the notice-to-ready timeline; the webhook
 * outcome; and the interruption statistics of the admin API.
 */
import type { Queryable } from "./client.ts";
import { bool, json, num } from "./client.ts";

/** The two signal kinds an agent reports. */
export type SignalType = "termination_notice" | "rebalance_recommendation";

/** The agent, the noticed instance and the open event, as one read of the interruption routes. */
export interface InterruptionContext {
  agent: {
    id: string;
    clientId: string;
    logicalId: string;
    hostname: string | null;
    instanceId: string | null;
    instanceType: string | null;
    region: string | null;
    az: string | null;
    mode: string;
    poolId: string | null;
    status: string;
    enabled: boolean;
    deleted: boolean;
    autoSwitch: boolean;
    manualReplica: boolean;
  };
  /** The instances row of the reported instance id (this client's), or null. */
  instance: {
    instanceType: string;
    region: string;
    az: string;
    mode: string;
    poolId: string | null;
    isPrimary: boolean;
    status: string;
  } | null;
  readyReplicas: number;
  /** The event this signal belongs to (same key, or a recent one), or null for a new signal. */
  event: TerminationEventView | null;
}

/** The columns of an event the routes answer from. */
export interface TerminationEventView {
  id: number;
  status: string;
  noticeKey: string;
  actionTaken: string | null;
  replicaRequestedAt: string | null;
  targetPoolId: string | null;
  noReplicaReason: string | null;
  commandId: string | null;
  emergencyReplicaId: string | null;
  signalCount: number;
  metadata: Record<string, unknown> | null;
}

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;
const NEVER = new Date("9999-12-31T00:00:00Z");

/**
 * Reads the agent (scoped by client), the reported instance, the agent's ready replicas and the
 * event this signal belongs to: the one with `noticeKey`, or (when `recentSince` is given) the
 * newest one signalled since then. Null when the agent is not the client's.
 */
export async function loadInterruptionContext(
  db: Queryable,
  opts: {
    clientId: string;
    agentId: string;
    instanceId: string;
    eventType: SignalType;
    noticeKey: string;
    recentSince: Date | null;
  },
): Promise<InterruptionContext | null> {
  const r = await db.execute<Row>(
    "SELECT a.id, a.client_id, a.logical_agent_id, a.hostname, a.instance_id, a.instance_type, a.region, a.az, a.current_mode, a.current_pool_id, a.status, a.enabled, a.deleted_at, a.auto_switch_enabled, a.manual_replica_enabled, i.id AS i_id, i.instance_type AS i_type, i.region AS i_region, i.az AS i_az, i.current_mode AS i_mode, i.current_pool_id AS i_pool, i.is_primary AS i_primary, i.instance_status AS i_status, (SELECT COUNT(*) FROM replica_instances r WHERE r.agent_id = a.id AND r.is_active = 1 AND r.status = 'ready') AS ready_replicas, te.id AS e_id, te.status AS e_status, te.notice_key AS e_key, te.action_taken AS e_action, te.replica_requested_at AS e_requested, te.target_pool_id AS e_target, te.no_replica_reason AS e_reason, te.command_id AS e_command, te.emergency_replica_id AS e_replica, te.signal_count AS e_signals, te.metadata AS e_metadata FROM agents a LEFT JOIN instances i ON i.id = ? AND i.client_id = a.client_id LEFT JOIN termination_events te ON te.id = (SELECT t.id FROM termination_events t WHERE t.agent_id = a.id AND t.instance_id = ? AND t.event_type = ? AND (t.notice_key = ? OR t.last_signal_at >= ?) ORDER BY t.detected_at DESC, t.id DESC LIMIT 1) WHERE a.id = ? AND a.client_id = ?",
    [
      opts.instanceId,
      opts.instanceId,
      opts.eventType,
      opts.noticeKey,
      opts.recentSince ?? NEVER,
      opts.agentId,
      opts.clientId,
    ],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    agent: {
      id: row.id,
      clientId: row.client_id,
      logicalId: row.logical_agent_id,
      hostname: row.hostname,
      instanceId: row.instance_id,
      instanceType: row.instance_type,
      region: row.region,
      az: row.az,
      mode: row.current_mode,
      poolId: row.current_pool_id,
      status: row.status,
      enabled: bool(row.enabled),
      deleted: row.status === "deleted" || row.deleted_at !== null,
      autoSwitch: bool(row.auto_switch_enabled),
      manualReplica: bool(row.manual_replica_enabled),
    },
    instance: row.i_id === null ? null : {
      instanceType: row.i_type,
      region: row.i_region,
      az: row.i_az,
      mode: row.i_mode,
      poolId: row.i_pool,
      isPrimary: bool(row.i_primary),
      status: row.i_status,
    },
    readyReplicas: num(row.ready_replicas) ?? 0,
    event: row.e_id === null ? null : {
      id: Number(row.e_id),
      status: row.e_status,
      noticeKey: row.e_key,
      actionTaken: row.e_action,
      replicaRequestedAt: row.e_requested,
      targetPoolId: row.e_target,
      noReplicaReason: row.e_reason,
      commandId: row.e_command,
      emergencyReplicaId: row.e_replica,
      signalCount: num(row.e_signals) ?? 1,
      metadata: json<Record<string, unknown>>(row.e_metadata),
    },
  };
}

/** A new event row. */
export interface NewTerminationEvent {
  clientId: string;
  agentId: string;
  instanceId: string;
  eventType: SignalType;
  noticeKey: string;
  poolId: string | null;
  status: "detected" | "handling" | "failed";
  actionTaken: string;
  terminationTime: Date | null;
  replicaRequested: boolean;
  targetPoolId: string | null;
  noReplicaReason: string | null;
  webhookStatus: "pending" | null;
  metadata: Record<string, unknown>;
  now: Date;
}

/** Inserts the event unless its key exists (INSERT IGNORE); the new id, or null when it existed. */
export async function insertTerminationEvent(
  tx: Queryable,
  e: NewTerminationEvent,
): Promise<number | null> {
  const r = await tx.execute(
    "INSERT IGNORE INTO termination_events (agent_id, client_id, instance_id, event_type, action_type, action_taken, status, detected_at, pool_id, notice_key, termination_time, signal_count, last_signal_at, answered_at, replica_requested_at, target_pool_id, no_replica_reason, webhook_status, metadata, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
    [
      e.agentId,
      e.clientId,
      e.instanceId,
      e.eventType,
      e.eventType === "termination_notice" ? "emergency_replica" : "risk_analysis",
      e.actionTaken,
      e.status,
      e.now,
      e.poolId,
      e.noticeKey,
      e.terminationTime,
      e.now,
      e.now,
      e.replicaRequested ? e.now : null,
      e.targetPoolId,
      e.noReplicaReason,
      e.webhookStatus,
      JSON.stringify(e.metadata),
      e.now,
    ],
  );
  return r.rowsAffected === 1 ? Number(r.insertId) : null;
}

/** The event with this exact key (after losing an insert race), or null. */
export async function findEventByKey(
  db: Queryable,
  opts: { agentId: string; instanceId: string; eventType: SignalType; noticeKey: string },
): Promise<TerminationEventView | null> {
  const r = await db.execute<Row>(
    "SELECT id, status, notice_key, action_taken, replica_requested_at, target_pool_id, no_replica_reason, command_id, emergency_replica_id, signal_count, metadata FROM termination_events WHERE agent_id = ? AND instance_id = ? AND event_type = ? AND notice_key = ?",
    [opts.agentId, opts.instanceId, opts.eventType, opts.noticeKey],
  );
  const row = r.rows[0];
  return row
    ? {
      id: Number(row.id),
      status: row.status,
      noticeKey: row.notice_key,
      actionTaken: row.action_taken,
      replicaRequestedAt: row.replica_requested_at,
      targetPoolId: row.target_pool_id,
      noReplicaReason: row.no_replica_reason,
      commandId: row.command_id,
      emergencyReplicaId: row.emergency_replica_id,
      signalCount: num(row.signal_count) ?? 1,
      metadata: json<Record<string, unknown>>(row.metadata),
    }
    : null;
}

/** Counts a repeated signal of an existing event; optionally refreshes the recorded answer. */
export async function countRepeatSignal(
  db: Queryable,
  opts: {
    eventId: number;
    now: Date;
    actionTaken?: string;
    targetPoolId?: string | null;
    metadata?: Record<string, unknown>;
  },
): Promise<void> {
  await db.execute(
    "UPDATE termination_events SET signal_count = signal_count + 1, last_signal_at = ?, updated_at = ?, action_taken = COALESCE(?, action_taken), target_pool_id = IF(?, ?, target_pool_id), metadata = COALESCE(?, metadata) WHERE id = ?",
    [
      opts.now,
      opts.now,
      opts.actionTaken ?? null,
      opts.targetPoolId !== undefined,
      opts.targetPoolId ?? null,
      opts.metadata ? JSON.stringify(opts.metadata) : null,
      opts.eventId,
    ],
  );
}

/** Records a signal on the agent (and on the instance): times, and one more emergency replica. */
export async function markAgentSignal(
  tx: Queryable,
  opts: {
    clientId: string;
    agentId: string;
    instanceId: string;
    type: SignalType;
    at: Date;
    replicaRequested: boolean;
  },
): Promise<void> {
  const column = opts.type === "termination_notice"
    ? "last_termination_notice_at"
    : "last_rebalance_recommendation_at";
  await tx.execute(
    `UPDATE agents SET ${column} = ?, last_interruption_signal = ?, emergency_replica_count = COALESCE(emergency_replica_count, 0) + ? WHERE id = ? AND client_id = ?`,
    [opts.at, opts.at, opts.replicaRequested ? 1 : 0, opts.agentId, opts.clientId],
  );
  await tx.execute(
    "UPDATE instances SET last_interruption_signal = ? WHERE id = ? AND client_id = ?",
    [opts.at, opts.instanceId, opts.clientId],
  );
}

/**
 * Records an explicit emergency-replica request (E11) on an event. True when this call made the
 * request (the first one); false when it had been requested already.
 */
export async function markReplicaRequested(
  tx: Queryable,
  opts: { eventId: number; targetPoolId: string; now: Date },
): Promise<boolean> {
  const r = await tx.execute(
    "UPDATE termination_events SET replica_requested_at = ?, target_pool_id = ?, status = 'handling', no_replica_reason = NULL, action_taken = 'replica_requested', answered_at = COALESCE(answered_at, ?), updated_at = ? WHERE id = ? AND replica_requested_at IS NULL AND status <> 'resolved'",
    [opts.now, opts.targetPoolId, opts.now, opts.now, opts.eventId],
  );
  return r.rowsAffected === 1;
}

/** Links the switch command a rebalance queued to its event (once). */
export async function setEventCommand(
  db: Queryable,
  opts: { eventId: number; commandId: string; now: Date },
): Promise<void> {
  await db.execute(
    "UPDATE termination_events SET command_id = ?, status = 'handling', action_taken = 'switch_queued', updated_at = ? WHERE id = ? AND command_id IS NULL",
    [opts.commandId, opts.now, opts.eventId],
  );
}

/** Records the webhook delivery outcome of an event. */
export async function recordWebhookOutcome(
  db: Queryable,
  opts: { eventId: number; status: "sent" | "failed"; attempts: number; now: Date },
): Promise<void> {
  await db.execute(
    "UPDATE termination_events SET webhook_status = ?, webhook_attempts = ?, webhook_sent_at = IF(? = 'sent', ?, webhook_sent_at) WHERE id = ?",
    [opts.status, opts.attempts, opts.status, opts.now, opts.eventId],
  );
}
