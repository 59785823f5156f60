/** Switch history reads of one client (CONTRACT E47, M1, E50). */
import type { Queryable } from "./client.ts";
import { bool, num } from "./client.ts";

/** One switch as the dashboards list it. */
export interface SwitchItem {
  id: string;
  agentId: string;
  commandId: string | null;
  oldInstanceId: string | null;
  newInstanceId: string;
  oldMode: string | null;
  newMode: string | null;
  oldAz: string | null;
  newAz: string | null;
  oldPoolId: string | null;
  newPoolId: string | null;
  instanceType: string | null;
  onDemandPrice: number | null;
  oldSpotPrice: number | null;
  newSpotPrice: number | null;
  savingsImpact: number | null;
  triggerType: string | null;
  initiatedAt: string;
  /** When the new instance came up (launched → AMI created → initiated). */
  timestamp: string;
  downtimeSeconds: number | null;
  success: boolean;
}

interface SwitchRow {
  id: string;
  agent_id: string;
  command_id: string | null;
  old_instance_id: string | null;
  new_instance_id: string;
  old_mode: string | null;
  new_mode: string | null;
  old_az: string | null;
  new_az: string | null;
  old_pool_id: string | null;
  new_pool_id: string | null;
  instance_type: string | null;
  on_demand_price: number | null;
  old_spot_price: number | null;
  new_spot_price: number | null;
  savings_impact: number | null;
  trigger_type: string | null;
  initiated: string;
  ts: string;
  downtime_seconds: number | null;
  success: number;
}

const COLUMNS =
  `s.id, s.agent_id, s.command_id, s.old_instance_id, s.new_instance_id, s.old_mode, s.new_mode,
  s.old_az, s.new_az, s.old_pool_id, s.new_pool_id, COALESCE(s.new_instance_type, s.old_instance_type) AS instance_type,
  s.on_demand_price, s.old_spot_price, s.new_spot_price, s.savings_impact,
  COALESCE(s.trigger_type, s.event_trigger) AS trigger_type, COALESCE(s.initiated_at, s.created_at) AS initiated,
  COALESCE(s.instance_launched_at, s.ami_created_at, s.initiated_at, s.created_at) AS ts,
  s.downtime_seconds, s.success`;

function toItem(r: SwitchRow): SwitchItem {
  return {
    id: r.id,
    agentId: r.agent_id,
    commandId: r.command_id,
    oldInstanceId: r.old_instance_id,
    newInstanceId: r.new_instance_id,
    oldMode: r.old_mode,
    newMode: r.new_mode,
    oldAz: r.old_az,
    newAz: r.new_az,
    oldPoolId: r.old_pool_id,
    newPoolId: r.new_pool_id,
    instanceType: r.instance_type,
    onDemandPrice: num(r.on_demand_price),
    oldSpotPrice: num(r.old_spot_price),
    newSpotPrice: num(r.new_spot_price),
    savingsImpact: num(r.savings_impact),
    triggerType: r.trigger_type,
    initiatedAt: r.initiated,
    timestamp: r.ts,
    downtimeSeconds: num(r.downtime_seconds),
    success: bool(r.success),
  };
}

function filter(opts: { clientId: string; instanceId?: string }): { sql: string; args: unknown[] } {
  if (!opts.instanceId) return { sql: "s.client_id = ?", args: [opts.clientId] };
  return {
    sql: "s.client_id = ? AND (s.old_instance_id = ? OR s.new_instance_id = ?)",
    args: [opts.clientId, opts.instanceId, opts.instanceId],
  };
}

/** A page of a client's switches, newest first (optionally only those of one instance). */
export async function listSwitches(
  db: Queryable,
  opts: { clientId: string; instanceId?: string; limit: number; offset: number },
): Promise<SwitchItem[]> {
  const f = filter(opts);
  const r = await db.execute<SwitchRow>(
    `SELECT ${COLUMNS} FROM switches s WHERE ${f.sql} ORDER BY initiated DESC, s.id LIMIT ? OFFSET ?`,
    [...f.args, opts.limit, opts.offset],
  );
  return r.rows.map(toItem);
}

/** Number of switches of a client (optionally of one instance). */
export async function countSwitches(
  db: Queryable,
  opts: { clientId: string; instanceId?: string },
): Promise<number> {
  const f = filter(opts);
  const r = await db.execute<{ n: number }>(
    `SELECT COUNT(*) AS n FROM switches s WHERE ${f.sql}`,
    f.args,
  );
  return num(r.rows[0]?.n) ?? 0;
}
