/** Per-instance detail reads: time in each mode with its prices (metrics) and the event log. */
import type { Queryable } from "./client.ts";
import { bool, num } from "./client.ts";
import { col, type Decoded, decoder, nnum, opt, str } from "./_rows.ts";

const PRICED_SEGMENT = {
  mode: str,
  poolId: opt,
  start: col("started_at", str),
  end: col("ended_at", str),
  avgSpotPrice: col("avg_spot", nnum),
  avgOnDemandPrice: col("avg_od", nnum),
};

/** One stretch of an instance in one mode with the average prices in force during it. */
export type PricedSegment = Decoded<typeof PRICED_SEGMENT>;

/**
 * An instance's segments with average spot / on-demand prices; a segment ends when its replacement
 * took over (superseded_at: the overlap after it saves nothing), or at `now` while open.
 */
export async function pricedSegments(
  db: Queryable,
  opts: { instanceId: string; clientId: string; now: Date; limit: number },
): Promise<PricedSegment[]> {
  const r = await db.execute(
    `SELECT s.mode, s.pool_id, s.started_at, COALESCE(s.superseded_at, s.ended_at, ?) AS ended_at,
       (SELECT AVG(p.price) FROM spot_price_snapshots p WHERE p.pool_id = s.pool_id
          AND p.bucket_start < COALESCE(s.ended_at, ?) AND p.bucket_start >= s.started_at - INTERVAL 1 HOUR) AS avg_spot,
       (SELECT AVG(o.price) FROM ondemand_price_snapshots o WHERE o.region = s.region AND o.instance_type = s.instance_type
          AND o.bucket_start < COALESCE(s.ended_at, ?) AND o.bucket_start >= s.started_at - INTERVAL 1 HOUR) AS avg_od
     FROM instance_segments s WHERE s.instance_id = ? AND s.client_id = ?
     ORDER BY s.started_at DESC LIMIT ?`,
    [opts.now, opts.now, opts.now, opts.instanceId, opts.clientId, opts.limit],
  );
  return r.rows.map(decoder(PRICED_SEGMENT));
}

/** Switch counts of an agent (or of one instance when there is no agent). */
export async function switchCounts(
  db: Queryable,
  opts: { clientId: string; agentId: string | null; instanceId: string | null; now: Date },
): Promise<{ total: number; last7: number; last30: number }> {
  const d7 = new Date(opts.now.getTime() - 7 * 86400_000);
  const d30 = new Date(opts.now.getTime() - 30 * 86400_000);
  const by = opts.agentId ? "agent_id = ?" : "(old_instance_id = ? OR new_instance_id = ?)";
  const byArgs = opts.agentId ? [opts.agentId] : [opts.instanceId, opts.instanceId];
  const r = await db.execute<{ total: number; last7: number | null; last30: number | null }>(
    `SELECT COUNT(*) AS total, SUM(COALESCE(initiated_at, created_at) >= ?) AS last7,
       SUM(COALESCE(initiated_at, created_at) >= ?) AS last30
     FROM switches WHERE client_id = ? AND ${by}`,
    [d7, d30, opts.clientId, ...byArgs],
  );
  const row = r.rows[0];
  return {
    total: num(row?.total) ?? 0,
    last7: num(row?.last7) ?? 0,
    last30: num(row?.last30) ?? 0,
  };
}

/** One entry of an instance's log. */
export interface InstanceLogEntry {
  eventType: string;
  timestamp: string;
  status: string;
  fromValue: string | null;
  toValue: string | null;
  savings: number;
  price: number;
  reason: string | null;
  instanceType: string | null;
}

const modePool = (mode: string | null, pool: string | null) =>
  mode ? (pool && mode === "spot" ? `${mode} (${pool})` : mode) : null;

/**
 * The newest `limit + offset` entries of each source (switches, commands, system events) of one
 * instance, merged newest first and paged. Three statements whatever the page.
 */
export async function instanceLog(
  db: Queryable,
  opts: { clientId: string; instanceId: string; limit: number; offset: number },
): Promise<InstanceLogEntry[]> {
  const n = opts.limit + opts.offset;
  const sw = await db.execute<Record<string, unknown>>(
    `SELECT COALESCE(initiated_at, created_at) AS t, old_mode, old_pool_id, new_mode, new_pool_id,
       savings_impact, new_spot_price, on_demand_price, success, error_message, trigger_type,
       event_trigger, new_instance_type, old_instance_type, new_instance_id
     FROM switches WHERE client_id = ? AND (old_instance_id = ? OR new_instance_id = ?) ORDER BY t DESC LIMIT ?`,
    [opts.clientId, opts.instanceId, opts.instanceId, n],
  );
  const cmd = await db.execute<Record<string, unknown>>(
    `SELECT created_at, status, target_mode, target_pool_id, reason, message, trigger_type, created_by
     FROM commands WHERE client_id = ? AND (instance_id = ? OR delivered_instance_id = ?) ORDER BY created_at DESC LIMIT ?`,
    [opts.clientId, opts.instanceId, opts.instanceId, n],
  );
  const ev = await db.execute<Record<string, unknown>>(
    "SELECT event_type, severity, message, created_at FROM system_events WHERE client_id = ? AND instance_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
    [opts.clientId, opts.instanceId, n],
  );
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const entries: InstanceLogEntry[] = [
    ...sw.rows.map((x) => ({
      eventType: "switch",
      timestamp: String(x.t),
      status: bool(x.success) ? "completed" : "failed",
      fromValue: modePool(s(x.old_mode), s(x.old_pool_id)),
      toValue: modePool(s(x.new_mode), s(x.new_pool_id)),
      savings: num(x.savings_impact) ?? 0,
      price: (x.new_mode === "spot" ? num(x.new_spot_price) : num(x.on_demand_price)) ?? 0,
      reason: s(x.error_message) ?? s(x.trigger_type) ?? s(x.event_trigger),
      instanceType: s(x.new_instance_type) ?? s(x.old_instance_type),
    })),
    ...cmd.rows.map((x) => ({
      eventType: "switch_command",
      timestamp: String(x.created_at),
      status: String(x.status),
      fromValue: null,
      toValue: modePool(s(x.target_mode), s(x.target_pool_id)),
      savings: 0,
      price: 0,
      reason: s(x.reason) ?? s(x.message) ?? s(x.trigger_type),
      instanceType: null,
    })),
    ...ev.rows.map((x) => ({
      eventType: String(x.event_type),
      timestamp: String(x.created_at),
      status: String(x.severity),
      fromValue: null,
      toValue: null,
      savings: 0,
      price: 0,
      reason: s(x.message),
      instanceType: null,
    })),
  ];
  entries.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  return entries.slice(opts.offset, opts.offset + opts.limit);
}
