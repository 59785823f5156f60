/**
 * Zod schemas of the agent-facing payloads (CONTRACT section 2, agent v4.0.0 and the legacy v3.2
 * shapes). Requests are lenient on purpose: `null`, `"unknown"` and unknown extra fields are
 * accepted (T-01), because any 4xx at registration makes the real agent exit.
 */
import { z } from "@hono/zod-openapi";
import { agentMode, agentTime, identifier, wellFormedText } from "../_validators.ts";

/** Bounded free text (the column's size: longer is a 400, never cut). */
const str = (max: number) => wellFormedText(max).nullish();
const time = agentTime({ allowEmpty: true }).nullish();
/** An id the agent may also send as "" (read as not known). */
const idRef = (max: number) => z.union([z.literal(""), identifier(max)]).nullish();
/** A case-insensitive choice of the agent's words ("" reads as absent). */
const oneOf = (words: string[]) =>
  wellFormedText(32).refine((v) => v === "" || words.includes(v.trim().toLowerCase()), {
    message: `must be one of ${words.join(", ")}`,
  }).nullish();

/** Path parameter of every /api/agents/{agent_id}/... route. */
export const AgentIdParam = z.object({ agent_id: identifier(64) });

/** Path parameters of /commands/{command_id}/executed. */
export const CommandIdParams = z.object({
  agent_id: identifier(64),
  command_id: identifier(64),
});

// The shared error and success bodies (routes/_schemas.ts).
export { ErrorBody, SuccessBody } from "../_schemas.ts";

/** E01 request. */
export const RegisterBody = z.object({
  client_token: str(512),
  logical_agent_id: z.union([z.literal(""), identifier(255)]).nullish(),
  instance_id: identifier(64),
  instance_type: str(64),
  region: str(32),
  az: str(32),
  ami_id: idRef(64),
  mode: agentMode().nullish(),
  hostname: str(255),
  agent_version: str(32),
  private_ip: str(45),
  public_ip: str(45),
}).loose();

/** The config block of the register answer (E01). */
export const RegisterConfig = z.object({
  enabled: z.boolean(),
  auto_switch_enabled: z.boolean(),
  auto_terminate_enabled: z.boolean(),
  terminate_wait_seconds: z.number().int(),
  replica_enabled: z.boolean(),
  replica_count: z.number().int(),
  min_savings_percent: z.number(),
  risk_threshold: z.number(),
  max_switches_per_week: z.number().int(),
  min_pool_duration_hours: z.number(),
});

/** E01 answer: `agent_id` and `config.enabled` are what the agent reads (T-02, T-13). */
export const RegisterResponse = z.object({
  agent_id: z.string(),
  client_id: z.string(),
  message: z.string(),
  config: RegisterConfig,
});

/** E02 request: `status` online|disabled|offline, `mode` (not current_mode), nullable type/az. */
export const HeartbeatBody = z.object({
  status: oneOf(["online", "offline", "disabled", "unknown"]),
  monitored_instances: z.array(identifier(64)).max(100).nullish(),
  instance_id: z.union([z.literal(""), identifier(64)]).nullish(),
  instance_type: str(64),
  mode: agentMode().nullish(),
  az: str(32),
  instance_status: oneOf(["running_primary", "running_replica", "zombie", "terminated"]),
}).loose();

/** E03 answer: flat config plus the cleanup settings. */
export const ConfigResponse = RegisterConfig.extend({
  manual_replica_enabled: z.boolean(),
  auto_cleanup_enabled: z.boolean(),
  cleanup_snapshots_days: z.number().int(),
  cleanup_amis_days: z.number().int(),
});

/** One item of the E04 answer (T-04/T-05). */
export const PendingCommand = z.object({
  id: z.string(),
  agent_id: z.string(),
  instance_id: z.string().nullable(),
  target_mode: z.enum(["spot", "ondemand"]),
  target_pool_id: z.string().nullable(),
  priority: z.number().int(),
  terminate_wait_seconds: z.number().int().nullable(),
  created_at: z.string(),
});

/** E04 answer: a bare array. */
export const PendingCommandsResponse = z.array(PendingCommand);

/** E05 request. */
export const ExecutedBody = z.object({
  success: z.boolean().nullish(),
  message: str(4000),
}).loose();

const InstanceSide = z.object({
  instance_id: z.union([z.literal(""), identifier(64)]).nullish(),
  instance_type: str(64),
  region: str(32),
  az: str(32),
  ami_id: idRef(64),
  mode: agentMode().nullish(),
  pool_id: str(128),
}).loose();

/** A price in $/h: what the DECIMAL columns hold (a larger one is a 400, not an SQL error). */
const price = z.number().finite().nonnegative().max(9999);

const Prices = z.object({
  on_demand: price.nullish(),
  old_spot: price.nullish(),
  new_spot: price.nullish(),
}).loose();

/** Timing keys of the agent (v4.0.0) and of the predecessor's reader (T-03). */
const Timing = z.object({
  switch_initiated_at: time,
  initiated_at: time,
  snapshot_created_at: time,
  ami_created_at: time,
  new_instance_launched_at: time,
  instance_launched_at: time,
  new_instance_ready_at: time,
  instance_ready_at: time,
  traffic_switched_at: time,
  old_instance_terminated_at: time,
  old_terminated_at: time,
}).loose();

/** E07 request: `prices` (agent) or `pricing` (REF); no command_id from the real agent. */
export const SwitchReportBody = z.object({
  old_instance: InstanceSide.nullish(),
  new_instance: InstanceSide.extend({ instance_id: identifier(64) }),
  snapshot: z.object({
    used: z.boolean().nullish(),
    ami_id: idRef(64),
    ami_name: str(255),
    snapshot_id: idRef(64),
  }).loose().nullish(),
  prices: Prices.nullish(),
  pricing: Prices.nullish(),
  timing: Timing.nullish(),
  trigger: str(32),
  command_id: idRef(64),
}).loose();

/** The parsed switch report. */
export type SwitchReport = z.infer<typeof SwitchReportBody>;

/** M2 answer: the agent detail for the client dashboard. */
export const AgentDetailResponse = z.object({
  id: z.string(),
  agent_id: z.string(),
  client_id: z.string(),
  logical_agent_id: z.string(),
  hostname: z.string().nullable(),
  instance_id: z.string().nullable(),
  instance_type: z.string().nullable(),
  region: z.string().nullable(),
  az: z.string().nullable(),
  ami_id: z.string().nullable(),
  private_ip: z.string().nullable(),
  public_ip: z.string().nullable(),
  current_mode: z.string(),
  current_pool_id: z.string().nullable(),
  pool_since: z.string().nullable(),
  agent_version: z.string().nullable(),
  status: z.string(),
  online: z.boolean(),
  enabled: z.boolean(),
  last_heartbeat_at: z.string().nullable(),
  auto_switch_enabled: z.boolean(),
  auto_terminate_enabled: z.boolean(),
  terminate_wait_seconds: z.number().int(),
  replica_enabled: z.boolean(),
  replica_count: z.number().int(),
  manual_replica_enabled: z.boolean(),
  current_replica_id: z.string().nullable(),
  cleanup_enabled: z.boolean(),
  last_cleanup_at: z.string().nullable(),
  last_switch_at: z.string().nullable(),
  installed_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  config: z.object({
    min_savings_percent: z.number(),
    risk_threshold: z.number(),
    max_switches_per_week: z.number().int(),
    max_switches_per_day: z.number().int(),
    min_pool_duration_hours: z.number(),
  }),
  pending_command: PendingCommand.extend({ status: z.string() }).nullable(),
});

// Agent timestamps are parsed in one place (T-35).
export { parseAgentTime } from "./extra_schemas.ts";

/** `null`, empty and the agent's `"unknown"` all mean "not known" (T-01). */
export function known(v: string | null | undefined, max = 255): string | null {
  if (v === null || v === undefined) return null;
  const s = v.trim();
  if (s === "" || s.toLowerCase() === "unknown" || s.toLowerCase() === "none") return null;
  return s.slice(0, max);
}

/** The agent's mode names (and common variants) as stored: spot, else on-demand. */
export function storedMode(v: string | null | undefined): "spot" | "ondemand" | null {
  const m = known(v)?.toLowerCase().replace(/[-_ ]/g, "");
  if (!m) return null;
  return m === "spot" ? "spot" : "ondemand";
}

// The pool an instance runs in: one rule for routes and services.
export { poolOf } from "../../core/pool_id.ts";
