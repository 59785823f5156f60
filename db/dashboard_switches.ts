/** Switch history reads of one client (CONTRACT E47, M1, E50). */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";
import { bool, col, type Decoded, decoder, nnum, opt, str } from "./_rows.ts";

const SWITCH_ITEM = {
  id: str,
  agentId: str,
  commandId: opt,
  oldInstanceId: opt,
  newInstanceId: str,
  oldMode: opt,
  newMode: opt,
  oldAz: opt,
  newAz: opt,
  oldPoolId: opt,
  newPoolId: opt,
  instanceType: opt,
  onDemandPrice: nnum,
  oldSpotPrice: nnum,
  newSpotPrice: nnum,
  savingsImpact: nnum,
  triggerType: opt,
  initiatedAt: col("initiated", str),
  /** When the new instance came up (launched → AMI created → initiated). */
  timestamp: col("ts", str),
  downtimeSeconds: nnum,
  success: bool,
};

/** One switch as the dashboards list it. */
export type SwitchItem = Decoded<typeof SWITCH_ITEM>;
const toItem = decoder(SWITCH_ITEM);

const COLUMNS =
  `s.id, s.agent_id, s.command_id, s.old_instance_id, s.new_instance_id, s.old_mode, s.new_mode,
  s.old_az, s.new_az, s.old_pool_id, s.new_pool_id, COALESCE(s.new_instance_type, s.old_instance_type) AS instance_type,
  s.on_demand_price, s.old_spot_price, s.new_spot_price, s.savings_impact,
  COALESCE(s.trigger_type, s.event_trigger) AS trigger_type, COALESCE(s.initiated_at, s.created_at) AS initiated,
  COALESCE(s.instance_launched_at, s.ami_created_at, s.initiated_at, s.created_at) AS ts,
  s.downtime_seconds, s.success`;

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
  const r = await db.execute(
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
