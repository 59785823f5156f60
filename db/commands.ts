/**
 * Switch commands and their lifecycle: pending -> delivered (first poll, bound to the polling
 * instance) -> completed | failed | expired | superseded. At most one open (pending or delivered)
 * command per agent, enforced by uk_commands_one_open (CONTRACT 5.1, T-05/T-06/T-07).
 */
import type { Db, Queryable } from "./client.ts";
import { bool, isDuplicateKey, num } from "./client.ts";
import type { CommandRecord, CommandRow } from "./command_rows.ts";
import { COMMAND_COLUMNS, toCommand } from "./command_rows.ts";
import { Conflict, NotFound } from "../core/errors.ts";
import { assertPoolOfType, switchTargetPool } from "../core/pool_id.ts";
import { invalidatePollCache } from "./commands_poll_cache.ts";

export type { CommandRecord, CommandRow } from "./command_rows.ts";
export { COMMAND_COLUMNS, toCommand } from "./command_rows.ts";
export {
  expireCommands,
  expirePendingCommand,
  markDelivered,
  pollCommand,
} from "./command_delivery.ts";
export type { CommandPoll } from "./command_delivery.ts";

const COLS = COMMAND_COLUMNS.join(", ");

/** What queueSwitchCommand needs. */
export interface QueueCommandInput {
  clientId: string;
  agentId: string;
  targetMode: "spot" | "ondemand";
  targetPoolId: string | null;
  priority: number;
  /** 'engine' | 'manual' | 'rebalance' | ... */
  createdBy: string;
  triggerType: "manual" | "model" | "emergency";
  reason?: string | null;
  /** Undefined: the agent's setting (terminate_wait_seconds when auto-terminate is on, else 0). */
  terminateWaitSeconds?: number | null;
  /** Undefined: the agent's current instance. */
  instanceId?: string | null;
  now: Date;
  pendingTtlSeconds: number;
  /**
   * Refuse (Conflict "command_open") instead of superseding a pending command: the engine
   * must never replace a command a user or a rebalance queued meanwhile.
   */
  onlyIfNoneOpen?: boolean;
}

/** A freshly queued command. */
export interface QueuedCommand {
  id: string;
  status: "pending";
  supersededIds: string[];
}

interface QueueAgentRow {
  instance_id: string | null;
  instance_type: string | null;
  status: string;
  auto_terminate_enabled: number;
  terminate_wait_seconds: number;
}

/**
 * Queues a switch command in one transaction: refuses while a command is in flight (Conflict
 * command_in_flight), supersedes pending ones, inserts the new one as pending.
 */
export async function queueSwitchCommand(
  db: Db,
  input: QueueCommandInput,
): Promise<QueuedCommand> {
  const pool = switchTargetPool(input.targetMode, input.targetPoolId);
  // Before and after the insert: no empty pending-commands answer of this agent outlives it.
  invalidatePollCache(db, input.agentId);
  try {
    return await db.transaction(async (tx) => {
      const a = await tx.execute<QueueAgentRow>(
        "SELECT instance_id, instance_type, status, auto_terminate_enabled, terminate_wait_seconds FROM agents WHERE id = ? AND client_id = ? FOR UPDATE",
        [input.agentId, input.clientId],
      );
      const agent = a.rows[0];
      if (!agent || agent.status === "deleted") {
        throw new NotFound("Agent not found", "agent_not_found");
      }
      // The agent always launches its own instance type (T-05): another type cannot be honoured.
      assertPoolOfType(pool, agent.instance_type);
      const open = await tx.execute<CommandRow>(
        `SELECT ${COLS} FROM commands WHERE open_agent_id = ? FOR UPDATE`,
        [input.agentId],
      );
      const superseded: string[] = [];
      for (const row of open.rows) {
        const c = toCommand(row);
        if (c.status === "delivered" && !deliveredExpired(c, input.now)) {
          throw new Conflict(
            "A switch command is already in flight for this agent",
            "command_in_flight",
            { command_id: c.id },
          );
        }
        if (input.onlyIfNoneOpen && c.status === "pending") {
          throw new Conflict(
            "A switch command is already queued for this agent",
            "command_open",
            { command_id: c.id },
          );
        }
        superseded.push(c.id);
      }
      const id = crypto.randomUUID();
      if (superseded.length > 0) {
        await tx.execute(
          // status last: MySQL evaluates SET assignments left to right on the updated row.
          "UPDATE commands SET completion_source = IF(status = 'delivered', 'expiry', 'superseded'), message = IF(status = 'delivered', 'Expired: delivered but never completed', ?), completed_at = ?, status = IF(status = 'delivered', 'expired', 'superseded') WHERE id IN (?) AND status IN ('pending', 'delivered')",
          [`Superseded by command ${id}`, input.now, superseded],
        );
      }
      const wait = input.terminateWaitSeconds !== undefined
        ? input.terminateWaitSeconds
        : (bool(agent.auto_terminate_enabled) ? num(agent.terminate_wait_seconds) : 0);
      await tx.execute(
        "INSERT INTO commands (id, client_id, agent_id, command_type, target_mode, target_pool_id, instance_id, priority, terminate_wait_seconds, status, created_by, trigger_type, reason, expires_at, created_at) VALUES (?, ?, ?, 'switch', ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
        [
          id,
          input.clientId,
          input.agentId,
          input.targetMode,
          pool,
          input.instanceId !== undefined ? input.instanceId : agent.instance_id,
          Math.trunc(input.priority),
          wait,
          input.createdBy,
          input.triggerType,
          input.reason?.slice(0, 512) ?? null,
          new Date(input.now.getTime() + input.pendingTtlSeconds * 1000),
          input.now,
        ],
      );
      return { id, status: "pending" as const, supersededIds: superseded };
    });
  } catch (err) {
    if (isDuplicateKey(err)) {
      throw new Conflict("Another command was queued at the same time", "command_conflict");
    }
    throw err;
  } finally {
    invalidatePollCache(db, input.agentId);
  }
}

function deliveredExpired(c: CommandRecord, now: Date): boolean {
  return c.expiresAt !== null && Date.parse(c.expiresAt) <= now.getTime();
}

/** The agent's open (pending or delivered) command, if any. */
export async function getOpenCommand(
  db: Queryable,
  agentId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<CommandRecord | null> {
  const r = await db.execute<CommandRow>(
    `SELECT ${COLS} FROM commands WHERE open_agent_id = ?${opts.forUpdate ? " FOR UPDATE" : ""}`,
    [agentId],
  );
  return r.rows[0] ? toCommand(r.rows[0]) : null;
}

/** One command of an agent (scoped by client), any status. */
export async function findCommandForAgent(
  db: Queryable,
  opts: { clientId: string; agentId: string; commandId: string },
): Promise<CommandRecord | null> {
  const r = await db.execute<CommandRow>(
    `SELECT ${COLS} FROM commands WHERE id = ? AND agent_id = ? AND client_id = ?`,
    [opts.commandId, opts.agentId, opts.clientId],
  );
  return r.rows[0] ? toCommand(r.rows[0]) : null;
}

/** Who closed a command. */
export type CompletionSource = "executed" | "switch_report" | "registration";

/**
 * Closes an open command (by id, or the agent's open one) as completed/failed. Returns the id
 * it closed, or null when there was nothing open (a retry or an already closed command).
 */
export async function completeCommand(
  tx: Queryable,
  opts: {
    commandId?: string;
    agentId: string;
    clientId?: string;
    success: boolean;
    message: string | null;
    source: CompletionSource;
    now: Date;
    executionResult?: unknown;
  },
): Promise<string | null> {
  const where = opts.commandId
    ? "id = ? AND agent_id = ?" + (opts.clientId ? " AND client_id = ?" : "")
    : "open_agent_id = ?" + (opts.clientId ? " AND client_id = ?" : "");
  const key = opts.commandId ? [opts.commandId, opts.agentId] : [opts.agentId];
  const args = opts.clientId ? [...key, opts.clientId] : key;
  const found = await tx.execute<{ id: string }>(
    `SELECT id FROM commands WHERE ${where} AND status IN ('pending', 'delivered') FOR UPDATE`,
    args,
  );
  const id = found.rows[0]?.id;
  if (id === undefined) return null;
  const r = await tx.execute(
    "UPDATE commands SET status = ?, success = ?, message = ?, completion_source = ?, completed_at = ?, executed_at = IF(? = 'executed', ?, executed_at), execution_result = COALESCE(?, execution_result) WHERE id = ? AND status IN ('pending', 'delivered')",
    [
      opts.success ? "completed" : "failed",
      opts.success ? 1 : 0,
      opts.message?.slice(0, 1024) ?? null,
      opts.source,
      opts.now,
      opts.source,
      opts.now,
      opts.executionResult === undefined ? null : JSON.stringify(opts.executionResult),
      id,
    ],
  );
  return r.rowsAffected > 0 ? String(id) : null;
}
