/**
 * Agent lookups scoped by client for the report endpoints, and the small legacy writes: the
 * termination notice (E20), statistics (E27) and the v3.2 mark-command-executed (M3).
 */
import type { Db, Queryable } from "./client.ts";
import { bool, num } from "./client.ts";
import { insertNotification, insertSystemEvent } from "./events.ts";

/** The agent columns the report endpoints need, as the driver returns them. */
export interface OwnedAgentRow {
  id: string;
  client_id: string;
  logical_agent_id: string;
  hostname: string | null;
  status: string;
  instance_id: string | null;
  region: string | null;
  auto_terminate_enabled: number;
  terminate_wait_seconds: number;
  cleanup_enabled: number | null;
  terminated_at: string | null;
  last_heartbeat_at: string | null;
}

/** An agent of the caller's client. */
export interface OwnedAgent {
  id: string;
  clientId: string;
  logicalAgentId: string;
  hostname: string | null;
  status: string;
  instanceId: string | null;
  region: string | null;
  autoTerminateEnabled: boolean;
  terminateWaitSeconds: number;
  /** null: the column is unset, the server default (AUTO_CLEANUP_ENABLED) applies. */
  cleanupEnabled: boolean | null;
  terminatedAt: string | null;
  lastHeartbeatAt: string | null;
}

/** Maps a row to the domain record. */
export function toOwnedAgent(r: OwnedAgentRow): OwnedAgent {
  return {
    id: r.id,
    clientId: r.client_id,
    logicalAgentId: r.logical_agent_id,
    hostname: r.hostname,
    status: r.status,
    instanceId: r.instance_id,
    region: r.region,
    autoTerminateEnabled: bool(r.auto_terminate_enabled),
    terminateWaitSeconds: num(r.terminate_wait_seconds) ?? 300,
    cleanupEnabled: r.cleanup_enabled === null ? null : bool(r.cleanup_enabled),
    terminatedAt: r.terminated_at,
    lastHeartbeatAt: r.last_heartbeat_at,
  };
}

/** The agent if it belongs to the client and is not deleted; null otherwise (answer 404). */
export async function findOwnedAgent(
  db: Queryable,
  clientId: string,
  agentId: string,
): Promise<OwnedAgent | null> {
  const r = await db.execute<OwnedAgentRow>(
    "SELECT id, client_id, logical_agent_id, hostname, status, instance_id, region, auto_terminate_enabled, terminate_wait_seconds, cleanup_enabled, terminated_at, last_heartbeat_at FROM agents WHERE id = ? AND client_id = ? AND status <> 'deleted'",
    [agentId, clientId],
  );
  return r.rows[0] ? toOwnedAgent(r.rows[0]) : null;
}

/**
 * E20: marks the agent offline and terminated, with a notification and a system event, in one
 * transaction. `repeat` (already terminated since its last heartbeat) writes the time only.
 */
export async function markAgentTerminated(
  db: Db,
  opts: {
    agent: OwnedAgent;
    reason: string;
    metadata: Record<string, unknown>;
    repeat: boolean;
    now: Date;
    requestId?: string;
  },
): Promise<void> {
  const { agent } = opts;
  await db.transaction(async (tx) => {
    await tx.execute(
      "UPDATE agents SET status = IF(status = 'deleted', status, 'offline'), terminated_at = ? WHERE id = ? AND client_id = ?",
      [opts.now, agent.id, agent.clientId],
    );
    if (opts.repeat) return;
    await insertNotification(tx, {
      clientId: agent.clientId,
      agentId: agent.id,
      type: "agent_terminated",
      message: `Agent ${agent.hostname ?? agent.logicalAgentId} terminated: ${opts.reason}`,
      severity: "warning",
    });
    await insertSystemEvent(tx, {
      type: "instance_terminated",
      severity: "warning",
      clientId: agent.clientId,
      agentId: agent.id,
      instanceId: agent.instanceId,
      message: `Agent ${agent.logicalAgentId} reported termination: ${opts.reason}`,
      metadata: { reason: opts.reason, ...opts.metadata },
      requestId: opts.requestId ?? null,
    });
  });
}

/** E27 figures of one agent. */
export interface AgentStatistics {
  totalDecisions: number;
  successfulSwitches: number;
  failedSwitches: number;
  averageConfidence: number | null;
}

/**
 * Counts decisions and switches of an agent in one statement. A failed switch is a failed
 * command or a switch row with success = 0 that no failed command already counts.
 */
export async function agentStatistics(db: Queryable, agentId: string): Promise<AgentStatistics> {
  const conf =
    "COALESCE(JSON_EXTRACT(inputs, '$.confidence'), JSON_EXTRACT(inputs, '$.decision.confidence'))";
  const r = await db.execute<{
    decisions: number;
    confidence: number | null;
    ok: number;
    failed_switches: number;
    failed_commands: number;
  }>(
    "SELECT " +
      "(SELECT COUNT(*) FROM agent_decision_history WHERE agent_id = ?) AS decisions, " +
      `(SELECT AVG(CAST(JSON_UNQUOTE(${conf}) AS DECIMAL(10,6))) FROM agent_decision_history WHERE agent_id = ? AND JSON_TYPE(${conf}) IN ('INTEGER', 'DOUBLE', 'DECIMAL', 'UNSIGNED INTEGER')) AS confidence, ` +
      "(SELECT COUNT(*) FROM switches WHERE agent_id = ? AND success = 1) AS ok, " +
      "(SELECT COUNT(*) FROM switches s WHERE s.agent_id = ? AND s.success = 0 AND NOT EXISTS (SELECT 1 FROM commands c WHERE c.id = s.command_id AND c.status = 'failed')) AS failed_switches, " +
      "(SELECT COUNT(*) FROM commands WHERE agent_id = ? AND command_type = 'switch' AND status = 'failed') AS failed_commands",
    [agentId, agentId, agentId, agentId, agentId],
  );
  const row = r.rows[0];
  return {
    totalDecisions: num(row?.decisions) ?? 0,
    successfulSwitches: num(row?.ok) ?? 0,
    failedSwitches: (num(row?.failed_switches) ?? 0) + (num(row?.failed_commands) ?? 0),
    averageConfidence: num(row?.confidence),
  };
}

/**
 * M3: closes an open command of the agent (scoped by client) as completed or failed with one
 * guarded UPDATE. False when nothing was open under that id (unknown, or already closed).
 */
export async function markCommandExecuted(
  db: Queryable,
  opts: {
    clientId: string;
    agentId: string;
    commandId: string;
    success: boolean;
    message: string | null;
    now: Date;
  },
): Promise<boolean> {
  const r = await db.execute(
    "UPDATE commands SET success = ?, message = ?, completion_source = 'executed', executed_at = ?, completed_at = ?, status = ? WHERE id = ? AND agent_id = ? AND client_id = ? AND status IN ('pending', 'delivered')",
    [
      opts.success ? 1 : 0,
      opts.message?.slice(0, 1024) ?? null,
      opts.now,
      opts.now,
      opts.success ? "completed" : "failed",
      opts.commandId,
      opts.agentId,
      opts.clientId,
    ],
  );
  return r.rowsAffected > 0;
}
