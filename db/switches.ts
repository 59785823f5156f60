/**
 * switches: one row per instance switch, keyed by (agent_id, new_instance_id) so the registration
 * of the new instance and the old agent's switch report write the same row, whichever comes
 * first, and a retry writes nothing new. reported_at is set once the switch report was applied.
 */
import type { Queryable } from "./client.ts";
import { bool, json, num } from "./client.ts";

/** A switches row as the driver returns it. */
export interface SwitchRow {
  id: string;
  client_id: string;
  agent_id: string;
  command_id: string | null;
  old_instance_id: string | null;
  old_instance_type: string | null;
  old_region: string | null;
  old_az: string | null;
  old_mode: string | null;
  old_pool_id: string | null;
  old_ami_id: string | null;
  new_instance_id: string;
  new_instance_type: string | null;
  new_region: string | null;
  new_az: string | null;
  new_mode: string | null;
  new_pool_id: string | null;
  new_ami_id: string | null;
  on_demand_price: number | null;
  old_spot_price: number | null;
  new_spot_price: number | null;
  savings_impact: number | null;
  event_trigger: string | null;
  trigger_type: string | null;
  snapshot_used: number;
  snapshot_id: string | null;
  ami_id: string | null;
  initiated_at: string | null;
  ami_created_at: string | null;
  instance_launched_at: string | null;
  instance_ready_at: string | null;
  traffic_switched_at: string | null;
  old_terminated_at: string | null;
  total_duration_seconds: number | null;
  downtime_seconds: number | null;
  timing_data: unknown;
  success: number;
  source: string;
  reported_at: string | null;
  created_at: string;
}

/** One side (old or new) of a switch. */
export interface SwitchSide {
  instanceId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  mode: string | null;
  poolId: string | null;
  amiId: string | null;
}

/** What a switch says about itself, whether read back (SwitchRecord) or reported (SwitchReportData). */
interface SwitchFacts {
  commandId: string | null;
  old: SwitchSide;
  new: SwitchSide & { instanceId: string };
  onDemandPrice: number | null;
  oldSpotPrice: number | null;
  newSpotPrice: number | null;
  savingsImpact: number | null;
  triggerType: string | null;
  snapshotUsed: boolean;
  snapshotId: string | null;
  amiId: string | null;
}

/** A switch as the code uses it. */
export interface SwitchRecord extends SwitchFacts {
  id: string;
  clientId: string;
  agentId: string;
  initiatedAt: string | null;
  amiCreatedAt: string | null;
  instanceLaunchedAt: string | null;
  instanceReadyAt: string | null;
  trafficSwitchedAt: string | null;
  oldTerminatedAt: string | null;
  totalDurationSeconds: number | null;
  downtimeSeconds: number | null;
  timingData: Record<string, unknown> | null;
  success: boolean;
  source: string;
  reportedAt: string | null;
  createdAt: string;
}

const COLS =
  "id, client_id, agent_id, command_id, old_instance_id, old_instance_type, old_region, old_az, old_mode, old_pool_id, old_ami_id, new_instance_id, new_instance_type, new_region, new_az, new_mode, new_pool_id, new_ami_id, on_demand_price, old_spot_price, new_spot_price, savings_impact, event_trigger, trigger_type, snapshot_used, snapshot_id, ami_id, initiated_at, ami_created_at, instance_launched_at, instance_ready_at, traffic_switched_at, old_terminated_at, total_duration_seconds, downtime_seconds, timing_data, success, source, reported_at, created_at";

/** One side's columns (old_* or new_*) of a row. */
function toSide(r: SwitchRow, side: "old" | "new"): SwitchSide {
  return {
    instanceId: r[`${side}_instance_id`],
    instanceType: r[`${side}_instance_type`],
    region: r[`${side}_region`],
    az: r[`${side}_az`],
    mode: r[`${side}_mode`],
    poolId: r[`${side}_pool_id`],
    amiId: r[`${side}_ami_id`],
  };
}

/** Maps a row to the domain record. */
export function toSwitch(r: SwitchRow): SwitchRecord {
  return {
    id: r.id,
    clientId: r.client_id,
    agentId: r.agent_id,
    commandId: r.command_id,
    old: toSide(r, "old"),
    new: { ...toSide(r, "new"), instanceId: r.new_instance_id },
    onDemandPrice: num(r.on_demand_price),
    oldSpotPrice: num(r.old_spot_price),
    newSpotPrice: num(r.new_spot_price),
    savingsImpact: num(r.savings_impact),
    triggerType: r.trigger_type,
    snapshotUsed: bool(r.snapshot_used),
    snapshotId: r.snapshot_id,
    amiId: r.ami_id,
    initiatedAt: r.initiated_at,
    amiCreatedAt: r.ami_created_at,
    instanceLaunchedAt: r.instance_launched_at,
    instanceReadyAt: r.instance_ready_at,
    trafficSwitchedAt: r.traffic_switched_at,
    oldTerminatedAt: r.old_terminated_at,
    totalDurationSeconds: num(r.total_duration_seconds),
    downtimeSeconds: num(r.downtime_seconds),
    timingData: json<Record<string, unknown>>(r.timing_data),
    success: bool(r.success),
    source: r.source,
    reportedAt: r.reported_at,
    createdAt: r.created_at,
  };
}

function sideArgs(s: SwitchSide): unknown[] {
  return [s.instanceId, s.instanceType, s.region, s.az, s.mode, s.poolId, s.amiId];
}

/** The switch that brought `newInstanceId` to the agent, if any. */
export async function findSwitch(
  db: Queryable,
  opts: { agentId: string; newInstanceId: string; forUpdate?: boolean },
): Promise<SwitchRecord | null> {
  const r = await db.execute<SwitchRow>(
    `SELECT ${COLS} FROM switches WHERE agent_id = ? AND new_instance_id = ?${
      opts.forUpdate ? " FOR UPDATE" : ""
    }`,
    [opts.agentId, opts.newInstanceId],
  );
  return r.rows[0] ? toSwitch(r.rows[0]) : null;
}

/**
 * Records the switch a registration revealed (a new instance under an existing agent). Values a
 * switch report already stored win. True when this call created the row.
 */
export async function recordSwitchFromRegistration(
  tx: Queryable,
  opts: {
    clientId: string;
    agentId: string;
    commandId: string | null;
    old: SwitchSide;
    new: SwitchSide & { instanceId: string };
    initiatedAt: Date | null;
    triggerType: string | null;
    readyAt: Date;
  },
): Promise<boolean> {
  const args = [
    opts.commandId,
    ...sideArgs(opts.old),
    ...sideArgs(opts.new).slice(1),
    opts.triggerType,
    opts.triggerType,
    opts.initiatedAt,
    opts.readyAt,
  ];
  const ins = await tx.execute(
    "INSERT IGNORE INTO switches (id, client_id, agent_id, new_instance_id, source, command_id, old_instance_id, old_instance_type, old_region, old_az, old_mode, old_pool_id, old_ami_id, new_instance_type, new_region, new_az, new_mode, new_pool_id, new_ami_id, event_trigger, trigger_type, initiated_at, instance_ready_at) VALUES (?, ?, ?, ?, 'registration', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [crypto.randomUUID(), opts.clientId, opts.agentId, opts.new.instanceId, ...args],
  );
  if (ins.rowsAffected === 1) return true;
  await tx.execute(
    "UPDATE switches SET command_id = COALESCE(command_id, ?), old_instance_id = COALESCE(old_instance_id, ?), old_instance_type = COALESCE(old_instance_type, ?), old_region = COALESCE(old_region, ?), old_az = COALESCE(old_az, ?), old_mode = COALESCE(old_mode, ?), old_pool_id = COALESCE(old_pool_id, ?), old_ami_id = COALESCE(old_ami_id, ?), new_instance_type = COALESCE(new_instance_type, ?), new_region = COALESCE(new_region, ?), new_az = COALESCE(new_az, ?), new_mode = COALESCE(new_mode, ?), new_pool_id = COALESCE(new_pool_id, ?), new_ami_id = COALESCE(new_ami_id, ?), event_trigger = COALESCE(event_trigger, ?), trigger_type = COALESCE(trigger_type, ?), initiated_at = COALESCE(initiated_at, ?), instance_ready_at = COALESCE(instance_ready_at, ?) WHERE agent_id = ? AND new_instance_id = ?",
    [...args, opts.agentId, opts.new.instanceId],
  );
  return false;
}

/** What a switch report contributes to the row (already normalised by the route). */
export interface SwitchReportData extends SwitchFacts {
  initiatedAt: Date | null;
  amiCreatedAt: Date | null;
  instanceLaunchedAt: Date | null;
  instanceReadyAt: Date | null;
  trafficSwitchedAt: Date | null;
  oldTerminatedAt: Date | null;
  totalDurationSeconds: number | null;
  downtimeSeconds: number | null;
  timingData: Record<string, unknown> | null;
}

/** Outcome of applySwitchReport. */
export interface SwitchReportOutcome {
  /** The row did not exist before (no registration of the new instance yet). */
  created: boolean;
  /** A report for this switch was applied before: nothing was changed. */
  alreadyReported: boolean;
  /** The row as it was before this report (null when created). */
  before: SwitchRecord | null;
}

/**
 * Merges a switch report into the switch row (creating it if needed); report values win over
 * what the registration inferred. A second report for the same switch changes nothing.
 */
export async function applySwitchReport(
  tx: Queryable,
  opts: { clientId: string; agentId: string; report: SwitchReportData; now: Date },
): Promise<SwitchReportOutcome> {
  const { report: r } = opts;
  const ins = await tx.execute(
    "INSERT IGNORE INTO switches (id, client_id, agent_id, new_instance_id, source) VALUES (?, ?, ?, ?, 'switch_report')",
    [crypto.randomUUID(), opts.clientId, opts.agentId, r.new.instanceId],
  );
  const created = ins.rowsAffected === 1;
  const before = await findSwitch(tx, {
    agentId: opts.agentId,
    newInstanceId: r.new.instanceId,
    forUpdate: true,
  });
  if (before?.reportedAt) return { created: false, alreadyReported: true, before };
  await tx.execute(
    "UPDATE switches SET command_id = COALESCE(?, command_id), old_instance_id = COALESCE(?, old_instance_id), old_instance_type = COALESCE(?, old_instance_type), old_region = COALESCE(?, old_region), old_az = COALESCE(?, old_az), old_mode = COALESCE(?, old_mode), old_pool_id = COALESCE(?, old_pool_id), old_ami_id = COALESCE(?, old_ami_id), new_instance_type = COALESCE(?, new_instance_type), new_region = COALESCE(?, new_region), new_az = COALESCE(?, new_az), new_mode = COALESCE(?, new_mode), new_pool_id = COALESCE(?, new_pool_id), new_ami_id = COALESCE(?, new_ami_id), on_demand_price = ?, old_spot_price = ?, new_spot_price = ?, savings_impact = ?, event_trigger = COALESCE(?, event_trigger), trigger_type = COALESCE(?, trigger_type), snapshot_used = ?, snapshot_id = ?, ami_id = ?, initiated_at = COALESCE(?, initiated_at), ami_created_at = ?, instance_launched_at = ?, instance_ready_at = COALESCE(?, instance_ready_at), traffic_switched_at = ?, old_terminated_at = ?, total_duration_seconds = ?, downtime_seconds = ?, timing_data = ?, reported_at = ? WHERE agent_id = ? AND new_instance_id = ?",
    [
      r.commandId,
      ...sideArgs(r.old),
      ...sideArgs(r.new).slice(1),
      r.onDemandPrice,
      r.oldSpotPrice,
      r.newSpotPrice,
      r.savingsImpact,
      r.triggerType,
      r.triggerType,
      r.snapshotUsed ? 1 : 0,
      r.snapshotId,
      r.amiId,
      r.initiatedAt,
      r.amiCreatedAt,
      r.instanceLaunchedAt,
      r.instanceReadyAt,
      r.trafficSwitchedAt,
      r.oldTerminatedAt,
      r.totalDurationSeconds,
      r.downtimeSeconds,
      r.timingData ? JSON.stringify(r.timingData) : null,
      opts.now,
      opts.agentId,
      r.new.instanceId,
    ],
  );
  return { created, alreadyReported: false, before: created ? null : before };
}
