/**
 * Writes the dashboards make to one agent: enable/disable, settings, soft delete. Each runs in one
 * transaction with the agent row locked, so the replica side effects and the events match the
 * change that was actually made.
 */
import type { Db, Queryable } from "./client.ts";
import { bool, num } from "./client.ts";
import { insertNotification, insertSystemEvent } from "./events.ts";
import type { AgentPlacement, AgentPlacementRow } from "./agents.ts";
import { toAgentPlacement } from "./agents.ts";

/** The settings-relevant state of one agent. */
export interface AgentSettingsState extends AgentPlacement {
  id: string;
  clientId: string;
  logicalAgentId: string;
  status: string;
  enabled: boolean;
  autoSwitchEnabled: boolean;
  autoTerminateEnabled: boolean;
  manualReplicaEnabled: boolean;
  replicaEnabled: boolean;
  replicaCount: number;
  terminateWaitSeconds: number;
}

interface StateRow extends AgentPlacementRow {
  id: string;
  client_id: string;
  logical_agent_id: string;
  status: string;
  enabled: number;
  auto_switch_enabled: number;
  auto_terminate_enabled: number;
  manual_replica_enabled: number;
  replica_enabled: number;
  replica_count: number;
  terminate_wait_seconds: number;
}

const STATE_COLUMNS =
  "id, client_id, logical_agent_id, status, enabled, auto_switch_enabled, auto_terminate_enabled, manual_replica_enabled, replica_enabled, replica_count, terminate_wait_seconds, instance_id, instance_type, region, az, current_mode, current_pool_id";

function toState(r: StateRow): AgentSettingsState {
  return {
    id: r.id,
    clientId: r.client_id,
    logicalAgentId: r.logical_agent_id,
    status: r.status,
    enabled: bool(r.enabled),
    autoSwitchEnabled: bool(r.auto_switch_enabled),
    autoTerminateEnabled: bool(r.auto_terminate_enabled),
    manualReplicaEnabled: bool(r.manual_replica_enabled),
    replicaEnabled: bool(r.replica_enabled),
    replicaCount: num(r.replica_count) ?? 0,
    terminateWaitSeconds: num(r.terminate_wait_seconds) ?? 0,
    ...toAgentPlacement(r),
  };
}

/** Reads an agent visible to `clientId` (null = the admin: any client); null when not found. */
export async function findAgentInScope(
  db: Queryable,
  opts: { agentId: string; clientId: string | null; forUpdate?: boolean },
): Promise<AgentSettingsState | null> {
  const r = await db.execute<StateRow>(
    `SELECT ${STATE_COLUMNS} FROM agents WHERE id = ? AND (? IS NULL OR client_id = ?)${
      opts.forUpdate ? " FOR UPDATE" : ""
    }`,
    [opts.agentId, opts.clientId, opts.clientId],
  );
  return r.rows[0] ? toState(r.rows[0]) : null;
}

/** Outcome of a write to one agent. */
export type AgentWrite<T> =
  | { kind: "not_found" }
  | { kind: "deleted"; agent: AgentSettingsState }
  | { kind: "ok"; agent: AgentSettingsState; result: T };

/** Sets `enabled` (or flips it when `enabled` is null) and records `agent_toggled`. */
export function setAgentEnabled(
  db: Db,
  opts: { agentId: string; clientId: string | null; enabled: boolean | null; requestId?: string },
): Promise<AgentWrite<{ enabled: boolean; changed: boolean }>> {
  return db.transaction(async (tx) => {
    const agent = await findAgentInScope(tx, { ...opts, forUpdate: true });
    if (!agent) return { kind: "not_found" };
    if (agent.status === "deleted") return { kind: "deleted", agent };
    const enabled = opts.enabled ?? !agent.enabled;
    const changed = enabled !== agent.enabled;
    if (changed) {
      await tx.execute(
        "UPDATE agents SET enabled = ?, config_version = config_version + 1 WHERE id = ?",
        [enabled ? 1 : 0, agent.id],
      );
    }
    await insertSystemEvent(tx, {
      type: "agent_toggled",
      clientId: agent.clientId,
      agentId: agent.id,
      instanceId: agent.instanceId,
      message: `Agent ${agent.logicalAgentId} ${enabled ? "enabled" : "disabled"}`,
      metadata: { enabled, changed },
      requestId: opts.requestId ?? null,
    });
    return { kind: "ok", agent: { ...agent, enabled }, result: { enabled, changed } };
  });
}

/** Settings a plan may change (absent = unchanged). */
export interface SettingsChanges {
  autoSwitchEnabled?: boolean;
  manualReplicaEnabled?: boolean;
  autoTerminateEnabled?: boolean;
  replicaEnabled?: boolean;
  terminateWaitSeconds?: number;
}

/** What to do, decided from the locked current state. */
export interface SettingsPlan {
  changes: SettingsChanges;
  /** Terminate the agent's active `manual` replicas (never emergency ones, B-14). */
  terminateManualReplicas: boolean;
}

const COLUMN_OF: Record<keyof SettingsChanges, string> = {
  autoSwitchEnabled: "auto_switch_enabled",
  manualReplicaEnabled: "manual_replica_enabled",
  autoTerminateEnabled: "auto_terminate_enabled",
  replicaEnabled: "replica_enabled",
  terminateWaitSeconds: "terminate_wait_seconds",
};

/**
 * Applies the plan that `plan` computes from the locked agent row: only the listed changes are
 * written (config_version + 1 when any), manual replicas are terminated when asked.
 */
export function applyAgentSettings(
  db: Db,
  opts: {
    agentId: string;
    clientId: string | null;
    now: Date;
    plan: (current: AgentSettingsState) => SettingsPlan;
    requestId?: string;
  },
): Promise<AgentWrite<{ changes: SettingsChanges; terminatedReplicaIds: string[] }>> {
  return db.transaction(async (tx) => {
    const agent = await findAgentInScope(tx, { ...opts, forUpdate: true });
    if (!agent) return { kind: "not_found" };
    if (agent.status === "deleted") return { kind: "deleted", agent };
    const plan = opts.plan(agent);
    const keys = (Object.keys(plan.changes) as (keyof SettingsChanges)[]).filter((k) =>
      plan.changes[k] !== undefined
    );
    const after: AgentSettingsState = { ...agent };
    if (keys.length > 0) {
      const sets = keys.map((k) => `${COLUMN_OF[k]} = ?`).join(", ");
      const args = keys.map((k) => {
        const v = plan.changes[k];
        return typeof v === "boolean" ? (v ? 1 : 0) : v;
      });
      await tx.execute(
        `UPDATE agents SET ${sets}, config_version = config_version + 1 WHERE id = ?`,
        [...args, agent.id],
      );
      Object.assign(after, plan.changes);
    }
    let terminated: string[] = [];
    if (plan.terminateManualReplicas) {
      terminated = await terminateReplicas(tx, {
        agentId: agent.id,
        onlyType: "manual",
        now: opts.now,
      });
      if (terminated.length > 0) {
        await insertSystemEvent(tx, {
          type: "replicas_disabled",
          clientId: agent.clientId,
          agentId: agent.id,
          message:
            `Manual replica mode turned off: ${terminated.length} manual replica(s) terminated`,
          metadata: { replicaIds: terminated },
          requestId: opts.requestId ?? null,
        });
      }
    }
    if (keys.length > 0) {
      await insertSystemEvent(tx, {
        type: "agent_settings_changed",
        clientId: agent.clientId,
        agentId: agent.id,
        message: `Agent ${agent.logicalAgentId} settings changed: ${keys.join(", ")}`,
        metadata: { changes: plan.changes },
        requestId: opts.requestId ?? null,
      });
    }
    return {
      kind: "ok",
      agent: after,
      result: { changes: plan.changes, terminatedReplicaIds: terminated },
    };
  });
}

/**
 * Marks an agent's active replicas terminated (only those of `onlyType` when given) together with
 * their instance rows, and resets replica_count / current_replica_id. Returns the replica ids.
 * Rows only: the EC2 instances are the agent's to stop (CONTRACT 5.3).
 */
async function terminateReplicas(
  tx: Queryable,
  opts: { agentId: string; onlyType?: string; now: Date },
): Promise<string[]> {
  const typeSql = opts.onlyType ? " AND replica_type = ?" : "";
  const typeArgs = opts.onlyType ? [opts.onlyType] : [];
  const found = await tx.execute<{ id: string; instance_id: string | null }>(
    `SELECT id, instance_id FROM replica_instances WHERE agent_id = ? AND is_active = 1 AND status NOT IN ('promoted', 'terminated', 'failed')${typeSql} FOR UPDATE`,
    [opts.agentId, ...typeArgs],
  );
  if (found.rows.length === 0) return [];
  const ids = found.rows.map((r) => r.id);
  const instanceIds = found.rows.map((r) => r.instance_id).filter((x): x is string => !!x);
  await tx.execute(
    "UPDATE replica_instances SET status = 'terminated', is_active = 0, terminated_at = ? WHERE id IN (?)",
    [opts.now, ids],
  );
  if (instanceIds.length > 0) {
    await tx.execute(
      "UPDATE instances SET instance_status = 'terminated', is_active = 0, terminated_at = COALESCE(terminated_at, ?) WHERE id IN (?) AND agent_id = ? AND is_primary = 0",
      [opts.now, instanceIds, opts.agentId],
    );
  }
  await tx.execute(
    `UPDATE agents SET replica_count = (SELECT COUNT(*) FROM replica_instances WHERE agent_id = ? AND is_active = 1 AND status NOT IN ('promoted', 'terminated', 'failed')),
       current_replica_id = CASE WHEN current_replica_id IN (?) THEN NULL ELSE current_replica_id END WHERE id = ?`,
    [opts.agentId, ids, opts.agentId],
  );
  return ids;
}

/**
 * Soft-deletes an agent: status `deleted`, deleted_at, enabled/auto-switch/manual off, active
 * replicas terminated, pending commands cancelled; event `agent_deleted` and a notification.
 * Deleting an already deleted agent changes nothing (kind `deleted`).
 */
export function softDeleteAgent(
  db: Db,
  opts: { agentId: string; clientId: string | null; now: Date; requestId?: string },
): Promise<AgentWrite<{ terminatedReplicaIds: string[]; cancelledCommands: number }>> {
  return db.transaction(async (tx) => {
    const agent = await findAgentInScope(tx, { ...opts, forUpdate: true });
    if (!agent) return { kind: "not_found" };
    if (agent.status === "deleted") return { kind: "deleted", agent };
    const terminated = await terminateReplicas(tx, { agentId: agent.id, now: opts.now });
    const cancelled = await tx.execute(
      "UPDATE commands SET status = 'cancelled', completion_source = 'agent_deleted', completed_at = ? WHERE agent_id = ? AND status = 'pending'",
      [opts.now, agent.id],
    );
    await tx.execute(
      "UPDATE agents SET status = 'deleted', deleted_at = ?, enabled = 0, auto_switch_enabled = 0, manual_replica_enabled = 0, replica_count = 0, current_replica_id = NULL, config_version = config_version + 1 WHERE id = ?",
      [opts.now, agent.id],
    );
    await insertSystemEvent(tx, {
      type: "agent_deleted",
      clientId: agent.clientId,
      agentId: agent.id,
      instanceId: agent.instanceId,
      message: `Agent ${agent.logicalAgentId} deleted`,
      metadata: { replicaIds: terminated, cancelledCommands: cancelled.rowsAffected },
      requestId: opts.requestId ?? null,
    });
    await insertNotification(tx, {
      clientId: agent.clientId,
      agentId: agent.id,
      type: "agent_deleted",
      message: `Agent ${agent.logicalAgentId} has been deleted`,
      severity: "info",
    });
    return {
      kind: "ok",
      agent: { ...agent, status: "deleted", enabled: false },
      result: { terminatedReplicaIds: terminated, cancelledCommands: cancelled.rowsAffected },
    };
  });
}
