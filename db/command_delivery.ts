/**
 * Delivery and expiry of switch commands: the one-statement poll of pending-commands, the guarded
 * pending -> delivered transition (exactly one poll wins, T-06) and the expiry of commands nobody
 * picked up or completed.
 */
import type { Db, Queryable } from "./client.ts";
import { bool } from "./client.ts";
import { agentScope, batcherOf, type OwnedRow } from "./read_batch.ts";
import { insertSystemEvents } from "./events.ts";
import type { CommandRecord, CommandRow } from "./command_rows.ts";
import { COMMAND_COLUMNS, toCommand } from "./command_rows.ts";

/** The agent row and its open command, read in one statement for the pending-commands poll. */
export interface CommandPoll {
  agentStatus: string;
  agentEnabled: boolean;
  agentInstanceId: string | null;
  command: CommandRecord | null;
}

/** DATETIME columns of CommandRow (JSON_OBJECT renders them as text, see datetime3). */
const COMMAND_DATETIMES = new Set([
  "delivered_at",
  "expires_at",
  "created_at",
  "executed_at",
  "completed_at",
]);

/**
 * The open command packed into one JSON column: nearly every poll finds none, and then its
 * answer is four columns instead of the 25 of a joined row (every column costs the endpoint and
 * the driver a field description to encode, parse and cast): a poll that misses the memo took
 * ~400 µs of server CPU instead of ~500 (bench/cpu_per_request.ts, COMMAND_POLL_CACHE_SECONDS=0).
 */
const COMMAND_JSON = `IF(c.id IS NULL, NULL, JSON_OBJECT(${
  COMMAND_COLUMNS.map((c) => `'${c}', c.${c}`).join(", ")
}))`;

/**
 * The agents and their open commands of a batch of polls (one statement, db/read_batch.ts).
 * uk_commands_one_open allows one open command per agent, so the join gives one row per agent.
 */
async function readPolls(
  db: Queryable,
  agentIds: string[],
  clientIds: string[],
): Promise<OwnedRow<CommandPoll>[]> {
  const scope = agentScope(agentIds, clientIds);
  const r = await db.execute<
    {
      a_id: string;
      a_client_id: string;
      a_status: string;
      a_enabled: number;
      a_instance_id: string | null;
      command: unknown;
    }
  >(
    `SELECT a.id AS a_id, a.client_id AS a_client_id, a.status AS a_status, a.enabled AS a_enabled, a.instance_id AS a_instance_id, ${COMMAND_JSON} AS command FROM agents a LEFT JOIN commands c ON c.open_agent_id = a.id WHERE ${scope.where}`,
    scope.args,
  );
  return r.rows.map((row) => ({
    id: row.a_id,
    clientId: row.a_client_id,
    row: {
      agentStatus: row.a_status,
      agentEnabled: bool(row.a_enabled),
      agentInstanceId: row.a_instance_id,
      command: row.command === null ? null : toCommand(commandFromJson(row.command)),
    },
  }));
}

/**
 * Reads the agent (scoped by client) and its open command; null = no agent (or another
 * client's). At most one statement: polls that arrive while another is in flight share the next.
 */
export function pollCommand(
  db: Queryable,
  opts: { clientId: string; agentId: string },
): Promise<CommandPoll | null> {
  return batcherOf(db, "command_poll", readPolls).load(opts.clientId, opts.agentId);
}

/** The CommandRow of the packed column (a string from MariaDB, already parsed from MySQL 8). */
function commandFromJson(value: unknown): CommandRow {
  const o = (typeof value === "string" ? JSON.parse(value) : value) as Record<string, unknown>;
  for (const k of COMMAND_DATETIMES) {
    const v = o[k];
    if (typeof v === "string") o[k] = datetime3(v);
  }
  return o as unknown as CommandRow;
}

/**
 * A DATETIME(3) inside JSON (MariaDB writes `.fff`, MySQL 8 `.ffffff`) in the form castValue gives
 * the column itself: ISO-8601 UTC with milliseconds.
 */
function datetime3(v: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(v);
  if (!m) return v;
  if (m[1].startsWith("0000")) return null;
  return `${m[1]}T${m[2]}.${(m[3] ?? "").padEnd(3, "0").slice(0, 3)}Z`;
}

/**
 * Marks a pending command delivered, bound to the instance that took it. True only for the one
 * caller whose guarded UPDATE won (a delivered command is never handed out again, T-06).
 */
export async function markDelivered(
  db: Queryable,
  opts: {
    commandId: string;
    instanceId: string | null;
    ip: string | null;
    now: Date;
    deliveryTimeoutSeconds: number;
  },
): Promise<boolean> {
  const r = await db.execute(
    "UPDATE commands SET status = 'delivered', delivered_at = ?, delivered_instance_id = ?, delivered_ip = ?, expires_at = ? WHERE id = ? AND status = 'pending'",
    [
      opts.now,
      opts.instanceId,
      opts.ip?.slice(0, 64) ?? null,
      new Date(opts.now.getTime() + opts.deliveryTimeoutSeconds * 1000),
      opts.commandId,
    ],
  );
  return r.rowsAffected === 1;
}

/** Expires one pending command that no instance picked up in time. */
export async function expirePendingCommand(
  db: Queryable,
  opts: { commandId: string; now: Date },
): Promise<boolean> {
  const r = await db.execute(
    "UPDATE commands SET status = 'expired', completion_source = 'expiry', message = 'Expired: no instance picked the command up before expires_at', completed_at = ? WHERE id = ? AND status = 'pending'",
    [opts.now, opts.commandId],
  );
  return r.rowsAffected === 1;
}

/** A command closed by expireCommands. */
interface ExpiringRow {
  id: string;
  client_id: string;
  agent_id: string;
  status: string;
  delivered_instance_id: string | null;
}

/**
 * Expires pending commands past expires_at and delivered commands older than the delivery
 * timeout (nobody completed them), with a message saying why; one system event per command.
 * Returns how many were expired.
 */
export async function expireCommands(
  db: Db,
  opts: { now: Date; deliveryTimeoutSeconds: number; limit?: number },
): Promise<number> {
  const deliveredBefore = new Date(opts.now.getTime() - opts.deliveryTimeoutSeconds * 1000);
  return await db.transaction(async (tx) => {
    const r = await tx.execute<ExpiringRow>(
      "SELECT id, client_id, agent_id, status, delivered_instance_id FROM commands WHERE (status = 'pending' AND expires_at <= ?) OR (status = 'delivered' AND (delivered_at <= ? OR expires_at <= ?)) ORDER BY created_at LIMIT ? FOR UPDATE",
      [opts.now, deliveredBefore, opts.now, opts.limit ?? 500],
    );
    if (r.rows.length === 0) return 0;
    const pending = r.rows.filter((c) => c.status === "pending").map((c) => c.id);
    const delivered = r.rows.filter((c) => c.status === "delivered").map((c) => c.id);
    if (pending.length > 0) {
      await tx.execute(
        "UPDATE commands SET status = 'expired', completion_source = 'expiry', message = 'Expired: no instance picked the command up before expires_at', completed_at = ? WHERE id IN (?) AND status = 'pending'",
        [opts.now, pending],
      );
    }
    if (delivered.length > 0) {
      await tx.execute(
        "UPDATE commands SET status = 'expired', completion_source = 'expiry', message = CONCAT('Expired: delivered to instance ', COALESCE(delivered_instance_id, 'unknown'), ' but no executed call, switch report or registration in the target mode/pool arrived within ', ?, ' s'), completed_at = ? WHERE id IN (?) AND status = 'delivered'",
        [opts.deliveryTimeoutSeconds, opts.now, delivered],
      );
    }
    await insertSystemEvents(
      tx,
      r.rows.map((c) => ({
        type: "command_expired",
        severity: "warning" as const,
        clientId: c.client_id,
        agentId: c.agent_id,
        instanceId: c.delivered_instance_id,
        message: c.status === "pending"
          ? `Command ${c.id} expired: never picked up`
          : `Command ${c.id} expired: delivered but never completed`,
        metadata: { command_id: c.id, previous_status: c.status },
      })),
    );
    return r.rows.length;
  });
}
