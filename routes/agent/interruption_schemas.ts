/**
 * Zod schemas of the interruption endpoints (E08 termination-imminent, E09 rebalance-
 * recommendation, E11 create-emergency-replica, the admin interruption stats) and of the replica
 * endpoints (E12-E19). Unknown extra fields are accepted and ignored (the agent is a program we do
 * not control); timestamps arrive as the agent writes them and are parsed with parseAgentTime.
 */
import { z } from "@hono/zod-openapi";
import { agentTime, decimalInt, identifier, wellFormedText } from "../_validators.ts";

const instanceId = identifier(50);
const time = agentTime({ allowEmpty: true }).nullish();
const poolId = wellFormedText(128);
const short = wellFormedText(32);

/** Path of the replica routes. */
export const ReplicaParams = z.object({
  agent_id: identifier(64),
  replica_id: identifier(255),
});

// The shared error and success bodies (routes/_schemas.ts).
export { ErrorBody } from "../_schemas.ts";

// ---------------------------------------------------------------------------------------------
// E08 termination-imminent

/** Agent v4 sends instance_id, termination_time (IMDS `time`), detected_at; MISSING: action/time. */
export const TerminationBody = z.object({
  instance_id: instanceId.optional(),
  termination_time: time,
  time: time,
  action: short.nullish(),
  detected_at: time,
});

/** The answer; the agent reads only create_emergency_replica (CONTRACT E08, T-10). */
export const TerminationAnswer = z.object({
  success: z.literal(true),
  create_emergency_replica: z.boolean(),
  target_pool_id: z.string().nullable(),
  instructions: z.string(),
  event_id: z.number().int(),
  message: z.string(),
  no_replica_reason: z.string().nullable(),
});

// ---------------------------------------------------------------------------------------------
// E09 rebalance-recommendation

/** `{instance_id, detected_at}`. */
export const RebalanceBody = z.object({
  instance_id: instanceId.optional(),
  detected_at: time,
});

/** The answer; the agent only logs `action`. */
export const RebalanceAnswer = z.object({
  success: z.literal(true),
  action: z.enum(["switch", "stay"]),
  target_mode: z.literal("spot").nullable(),
  target_pool_id: z.string().nullable(),
  target_pool_name: z.string().optional(),
  reason: z.string(),
  risk_score: z.number(),
  risk_recommendation: z.enum(["safe", "caution", "avoid"]),
  event_id: z.number().int(),
  command_id: z.string().nullable(),
  command_status: z.enum(["queued", "already_queued", "in_flight", "not_configured", "none"]),
});

// ---------------------------------------------------------------------------------------------
// E11 create-emergency-replica

/** REF's docstring body; everything optional (the agent's method is dormant). */
export const EmergencyReplicaBody = z.object({
  signal_type: z.enum(["rebalance-recommendation", "termination-notice"]).default(
    "termination-notice",
  ),
  termination_time: time,
  instance_id: instanceId.optional(),
  pool_id: poolId.nullish(),
  preferred_zones: z.array(short).max(20).default([]),
  exclude_zones: z.array(short).max(20).default([]),
  urgency: short.nullish(),
});

const PoolRef = z.object({ id: z.string(), name: z.string(), az: z.string() });

/** The recorded request: which pool to launch in. No replica row until the agent reports one. */
export const EmergencyReplicaAnswer = z.object({
  success: z.literal(true),
  create_emergency_replica: z.literal(true),
  replica_id: z.null(),
  instance_id: z.null(),
  target_pool_id: z.string(),
  pool: PoolRef,
  hourly_cost: z.number().nullable(),
  urgency: z.enum(["critical", "high"]),
  event_id: z.number().int(),
  already_requested: z.boolean(),
  message: z.string(),
});

// ---------------------------------------------------------------------------------------------
// GET /api/admin/interruptions/stats

/** Window and optional tenant. */
export const StatsQuery = z.object({
  days: decimalInt(1, 365, 30),
  client_id: identifier(64).optional(),
});

const Percentiles = z.object({
  count: z.number().int(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
});

/** Counts, notice-to-ready and notice-to-promoted percentiles, notices without a replica. */
export const StatsAnswer = z.object({
  from: z.string(),
  to: z.string(),
  notices: z.number().int(),
  rebalance_windows: z.number().int(),
  replica_requested: z.number().int(),
  replica_registered: z.number().int(),
  resolved: z.number().int(),
  open: z.number().int(),
  notice_to_ready_seconds: Percentiles,
  notice_to_promoted_seconds: Percentiles,
  without_replica: z.object({
    total: z.number().int(),
    reasons: z.record(z.string(), z.number().int()),
  }),
});

// ---------------------------------------------------------------------------------------------
// Replicas (E12-E19)

/** Agent: `{instance_id, replica_type, parent_instance_id, pool_id, status}`; CD: `{target_pool_id}`. */
export const CreateReplicaBody = z.object({
  instance_id: instanceId.nullish(),
  replica_type: z.enum([
    "emergency",
    "manual",
    "automatic-termination",
    "automatic-rebalance",
  ]).nullish(),
  parent_instance_id: instanceId.nullish(),
  pool_id: poolId.nullish(),
  target_pool_id: poolId.nullish(),
  status: z.enum(["launching", "syncing", "ready"]).nullish(),
  created_by: wellFormedText(64).nullish(),
  tags: z.record(wellFormedText(128), z.unknown()).nullish(),
});

/** E13 filters. */
export const ListReplicasQuery = z.object({
  include_terminated: z.enum(["true", "false", "1", "0"]).optional(),
  status: z.enum(["launching", "syncing", "ready", "promoted", "failed", "terminated"]).optional(),
});

/** E14. */
export const PutReplicaBody = z.object({
  instance_id: instanceId,
  status: z.enum(["launching", "syncing", "ready"]).default("syncing"),
});

/** E15. */
export const ReplicaStatusBody = z.object({
  status: z.enum(["launching", "syncing", "ready", "failed", "terminated"]),
  sync_started_at: time,
  sync_completed_at: time,
  error_message: wellFormedText(4000).nullish(),
});

/** E16. */
export const SyncStatusBody = z.object({
  sync_status: z.enum(["initializing", "syncing", "synced", "out-of-sync"]).nullish(),
  sync_latency_ms: z.number().int().min(0).max(86_400_000).nullish(),
  state_transfer_progress: z.number().min(0).max(100).nullish(),
  status: z.enum(["launching", "syncing", "ready"]).nullish(),
});

/** E17 (CD sends no body at all, T-24). */
export const PromoteBody = z.object({
  demote_old_primary: z.boolean().default(false),
  wait_for_sync: z.boolean().optional(),
});

/** One replica as E13 lists it (REF's item, numbers as numbers, booleans as booleans). */
export const ReplicaItem = z.object({
  id: z.string(),
  instance_id: z.string().nullable(),
  type: z.string(),
  replica_type: z.string(),
  status: z.string(),
  sync_status: z.string().nullable(),
  sync_latency_ms: z.number().nullable(),
  state_transfer_progress: z.number(),
  pool: z.object({
    id: z.string(),
    name: z.string(),
    instance_type: z.string().nullable(),
    region: z.string().nullable(),
    az: z.string().nullable(),
  }).nullable(),
  pool_id: z.string().nullable(),
  hourly_cost: z.number().nullable(),
  cost: z.object({ hourly: z.number().nullable(), total: z.number() }),
  total_runtime_hours: z.number(),
  parent_instance_id: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  launched_at: z.string().nullable(),
  ready_at: z.string().nullable(),
  promoted_at: z.string().nullable(),
  terminated_at: z.string().nullable(),
  age_seconds: z.number(),
  is_active: z.boolean(),
  termination_event_id: z.number().nullable(),
  tags: z.record(z.string(), z.unknown()),
});

/** E12 answer. */
export const RegisterAnswer = z.object({
  success: z.literal(true),
  replica_id: z.string(),
  instance_id: z.string().nullable(),
  status: z.string(),
  replica_type: z.string(),
  created: z.boolean(),
  replica: ReplicaItem,
  message: z.string(),
});
/** E14-E16 answer. */
export const StateAnswer = z.object({
  success: z.literal(true),
  replica_id: z.string(),
  instance_id: z.string().nullable(),
  status: z.string(),
  message: z.string(),
});
/** E17 answer. */
export const PromoteAnswer = z.object({
  success: z.literal(true),
  message: z.string(),
  replica_id: z.string(),
  new_instance_id: z.string(),
  old_instance_id: z.string().nullable(),
  old_instance_status: z.string().nullable(),
  demoted: z.boolean(),
  switch_time: z.string(),
  new_replica_id: z.string().nullable(),
  termination_event_id: z.number().nullable(),
});
/** E18 answer. */
export const DeleteAnswer = z.object({
  success: z.literal(true),
  message: z.string(),
  replica_id: z.string(),
  terminated_at: z.string().nullable(),
  new_replica_id: z.null(),
});
/** E19 answer. */
export const ConfigAnswer = z.object({
  enabled: z.boolean(),
  count: z.number().int(),
  manual_replica_enabled: z.boolean(),
  auto_switch_enabled: z.boolean(),
  active_replicas: z.number().int(),
});
