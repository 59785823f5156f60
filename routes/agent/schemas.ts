/**
 * Zod schemas of the agent-facing payloads (CONTRACT section 2, agent v4.0.0 and the legacy v3.2
 * shapes). Requests are lenient on purpose: `null`, `"unknown"` and unknown extra fields are
 * accepted (T-01), because any 4xx at registration makes the real agent exit.
 */
import { z } from "@hono/zod-openapi";

const text = z.string().nullish();

/** Path parameter of every /api/agents/{agent_id}/... route. */
export const AgentIdParam = z.object({ agent_id: z.string().min(1).max(64) });

/** Path parameters of /commands/{command_id}/executed. */
export const CommandIdParams = z.object({
  agent_id: z.string().min(1).max(64),
  command_id: z.string().min(1).max(64),
});

// The shared error and success bodies (routes/_schemas.ts).
export { ErrorBody, SuccessBody } from "../_schemas.ts";

/** E01 request. */
export const RegisterBody = z.object({
  client_token: text,
  logical_agent_id: z.string().max(255).nullish(),
  instance_id: z.string().trim().min(1).max(64),
  instance_type: text,
  region: text,
  az: text,
  ami_id: text,
  mode: text,
  hostname: text,
  agent_version: text,
  private_ip: text,
  public_ip: text,
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
  status: text,
  monitored_instances: z.array(z.string()).nullish(),
  instance_id: text,
  instance_type: text,
  mode: text,
  az: text,
  instance_status: text,
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
  message: text,
}).loose();

const InstanceSide = z.object({
  instance_id: z.string().max(64).nullish(),
  instance_type: text,
  region: text,
  az: text,
  ami_id: text,
  mode: text,
  pool_id: text,
}).loose();

const Prices = z.object({
  on_demand: z.number().nullish(),
  old_spot: z.number().nullish(),
  new_spot: z.number().nullish(),
}).loose();

/** Timing keys of the agent (v4.0.0) and of the predecessor's reader (T-03). */
const Timing = z.object({
  switch_initiated_at: text,
  initiated_at: text,
  snapshot_created_at: text,
  ami_created_at: text,
  new_instance_launched_at: text,
  instance_launched_at: text,
  new_instance_ready_at: text,
  instance_ready_at: text,
  traffic_switched_at: text,
  old_instance_terminated_at: text,
  old_terminated_at: text,
}).loose();

/** E07 request: `prices` (agent) or `pricing` (REF); no command_id from the real agent. */
export const SwitchReportBody = z.object({
  old_instance: InstanceSide.nullish(),
  new_instance: InstanceSide.extend({ instance_id: z.string().trim().min(1).max(64) }),
  snapshot: z.object({
    used: z.boolean().nullish(),
    ami_id: text,
    ami_name: text,
    snapshot_id: text,
  }).loose().nullish(),
  prices: Prices.nullish(),
  pricing: Prices.nullish(),
  timing: Timing.nullish(),
  trigger: text,
  command_id: z.string().max(64).nullish(),
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

/** The pool an instance runs in: `<type>.<az>` on spot, none on-demand. */
export function poolOf(
  mode: "spot" | "ondemand" | "unknown" | null,
  instanceType: string | null,
  az: string | null,
): string | null {
  return mode === "spot" && instanceType && az ? `${instanceType}.${az}` : null;
}
