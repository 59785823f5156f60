/** The commands row type, its columns and its mapper (shared by commands.ts and command_delivery.ts). */
import { bool, num } from "./client.ts";

/** A commands row as the driver returns it. */
export interface CommandRow {
  id: string;
  client_id: string;
  agent_id: string;
  target_mode: string;
  target_pool_id: string | null;
  instance_id: string | null;
  priority: number;
  terminate_wait_seconds: number | null;
  status: string;
  success: number | null;
  message: string | null;
  created_by: string | null;
  trigger_type: string | null;
  reason: string | null;
  delivered_at: string | null;
  delivered_instance_id: string | null;
  delivered_ip: string | null;
  expires_at: string | null;
  completion_source: string | null;
  created_at: string;
  executed_at: string | null;
  completed_at: string | null;
}

/** A command as the code uses it. */
export interface CommandRecord {
  id: string;
  clientId: string;
  agentId: string;
  targetMode: "spot" | "ondemand";
  targetPoolId: string | null;
  instanceId: string | null;
  priority: number;
  terminateWaitSeconds: number | null;
  status: string;
  success: boolean | null;
  message: string | null;
  createdBy: string | null;
  triggerType: string | null;
  reason: string | null;
  deliveredAt: string | null;
  deliveredInstanceId: string | null;
  deliveredIp: string | null;
  expiresAt: string | null;
  completionSource: string | null;
  createdAt: string;
  executedAt: string | null;
  completedAt: string | null;
}

/** Column list of CommandRow (prefix with a table alias where joined). */
export const COMMAND_COLUMNS =
  "id, client_id, agent_id, target_mode, target_pool_id, instance_id, priority, terminate_wait_seconds, status, success, message, created_by, trigger_type, reason, delivered_at, delivered_instance_id, delivered_ip, expires_at, completion_source, created_at, executed_at, completed_at"
    .split(", ");

/** Maps a row to the domain record. */
export function toCommand(r: CommandRow): CommandRecord {
  return {
    id: String(r.id),
    clientId: r.client_id,
    agentId: r.agent_id,
    targetMode: r.target_mode === "spot" ? "spot" : "ondemand",
    targetPoolId: r.target_pool_id,
    instanceId: r.instance_id,
    priority: num(r.priority) ?? 0,
    terminateWaitSeconds: num(r.terminate_wait_seconds),
    status: r.status,
    success: r.success === null ? null : bool(r.success),
    message: r.message,
    createdBy: r.created_by,
    triggerType: r.trigger_type,
    reason: r.reason,
    deliveredAt: r.delivered_at,
    deliveredInstanceId: r.delivered_instance_id,
    deliveredIp: r.delivered_ip,
    expiresAt: r.expires_at,
    completionSource: r.completion_source,
    createdAt: r.created_at,
    executedAt: r.executed_at,
    completedAt: r.completed_at,
  };
}
