/**
 * Writes to agents: registration (insert, update, takeover), the one-statement heartbeat and the
 * slow path's update, and the one notification + event of a status change.
 */
import type { Queryable } from "./client.ts";
import { insertNotification, insertSystemEvent } from "./events.ts";

/** What a registration reports about the agent and its instance (normalised). */
export interface AgentRegistrationFields {
  hostname: string | null;
  instanceId: string;
  instanceType: string | null;
  region: string;
  az: string | null;
  amiId: string | null;
  privateIp: string | null;
  publicIp: string | null;
  mode: "spot" | "ondemand";
  /** False when the registration named no mode (`mode` is then only a default). */
  modeReported?: boolean;
  /** False when the registration named no region (`region` is then only a default). */
  regionReported?: boolean;
  poolId: string | null;
  agentVersion: string | null;
}

function regArgs(f: AgentRegistrationFields): unknown[] {
  return [
    f.hostname,
    f.instanceId,
    f.instanceType,
    f.region,
    f.az,
    f.amiId,
    f.privateIp,
    f.publicIp,
    f.mode,
    f.poolId,
    f.agentVersion,
  ];
}

/**
 * Inserts a new agent with the client's defaults (auto-switch, auto-terminate, wait) unless the
 * client already has one with this logical id (then nothing changes: the statement only takes
 * that row's lock). Nothing is inserted for a client that no longer exists. The caller reads
 * the row back to learn which happened, then adds agent_configs with `insertAgentConfig`.
 */
export async function insertAgentIfAbsent(
  tx: Queryable,
  opts: {
    id: string;
    clientId: string;
    logicalAgentId: string;
    fields: AgentRegistrationFields;
    now: Date;
  },
): Promise<void> {
  await tx.execute(
    "INSERT INTO agents (id, client_id, logical_agent_id, hostname, instance_id, instance_type, region, az, ami_id, private_ip, public_ip, current_mode, current_pool_id, agent_version, pool_since, status, enabled, last_heartbeat_at, installed_at, auto_switch_enabled, auto_terminate_enabled, terminate_wait_seconds, instance_count) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'online', 1, ?, ?, c.default_auto_switch_enabled, c.default_auto_terminate, c.default_terminate_wait_seconds, 1 FROM clients c WHERE c.id = ? ON DUPLICATE KEY UPDATE logical_agent_id = agents.logical_agent_id",
    [
      opts.id,
      opts.clientId,
      opts.logicalAgentId,
      ...regArgs(opts.fields),
      opts.now,
      opts.now,
      opts.now,
      opts.clientId,
    ],
  );
}

/** Adds the default thresholds row of a just-inserted agent. */
export async function insertAgentConfig(tx: Queryable, agentId: string): Promise<void> {
  await tx.execute("INSERT IGNORE INTO agent_configs (agent_id) VALUES (?)", [agentId]);
}

/**
 * Updates the agent row from a registration of its current instance (or, with `switched`, of
 * the instance that took it over): placement, addresses, status, heartbeat; pool_since moves
 * when the mode or pool changed.
 */
export async function updateAgentFromRegistration(
  tx: Queryable,
  opts: {
    agentId: string;
    fields: AgentRegistrationFields;
    status: "online" | "disabled";
    switched: boolean;
    logicalAgentId?: string;
    now: Date;
  },
): Promise<void> {
  const f = opts.fields;
  await tx.execute(
    "UPDATE agents SET pool_since = IF(? OR current_mode <> ? OR NOT (current_pool_id <=> ?) OR pool_since IS NULL, ?, pool_since), last_switch_at = IF(?, ?, last_switch_at), instance_count = instance_count + IF(?, 1, 0), logical_agent_id = COALESCE(?, logical_agent_id), hostname = ?, instance_id = ?, instance_type = ?, region = ?, az = ?, ami_id = ?, private_ip = ?, public_ip = ?, current_mode = ?, current_pool_id = ?, agent_version = COALESCE(?, agent_version), status = ?, last_heartbeat_at = ?, terminated_at = NULL WHERE id = ?",
    [
      opts.switched,
      f.mode,
      f.poolId,
      opts.now,
      opts.switched,
      opts.now,
      opts.switched,
      opts.logicalAgentId ?? null,
      ...regArgs(f),
      opts.status,
      opts.now,
      opts.agentId,
    ],
  );
}

/** Points the agent row at the instance a switch report names as the new one. */
export async function moveAgentToInstance(
  tx: Queryable,
  opts: {
    agentId: string;
    instanceId: string;
    instanceType: string | null;
    region: string;
    az: string | null;
    amiId: string | null;
    mode: "spot" | "ondemand";
    poolId: string | null;
    now: Date;
  },
): Promise<void> {
  await tx.execute(
    "UPDATE agents SET instance_id = ?, instance_type = COALESCE(?, instance_type), region = ?, az = COALESCE(?, az), ami_id = COALESCE(?, ami_id), current_mode = ?, current_pool_id = ?, pool_since = ?, last_switch_at = ?, instance_count = instance_count + 1 WHERE id = ?",
    [
      opts.instanceId,
      opts.instanceType,
      opts.region,
      opts.az,
      opts.amiId,
      opts.mode,
      opts.poolId,
      opts.now,
      opts.now,
      opts.agentId,
    ],
  );
}

/** Fields a heartbeat reports. */
export interface HeartbeatFields {
  clientId: string;
  agentId: string;
  status: "online" | "offline" | "disabled";
  instanceId: string | null;
  instanceType: string | null;
  az: string | null;
  mode: "spot" | "ondemand" | null;
  now: Date;
}

/**
 * The common heartbeat in one UPDATE: matches only when status and instance are what the row
 * already says (and mode/type/az, when sent, too). False means the slow path must decide.
 */
export async function heartbeatFast(db: Queryable, f: HeartbeatFields): Promise<boolean> {
  if (f.instanceId === null) return false;
  const r = await db.execute(
    "UPDATE agents SET last_heartbeat_at = ? WHERE id = ? AND client_id = ? AND status = ? AND instance_id = ? AND (? IS NULL OR current_mode = ?) AND (? IS NULL OR instance_type = ?) AND (? IS NULL OR az = ?)",
    [
      f.now,
      f.agentId,
      f.clientId,
      f.status,
      f.instanceId,
      f.mode,
      f.mode,
      f.instanceType,
      f.instanceType,
      f.az,
      f.az,
    ],
  );
  return r.rowsAffected === 1;
}

const SEP = "\x1f";
/** heartbeatFast's guard over a row as one string (CONCAT_WS drops NULLs: a NULL never matches). */
const ROW_KEY =
  "CONCAT_WS(0x1f, id, client_id, status, instance_id, current_mode, instance_type, az)";

/**
 * True when heartbeatFastBatch can take the beat: every field of the guard known and free of the
 * key separator (agent v4.0.0 always sends instance, mode, type and AZ).
 */
export function batchableBeat(f: HeartbeatFields): boolean {
  return f.instanceId !== null && f.mode !== null && f.instanceType !== null && f.az !== null &&
    !`${f.instanceId}${f.instanceType}${f.az}`.includes(SEP);
}

function rowKey(f: HeartbeatFields): string {
  if (!batchableBeat(f)) throw new Error("heartbeatFastBatch: the beat is not batchable");
  return [f.agentId, f.clientId, f.status, f.instanceId, f.mode, f.instanceType, f.az].join(SEP);
}

/** `id IN (…) AND <row key> IN (…)`: primary-key lookups, then one exact match per row. */
function batchGuard(beats: HeartbeatFields[]): { sql: string; args: unknown[] } {
  const marks = beats.map(() => "?").join(", ");
  return {
    sql: `id IN (${marks}) AND ${ROW_KEY} IN (${marks})`,
    args: [...beats.map((b) => b.agentId), ...beats.map(rowKey)],
  };
}

/**
 * heartbeatFast for many batchable beats of different agents in one UPDATE (at most one beat per
 * agent): a row is written only where heartbeatFast's guard holds for its beat (all fields
 * equal), and its time never moves back. Returns the rows matched (CLIENT_FOUND_ROWS).
 */
export async function heartbeatFastBatch(db: Queryable, beats: HeartbeatFields[]): Promise<number> {
  if (beats.length === 0) return 0;
  const guard = batchGuard(beats);
  const r = await db.execute(
    `UPDATE agents SET last_heartbeat_at = GREATEST(COALESCE(last_heartbeat_at, '1000-01-01'), CASE id ${
      beats.map(() => "WHEN ? THEN ?").join(" ")
    } END) WHERE ${guard.sql}`,
    [...beats.flatMap((b) => [b.agentId, b.now]), ...guard.args],
  );
  return r.rowsAffected;
}

/**
 * The beats heartbeatFastBatch did not write: the agent's row is gone, no longer matches the
 * beat, or holds an older heartbeat. One SELECT by primary key.
 */
export async function unwrittenBeats<B extends HeartbeatFields>(
  db: Queryable,
  beats: B[],
): Promise<B[]> {
  if (beats.length === 0) return [];
  const guard = batchGuard(beats);
  const r = await db.execute<{ id: string; last_heartbeat_at: string | null }>(
    `SELECT id, last_heartbeat_at FROM agents WHERE ${guard.sql}`,
    guard.args,
  );
  const written = new Map(r.rows.map((row) => [row.id, row.last_heartbeat_at]));
  return beats.filter((b) => {
    const at = written.get(b.agentId);
    return at === undefined || at === null || Date.parse(at) < b.now.getTime();
  });
}

/** Writes what the heartbeat slow path decided for the agent row. */
export async function updateAgentHeartbeat(
  tx: Queryable,
  opts: {
    agentId: string;
    status: string;
    instanceType: string | null;
    az: string | null;
    mode: "spot" | "ondemand" | "unknown";
    poolId: string | null;
    poolChanged: boolean;
    now: Date;
  },
): Promise<void> {
  await tx.execute(
    "UPDATE agents SET status = ?, last_heartbeat_at = ?, instance_type = ?, az = ?, current_mode = ?, current_pool_id = ?, pool_since = IF(?, ?, pool_since) WHERE id = ?",
    [
      opts.status,
      opts.now,
      opts.instanceType,
      opts.az,
      opts.mode,
      opts.poolId,
      opts.poolChanged,
      opts.now,
      opts.agentId,
    ],
  );
}

/** The notification text and severity of an agent status change. */
function statusMessage(
  name: string,
  from: string,
  to: string,
): { text: string; severity: "info" | "warning" } {
  if (to === "offline") return { text: `Agent ${name} went offline`, severity: "warning" };
  if (to === "disabled") {
    const text = from === "offline"
      ? `Agent ${name} is back online (disabled)`
      : `Agent ${name} is disabled`;
    return { text, severity: "info" };
  }
  if (from === "offline") return { text: `Agent ${name} is back online`, severity: "info" };
  return { text: `Agent ${name} is online`, severity: "info" };
}

/** Records one status change of an agent: one notification and one system event. */
export async function recordStatusChange(
  tx: Queryable,
  opts: {
    clientId: string;
    agentId: string;
    name: string;
    instanceId: string | null;
    from: string;
    to: string;
    reason: string;
    requestId?: string | null;
  },
): Promise<void> {
  const m = statusMessage(opts.name, opts.from, opts.to);
  await insertNotification(tx, {
    clientId: opts.clientId,
    agentId: opts.agentId,
    type: "agent_status",
    message: m.text,
    severity: m.severity,
  });
  await insertSystemEvent(tx, {
    type: opts.to === "offline" ? "agent_offline" : "agent_status_changed",
    severity: m.severity,
    clientId: opts.clientId,
    agentId: opts.agentId,
    instanceId: opts.instanceId,
    message: m.text,
    metadata: { from: opts.from, to: opts.to, reason: opts.reason },
    requestId: opts.requestId ?? null,
  });
}
