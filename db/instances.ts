/**
 * instances: every EC2 instance an agent ran on (PK = client, EC2 instance id) and its state:
 * running_primary | running_replica | zombie | terminated (CONTRACT 5.2).
 */
import type { Queryable } from "./client.ts";
import { bool, num } from "./client.ts";

/** An instances row as the driver returns it. */
export interface InstanceRow {
  id: string;
  client_id: string;
  agent_id: string | null;
  instance_type: string;
  region: string;
  az: string;
  ami_id: string | null;
  current_mode: string;
  current_pool_id: string | null;
  spot_price: number | null;
  ondemand_price: number | null;
  baseline_ondemand_price: number | null;
  is_active: number;
  instance_status: string;
  is_primary: number;
  installed_at: string | null;
  last_switch_at: string | null;
  terminated_at: string | null;
  last_heartbeat_at: string | null;
  created_at: string;
  updated_at: string;
}

/** An instance as the code uses it. */
export interface InstanceRecord {
  id: string;
  clientId: string;
  agentId: string | null;
  instanceType: string;
  region: string;
  az: string;
  amiId: string | null;
  mode: "spot" | "ondemand";
  poolId: string | null;
  spotPrice: number | null;
  ondemandPrice: number | null;
  baselineOndemandPrice: number | null;
  isActive: boolean;
  status: string;
  isPrimary: boolean;
  installedAt: string | null;
  lastSwitchAt: string | null;
  terminatedAt: string | null;
  lastHeartbeatAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLS =
  "id, client_id, agent_id, instance_type, region, az, ami_id, current_mode, current_pool_id, spot_price, ondemand_price, baseline_ondemand_price, is_active, instance_status, is_primary, installed_at, last_switch_at, terminated_at, last_heartbeat_at, created_at, updated_at";

/** Maps a row to the domain record. */
export function toInstance(r: InstanceRow): InstanceRecord {
  return {
    id: r.id,
    clientId: r.client_id,
    agentId: r.agent_id,
    instanceType: r.instance_type,
    region: r.region,
    az: r.az,
    amiId: r.ami_id,
    mode: r.current_mode === "spot" ? "spot" : "ondemand",
    poolId: r.current_pool_id,
    spotPrice: num(r.spot_price),
    ondemandPrice: num(r.ondemand_price),
    baselineOndemandPrice: num(r.baseline_ondemand_price),
    isActive: bool(r.is_active),
    status: r.instance_status,
    isPrimary: bool(r.is_primary),
    installedAt: r.installed_at,
    lastSwitchAt: r.last_switch_at,
    terminatedAt: r.terminated_at,
    lastHeartbeatAt: r.last_heartbeat_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** True for an instance that was switched away from and must stay quiet (T-09, T-32). */
export function isRetiredInstance(i: InstanceRecord): boolean {
  if (i.status === "zombie" || i.status === "terminated") return true;
  // An active replica registering is a failover (it becomes primary), not a retired instance.
  return !i.isPrimary && i.status !== "running_replica";
}

/**
 * One instance of the client by EC2 id (ids live in each client's namespace). `forUpdate` locks
 * the row; use it only for a row known to exist (a locking read of a missing key takes a gap
 * lock that deadlocks concurrent inserts).
 */
export async function findInstance(
  db: Queryable,
  clientId: string,
  instanceId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<InstanceRecord | null> {
  const r = await db.execute<InstanceRow>(
    `SELECT ${COLS} FROM instances WHERE client_id = ? AND id = ?${
      opts.forUpdate ? " FOR UPDATE" : ""
    }`,
    [clientId, instanceId],
  );
  return r.rows[0] ? toInstance(r.rows[0]) : null;
}

/** Where an instance runs. */
export interface InstancePlacement {
  clientId: string;
  agentId: string;
  instanceId: string;
  instanceType: string;
  region: string;
  az: string;
  amiId: string | null;
  mode: "spot" | "ondemand";
  poolId: string | null;
}

/**
 * Inserts or updates the instance as the agent's running primary. Prices are only overwritten
 * when given (the pricing report keeps them current); installed_at keeps its first value.
 */
export async function upsertPrimaryInstance(
  tx: Queryable,
  opts: InstancePlacement & {
    now: Date;
    installedAt?: Date | null;
    lastSwitchAt?: Date | null;
    spotPrice?: number | null;
    ondemandPrice?: number | null;
  },
): Promise<void> {
  await tx.execute(
    "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, ami_id, current_mode, current_pool_id, spot_price, ondemand_price, baseline_ondemand_price, is_active, instance_status, is_primary, installed_at, last_switch_at, last_heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'running_primary', 1, ?, ?, ?) ON DUPLICATE KEY UPDATE agent_id = VALUES(agent_id), instance_type = VALUES(instance_type), region = VALUES(region), az = VALUES(az), ami_id = COALESCE(VALUES(ami_id), ami_id), current_mode = VALUES(current_mode), current_pool_id = VALUES(current_pool_id), spot_price = COALESCE(VALUES(spot_price), spot_price), ondemand_price = COALESCE(VALUES(ondemand_price), ondemand_price), baseline_ondemand_price = COALESCE(baseline_ondemand_price, VALUES(baseline_ondemand_price)), is_active = 1, instance_status = 'running_primary', is_primary = 1, terminated_at = NULL, installed_at = COALESCE(installed_at, VALUES(installed_at)), last_switch_at = COALESCE(VALUES(last_switch_at), last_switch_at), last_heartbeat_at = VALUES(last_heartbeat_at)",
    [
      opts.instanceId,
      opts.clientId,
      opts.agentId,
      opts.instanceType,
      opts.region,
      opts.az,
      opts.amiId,
      opts.mode,
      opts.poolId,
      opts.spotPrice ?? null,
      opts.ondemandPrice ?? null,
      opts.ondemandPrice ?? null,
      opts.installedAt ?? opts.now,
      opts.lastSwitchAt ?? null,
      opts.now,
    ],
  );
}

/** Updates the mode/pool (and type/az when known) of an instance after a heartbeat. */
export async function updateInstancePlacement(
  tx: Queryable,
  opts: {
    clientId: string;
    instanceId: string;
    instanceType: string | null;
    az: string | null;
    mode: "spot" | "ondemand";
    poolId: string | null;
  },
): Promise<void> {
  await tx.execute(
    "UPDATE instances SET instance_type = COALESCE(?, instance_type), az = COALESCE(?, az), current_mode = ?, current_pool_id = ? WHERE id = ? AND client_id = ?",
    [opts.instanceType, opts.az, opts.mode, opts.poolId, opts.instanceId, opts.clientId],
  );
}

/**
 * Retires the agent's previous instance after a switch: not primary, `zombie` (still running)
 * or `terminated` (with its time). A terminated instance never goes back to zombie.
 */
export async function retireInstance(
  tx: Queryable,
  opts: {
    clientId: string;
    instanceId: string;
    terminatedAt: Date | null;
    lastHeartbeatAt?: Date | null;
    /** When given, only an instance of this agent (or of none) is touched. */
    agentId?: string;
  },
): Promise<void> {
  const beat = opts.lastHeartbeatAt ?? null;
  const args: unknown[] = [
    opts.terminatedAt,
    opts.terminatedAt,
    opts.terminatedAt,
    beat,
    beat,
    opts.instanceId,
    opts.clientId,
  ];
  if (opts.agentId) args.push(opts.agentId);
  await tx.execute(
    `UPDATE instances SET is_primary = 0, is_active = IF(? IS NULL, is_active, 0), terminated_at = COALESCE(terminated_at, ?), instance_status = IF(instance_status = 'terminated' OR ? IS NOT NULL, 'terminated', 'zombie'), last_heartbeat_at = COALESCE(GREATEST(last_heartbeat_at, ?), last_heartbeat_at, ?) WHERE id = ? AND client_id = ?${
      opts.agentId ? " AND (agent_id = ? OR agent_id IS NULL)" : ""
    }`,
    args,
  );
}

/**
 * Records a heartbeat of an instance that no longer owns its agent row (T-09). False when the
 * instance is not this agent's.
 */
export async function touchInstanceHeartbeat(
  db: Queryable,
  opts: { clientId: string; agentId: string; instanceId: string; at: Date },
): Promise<boolean> {
  const r = await db.execute(
    "UPDATE instances SET last_heartbeat_at = ? WHERE id = ? AND client_id = ? AND agent_id = ?",
    [opts.at, opts.instanceId, opts.clientId, opts.agentId],
  );
  return r.rowsAffected > 0;
}

/** A client's instances, newest first; `activeOnly` drops terminated/inactive ones. */
export async function listClientInstances(
  db: Queryable,
  opts: { clientId: string; activeOnly?: boolean; limit?: number },
): Promise<InstanceRecord[]> {
  const r = await db.execute<InstanceRow>(
    `SELECT ${COLS} FROM instances WHERE client_id = ?${
      opts.activeOnly ? " AND is_active = 1" : ""
    } ORDER BY created_at DESC LIMIT ?`,
    [opts.clientId, opts.limit ?? 1000],
  );
  return r.rows.map(toInstance);
}
