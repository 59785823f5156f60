/**
 * Reads of agents (+ agent_configs): one row per logical agent, surviving instance switches.
 * findAgentConfig is the config endpoint's one statement (only the columns the answer needs).
 * Writes are in agent_writes.ts.
 */
import type { Queryable } from "./client.ts";
import { bool, num } from "./client.ts";
import { agentScope, batcherOf, type OwnedRow } from "./read_batch.ts";

/** The agents columns that say where and how an agent runs now, as the driver returns them. */
export interface AgentPlacementRow {
  instance_id: string | null;
  instance_type: string | null;
  region: string | null;
  az: string | null;
  current_mode: string;
  current_pool_id: string | null;
}

/** Where and how an agent runs now (current_mode as stored). */
export interface AgentPlacement {
  instanceId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  currentMode: string;
  currentPoolId: string | null;
}

/** Maps the placement columns of an agents row. */
export function toAgentPlacement(r: AgentPlacementRow): AgentPlacement {
  return {
    instanceId: r.instance_id,
    instanceType: r.instance_type,
    region: r.region,
    az: r.az,
    currentMode: r.current_mode,
    currentPoolId: r.current_pool_id,
  };
}

/** An agents row joined with its agent_configs row, as the driver returns it. */
export interface AgentRow extends AgentPlacementRow {
  id: string;
  client_id: string;
  logical_agent_id: string;
  hostname: string | null;
  ami_id: string | null;
  private_ip: string | null;
  public_ip: string | null;
  pool_since: string | null;
  agent_version: string | null;
  config_version: number;
  status: string;
  enabled: number;
  last_heartbeat_at: string | null;
  auto_switch_enabled: number;
  auto_terminate_enabled: number;
  terminate_wait_seconds: number;
  replica_enabled: number;
  replica_count: number;
  manual_replica_enabled: number;
  current_replica_id: string | null;
  installed_at: string | null;
  created_at: string;
  updated_at: string;
  last_switch_at: string | null;
  terminated_at: string | null;
  deleted_at: string | null;
  cleanup_enabled: number | null;
  last_cleanup_at: string | null;
  min_savings_percent: number | null;
  risk_threshold: number | null;
  max_switches_per_week: number | null;
  max_switches_per_day: number | null;
  min_pool_duration_hours: number | null;
}

/** The decision-engine thresholds of an agent (agent_configs, defaults when the row is missing). */
export interface AgentThresholds {
  minSavingsPercent: number;
  riskThreshold: number;
  maxSwitchesPerWeek: number;
  maxSwitchesPerDay: number;
  minPoolDurationHours: number;
}

/** An agent as the code uses it. */
export interface AgentRecord {
  id: string;
  clientId: string;
  logicalAgentId: string;
  hostname: string | null;
  instanceId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  amiId: string | null;
  privateIp: string | null;
  publicIp: string | null;
  mode: "spot" | "ondemand" | "unknown";
  poolId: string | null;
  poolSince: string | null;
  agentVersion: string | null;
  configVersion: number;
  status: string;
  enabled: boolean;
  lastHeartbeatAt: string | null;
  autoSwitchEnabled: boolean;
  autoTerminateEnabled: boolean;
  terminateWaitSeconds: number;
  replicaEnabled: boolean;
  replicaCount: number;
  manualReplicaEnabled: boolean;
  currentReplicaId: string | null;
  installedAt: string | null;
  createdAt: string;
  updatedAt: string;
  lastSwitchAt: string | null;
  terminatedAt: string | null;
  deletedAt: string | null;
  cleanupEnabled: boolean;
  lastCleanupAt: string | null;
  thresholds: AgentThresholds;
}

const AGENT_COLS = [
  "a.id, a.client_id, a.logical_agent_id, a.hostname, a.instance_id, a.instance_type,",
  "a.region, a.az, a.ami_id, a.private_ip, a.public_ip, a.current_mode, a.current_pool_id,",
  "a.pool_since, a.agent_version, a.config_version, a.status, a.enabled,",
  "a.last_heartbeat_at, a.auto_switch_enabled, a.auto_terminate_enabled,",
  "a.terminate_wait_seconds, a.replica_enabled, a.replica_count, a.manual_replica_enabled,",
  "a.current_replica_id, a.installed_at, a.created_at, a.updated_at, a.last_switch_at,",
  "a.terminated_at, a.deleted_at, a.cleanup_enabled, a.last_cleanup_at",
].join(" ");
const CONFIG_COLS =
  "ac.min_savings_percent, ac.risk_threshold, ac.max_switches_per_week, ac.max_switches_per_day, ac.min_pool_duration_hours";
const SELECT_AGENT =
  `SELECT ${AGENT_COLS}, ${CONFIG_COLS} FROM agents a LEFT JOIN agent_configs ac ON ac.agent_id = a.id`;

type ThresholdCols =
  | "min_savings_percent"
  | "risk_threshold"
  | "max_switches_per_week"
  | "max_switches_per_day"
  | "min_pool_duration_hours";

/** The agent's thresholds, with the defaults of an agent without an agent_configs row. */
function thresholdsOf(r: Pick<AgentRow, ThresholdCols>): AgentThresholds {
  return {
    minSavingsPercent: num(r.min_savings_percent) ?? 15,
    riskThreshold: num(r.risk_threshold) ?? 0.3,
    maxSwitchesPerWeek: num(r.max_switches_per_week) ?? 10,
    maxSwitchesPerDay: num(r.max_switches_per_day) ?? 3,
    minPoolDurationHours: num(r.min_pool_duration_hours) ?? 2,
  };
}

function terminateWait(r: Pick<AgentRow, "terminate_wait_seconds">): number {
  return num(r.terminate_wait_seconds) ?? 300;
}

function cleanupOn(r: Pick<AgentRow, "cleanup_enabled">): boolean {
  return r.cleanup_enabled === null ? true : bool(r.cleanup_enabled);
}

/** Maps a row to the domain record. */
export function toAgent(r: AgentRow): AgentRecord {
  return {
    id: r.id,
    clientId: r.client_id,
    logicalAgentId: r.logical_agent_id,
    hostname: r.hostname,
    instanceId: r.instance_id,
    instanceType: r.instance_type,
    region: r.region,
    az: r.az,
    amiId: r.ami_id,
    privateIp: r.private_ip,
    publicIp: r.public_ip,
    mode: r.current_mode === "spot" || r.current_mode === "ondemand" ? r.current_mode : "unknown",
    poolId: r.current_pool_id,
    poolSince: r.pool_since,
    agentVersion: r.agent_version,
    configVersion: num(r.config_version) ?? 0,
    status: r.status,
    enabled: bool(r.enabled),
    lastHeartbeatAt: r.last_heartbeat_at,
    autoSwitchEnabled: bool(r.auto_switch_enabled),
    autoTerminateEnabled: bool(r.auto_terminate_enabled),
    terminateWaitSeconds: terminateWait(r),
    replicaEnabled: bool(r.replica_enabled),
    replicaCount: num(r.replica_count) ?? 0,
    manualReplicaEnabled: bool(r.manual_replica_enabled),
    currentReplicaId: r.current_replica_id,
    installedAt: r.installed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastSwitchAt: r.last_switch_at,
    terminatedAt: r.terminated_at,
    deletedAt: r.deleted_at,
    cleanupEnabled: cleanupOn(r),
    lastCleanupAt: r.last_cleanup_at,
    thresholds: thresholdsOf(r),
  };
}

/** An agent of a client with its thresholds (one statement); null when missing or foreign. */
export async function findAgentForClient(
  db: Queryable,
  opts: { clientId: string; agentId: string; forUpdate?: boolean },
): Promise<AgentRecord | null> {
  const r = await db.execute<AgentRow>(
    `${SELECT_AGENT} WHERE a.id = ? AND a.client_id = ?${opts.forUpdate ? " FOR UPDATE" : ""}`,
    [opts.agentId, opts.clientId],
  );
  return r.rows[0] ? toAgent(r.rows[0]) : null;
}

/** What the agent's config answer (E03, and the registration's config) is made of. */
export type AgentConfigRecord = Pick<
  AgentRecord,
  | "status"
  | "enabled"
  | "autoSwitchEnabled"
  | "autoTerminateEnabled"
  | "terminateWaitSeconds"
  | "replicaEnabled"
  | "replicaCount"
  | "manualReplicaEnabled"
  | "cleanupEnabled"
  | "thresholds"
>;

type ConfigRow = Pick<
  AgentRow,
  | "id"
  | "client_id"
  | "status"
  | "enabled"
  | "auto_switch_enabled"
  | "auto_terminate_enabled"
  | "terminate_wait_seconds"
  | "replica_enabled"
  | "replica_count"
  | "manual_replica_enabled"
  | "cleanup_enabled"
  | "min_savings_percent"
  | "risk_threshold"
  | "max_switches_per_week"
  | "max_switches_per_day"
  | "min_pool_duration_hours"
>;

/** The config rows of `agentIds` (one statement for the whole batch, db/read_batch.ts). */
async function readAgentConfigs(
  db: Queryable,
  agentIds: string[],
  clientIds: string[],
): Promise<OwnedRow<AgentConfigRecord>[]> {
  const scope = agentScope(agentIds, clientIds);
  const r = await db.execute<ConfigRow>(
    `SELECT a.id, a.client_id, a.status, a.enabled, a.auto_switch_enabled, a.auto_terminate_enabled, a.terminate_wait_seconds, a.replica_enabled, a.replica_count, a.manual_replica_enabled, a.cleanup_enabled, ac.min_savings_percent, ac.risk_threshold, ac.max_switches_per_week, ac.max_switches_per_day, ac.min_pool_duration_hours FROM agents a LEFT JOIN agent_configs ac ON ac.agent_id = a.id WHERE ${scope.where}`,
    scope.args,
  );
  return r.rows.map((row) => ({
    id: row.id,
    clientId: row.client_id,
    row: {
      status: row.status,
      enabled: bool(row.enabled),
      autoSwitchEnabled: bool(row.auto_switch_enabled),
      autoTerminateEnabled: bool(row.auto_terminate_enabled),
      terminateWaitSeconds: terminateWait(row),
      replicaEnabled: bool(row.replica_enabled),
      replicaCount: num(row.replica_count) ?? 0,
      manualReplicaEnabled: bool(row.manual_replica_enabled),
      cleanupEnabled: cleanupOn(row),
      thresholds: thresholdsOf(row),
    },
  }));
}

/**
 * The config fields of a client's agent (14 columns instead of the whole record: the agent polls
 * this every 60 s); null when missing or foreign. At most one statement: reads that arrive while
 * another is in flight share the next one (db/read_batch.ts).
 */
export function findAgentConfig(
  db: Queryable,
  opts: { clientId: string; agentId: string },
): Promise<AgentConfigRecord | null> {
  return batcherOf(db, "agent_config", readAgentConfigs).load(opts.clientId, opts.agentId);
}

/** An agent by id alone (admin reads; every client-facing caller uses findAgentForClient). */
export async function findAgentById(db: Queryable, agentId: string): Promise<AgentRecord | null> {
  const r = await db.execute<AgentRow>(`${SELECT_AGENT} WHERE a.id = ?`, [agentId]);
  return r.rows[0] ? toAgent(r.rows[0]) : null;
}

/** An agent by (client, logical_agent_id), locked when `forUpdate`. */
export async function findAgentByLogicalId(
  db: Queryable,
  opts: { clientId: string; logicalAgentId: string; forUpdate?: boolean },
): Promise<AgentRecord | null> {
  const r = await db.execute<AgentRow>(
    `${SELECT_AGENT} WHERE a.client_id = ? AND a.logical_agent_id = ?${
      opts.forUpdate ? " FOR UPDATE" : ""
    }`,
    [opts.clientId, opts.logicalAgentId],
  );
  return r.rows[0] ? toAgent(r.rows[0]) : null;
}

/**
 * Locks an existing agent row of the client (record lock only; nothing else is read) and
 * returns its id: by id, or by logical id. Null when there is no such row.
 */
export async function lockAgentRow(
  tx: Queryable,
  opts: { clientId: string; agentId: string } | { clientId: string; logicalAgentId: string },
): Promise<string | null> {
  const r = "agentId" in opts
    ? await tx.execute<{ id: string }>(
      "SELECT id FROM agents WHERE id = ? AND client_id = ? FOR UPDATE",
      [opts.agentId, opts.clientId],
    )
    : await tx.execute<{ id: string }>(
      "SELECT id FROM agents WHERE client_id = ? AND logical_agent_id = ? FOR UPDATE",
      [opts.clientId, opts.logicalAgentId],
    );
  return r.rows[0]?.id ?? null;
}

/** The name people know an agent by. */
export function agentName(a: { hostname: string | null; logicalAgentId: string }): string {
  return a.hostname || a.logicalAgentId;
}

/**
 * Agents of a client whose installer left LOGICAL_AGENT_ID empty (logical id = instance id) and
 * that have a delivered switch command to this target: candidates to be continued by a new
 * instance (T-02). At most 2 rows: the caller links only an unambiguous match.
 */
export async function findSwitchingAgentsByTarget(
  tx: Queryable,
  opts: {
    clientId: string;
    instanceType: string | null;
    region: string;
    mode: "spot" | "ondemand";
    poolId: string | null;
  },
): Promise<string[]> {
  const r = await tx.execute<{ id: string }>(
    "SELECT a.id FROM commands c JOIN agents a ON a.id = c.agent_id WHERE c.client_id = ? AND c.status = 'delivered' AND c.target_mode = ? AND (c.target_mode <> 'spot' OR c.target_pool_id = ?) AND a.client_id = c.client_id AND a.logical_agent_id = a.instance_id AND a.status <> 'deleted' AND a.instance_type <=> ? AND a.region = ? LIMIT 2",
    [opts.clientId, opts.mode, opts.poolId, opts.instanceType, opts.region],
  );
  return r.rows.map((x) => x.id);
}

/** Agents of a client, newest first (dashboards). */
export async function listClientAgents(
  db: Queryable,
  opts: { clientId: string; includeDeleted?: boolean },
): Promise<AgentRecord[]> {
  const r = await db.execute<AgentRow>(
    `${SELECT_AGENT} WHERE a.client_id = ?${
      opts.includeDeleted ? "" : " AND a.status <> 'deleted'"
    } ORDER BY a.created_at DESC`,
    [opts.clientId],
  );
  return r.rows.map(toAgent);
}
