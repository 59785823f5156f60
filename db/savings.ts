/**
 * The savings ledger's rows: what one client's day is computed from (segments, price series,
 * replica cost, switches, the cumulative total before the day), the computed row, and the writes
 * (savings_snapshots upsert, cumulative re-chaining, clients.total_savings derived from the ledger).
 *
 * Segment end rule: a closed segment ends at ended_at; an open one at the last heartbeat of its
 * instance (the agent's when it is the agent's current instance, else instances.last_heartbeat_at,
 * else superseded_at, else it has no observed time), capped at `now`. From superseded_at on, a
 * segment is overlap (the old instance still running after its replacement took over: pure cost).
 * A price point takes effect at its 5-minute bucket_start.
 * @module
 */
import type { Queryable } from "./client.ts";
import type { SegmentRow } from "./segments.ts";
import { computeDailyLedger, onDemandKey, utcDayBounds } from "../core/savings.ts";
import type { LedgerInput, LedgerRow, PricePoint, Segment } from "../core/savings.ts";
import { round } from "../core/round.ts";

/** The segment columns the ledger reads, plus the heartbeat that ends an open segment. */
type LedgerSegmentRow =
  & Pick<
    SegmentRow,
    | "instance_id"
    | "mode"
    | "pool_id"
    | "instance_type"
    | "region"
    | "started_at"
    | "superseded_at"
    | "ended_at"
  >
  & { heartbeat_end: string | null };

interface ScalarsRow {
  opening: number | null;
  earlier: number | null;
  replica: number | null;
  switches: number | null;
}

interface PriceRow {
  k: string;
  a: string;
  b: string;
  bucket_start: string;
  price: number;
}

/** Splits one segment row into its primary part and its overlap part (from superseded_at). */
function toSegments(r: LedgerSegmentRow, cap: number): Segment[] {
  const start = Date.parse(r.started_at);
  const endIso = r.ended_at ?? r.heartbeat_end ?? r.superseded_at ?? r.started_at;
  const end = Math.min(Date.parse(endIso), cap);
  const base = {
    instanceId: r.instance_id,
    mode: r.mode === "spot" ? "spot" as const : "ondemand" as const,
    poolId: r.mode === "spot" ? r.pool_id : null,
    instanceType: r.instance_type,
    region: r.region,
  };
  if (r.superseded_at === null) {
    return [{ ...base, start: new Date(start), end: new Date(end), overlap: false }];
  }
  const cut = Math.max(start, Math.min(Date.parse(r.superseded_at), end));
  return [
    { ...base, start: new Date(start), end: new Date(cut), overlap: false },
    { ...base, start: new Date(cut), end: new Date(end), overlap: true },
  ];
}

/** Loads everything one client's ledger row for `day` is computed from, as known at `now`. */
export async function loadLedgerInput(
  db: Queryable,
  opts: { clientId: string; day: string; now: Date },
): Promise<LedgerInput> {
  const { start, end } = utcDayBounds(opts.day);
  const cap = Math.min(opts.now.getTime(), end.getTime());
  // Sequential on purpose: `db` may be a transaction, whose statements must not overlap.
  const segs = await db.execute<LedgerSegmentRow>(
    "SELECT s.instance_id, s.mode, s.pool_id, s.instance_type, s.region, s.started_at, s.superseded_at, s.ended_at, CASE WHEN a.instance_id = s.instance_id THEN a.last_heartbeat_at ELSE i.last_heartbeat_at END AS heartbeat_end FROM instance_segments s LEFT JOIN agents a ON a.id = s.agent_id LEFT JOIN instances i ON i.client_id = s.client_id AND i.id = s.instance_id WHERE s.client_id = ? AND s.started_at < ? AND (s.ended_at IS NULL OR s.ended_at > ?) ORDER BY s.id",
    [opts.clientId, end, start],
  );
  const scalars = await db.execute<ScalarsRow>(
    "SELECT (SELECT opening_savings FROM clients WHERE id = ?) AS opening, (SELECT COALESCE(SUM(daily_savings), 0) FROM savings_snapshots WHERE client_id = ? AND snapshot_date < ?) AS earlier, (SELECT COALESCE(SUM(total_cost), 0) FROM replica_cost_log WHERE client_id = ? AND log_time >= ? AND log_time < ?) AS replica, (SELECT COUNT(*) FROM switches WHERE client_id = ? AND initiated_at >= ? AND initiated_at < ?) AS switches",
    [opts.clientId, opts.clientId, opts.day, opts.clientId, start, end, opts.clientId, start, end],
  );
  const segments = segs.rows.flatMap((r) => toSegments(r, cap));
  const prices = await loadPrices(db, { segments, start, end });
  const s = scalars.rows[0];
  return {
    day: opts.day,
    segments,
    spotPrices: prices.spot,
    onDemandPrices: prices.onDemand,
    replicaCost: Number(s?.replica ?? 0),
    switchCount: Number(s?.switches ?? 0),
    previousTotalSavings: Number(s?.opening ?? 0) + Number(s?.earlier ?? 0),
  };
}

// The points inside [start, end) plus, per series, the last point before start (the price in force
// at midnight). Identifiers are constants; only the IN lists vary.
const SPOT_IN_DAY =
  "SELECT 's' AS k, pool_id AS a, '' AS b, bucket_start, price FROM spot_price_snapshots WHERE pool_id IN (?) AND bucket_start >= ? AND bucket_start < ?";
const SPOT_BEFORE =
  "SELECT 's' AS k, p.pool_id AS a, '' AS b, p.bucket_start, p.price FROM spot_price_snapshots p JOIN (SELECT pool_id, MAX(bucket_start) AS m FROM spot_price_snapshots WHERE pool_id IN (?) AND bucket_start < ? GROUP BY pool_id) l ON l.pool_id = p.pool_id AND l.m = p.bucket_start";
const OD_IN_DAY =
  "SELECT 'o' AS k, region AS a, instance_type AS b, bucket_start, price FROM ondemand_price_snapshots WHERE region IN (?) AND instance_type IN (?) AND bucket_start >= ? AND bucket_start < ?";
const OD_BEFORE =
  "SELECT 'o' AS k, p.region AS a, p.instance_type AS b, p.bucket_start, p.price FROM ondemand_price_snapshots p JOIN (SELECT region, instance_type, MAX(bucket_start) AS m FROM ondemand_price_snapshots WHERE region IN (?) AND instance_type IN (?) AND bucket_start < ? GROUP BY region, instance_type) l ON l.region = p.region AND l.instance_type = p.instance_type AND l.m = p.bucket_start";

/** Spot series of the segments' pools and on-demand series of their (region, type) pairs. */
async function loadPrices(
  db: Queryable,
  opts: { segments: Segment[]; start: Date; end: Date },
): Promise<{ spot: Record<string, PricePoint[]>; onDemand: Record<string, PricePoint[]> }> {
  const spot: Record<string, PricePoint[]> = {};
  const onDemand: Record<string, PricePoint[]> = {};
  const live = opts.segments.filter((s) => s.end > s.start && s.end > opts.start);
  const pools = [...new Set(live.flatMap((s) => s.mode === "spot" && s.poolId ? [s.poolId] : []))];
  const pairs = new Set(live.map((s) => onDemandKey(s.region, s.instanceType)));
  if (pairs.size === 0) return { spot, onDemand };
  const regions = [...new Set(live.map((s) => s.region))];
  const types = [...new Set(live.map((s) => s.instanceType))];
  const parts: string[] = [];
  const args: unknown[] = [];
  if (pools.length > 0) {
    parts.push(SPOT_IN_DAY, SPOT_BEFORE);
    args.push(pools, opts.start, opts.end, pools, opts.start);
  }
  parts.push(OD_IN_DAY, OD_BEFORE);
  args.push(regions, types, opts.start, opts.end, regions, types, opts.start);
  const r = await db.execute<PriceRow>(parts.join(" UNION ALL "), args);
  for (const row of r.rows) {
    const point = { at: new Date(row.bucket_start), price: Number(row.price) };
    if (row.k === "s") (spot[row.a] ??= []).push(point);
    else {
      const key = onDemandKey(row.a, row.b);
      if (pairs.has(key)) (onDemand[key] ??= []).push(point);
    }
  }
  return { spot, onDemand };
}

/** Computes one client's ledger row for `day` as known at `now`, without writing anything. */
export async function computeLedgerRow(
  db: Queryable,
  opts: { clientId: string; day: string; now: Date },
): Promise<LedgerRow> {
  return computeDailyLedger(await loadLedgerInput(db, opts));
}

/** Writes one ledger row (idempotent upsert on uk_client_date). */
export async function upsertSavingsSnapshot(
  db: Queryable,
  row: LedgerRow,
  clientId: string,
): Promise<void> {
  await db.execute(
    "INSERT INTO savings_snapshots (client_id, snapshot_date, total_savings, daily_savings, spot_hours, ondemand_hours, total_cost, would_be_cost, average_savings_percent, switch_count, gross_savings, overlap_hours, overlap_cost, replica_cost, unpriced_hours) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE total_savings = VALUES(total_savings), daily_savings = VALUES(daily_savings), spot_hours = VALUES(spot_hours), ondemand_hours = VALUES(ondemand_hours), total_cost = VALUES(total_cost), would_be_cost = VALUES(would_be_cost), average_savings_percent = VALUES(average_savings_percent), switch_count = VALUES(switch_count), gross_savings = VALUES(gross_savings), overlap_hours = VALUES(overlap_hours), overlap_cost = VALUES(overlap_cost), replica_cost = VALUES(replica_cost), unpriced_hours = VALUES(unpriced_hours)",
    [
      clientId,
      row.snapshotDate,
      row.totalSavings,
      row.dailySavings,
      row.spotHours,
      row.ondemandHours,
      row.totalCost,
      row.wouldBeCost,
      row.averageSavingsPercent,
      row.switchCount,
      row.grossSavings,
      row.overlapHours,
      row.overlapCost,
      row.replicaCost,
      row.unpricedHours,
    ],
  );
}

/** Rewrites total_savings of the client's rows after `afterDay` so they chain from the rows before. */
export async function rechainTotalsAfter(
  db: Queryable,
  opts: { clientId: string; afterDay: string },
): Promise<number> {
  const later = await db.execute<{ snapshot_date: string; daily_savings: number | null }>(
    "SELECT snapshot_date, daily_savings FROM savings_snapshots WHERE client_id = ? AND snapshot_date > ? ORDER BY snapshot_date",
    [opts.clientId, opts.afterDay],
  );
  if (later.rows.length === 0) return 0;
  const base = await db.execute<{ opening: number | null; earlier: number | null }>(
    "SELECT (SELECT opening_savings FROM clients WHERE id = ?) AS opening, (SELECT COALESCE(SUM(daily_savings), 0) FROM savings_snapshots WHERE client_id = ? AND snapshot_date <= ?) AS earlier",
    [opts.clientId, opts.clientId, opts.afterDay],
  );
  let total = Number(base.rows[0]?.opening ?? 0) + Number(base.rows[0]?.earlier ?? 0);
  const values: unknown[] = [];
  for (const r of later.rows) {
    total = round(total + Number(r.daily_savings ?? 0), 4);
    values.push(opts.clientId, r.snapshot_date, total);
  }
  // Every row exists, so this multi-row upsert only updates total_savings.
  for (let i = 0; i < values.length; i += 3 * 500) {
    const chunk = values.slice(i, i + 3 * 500);
    await db.execute(
      `INSERT INTO savings_snapshots (client_id, snapshot_date, total_savings) VALUES ${
        Array(chunk.length / 3).fill("(?, ?, ?)").join(", ")
      } ON DUPLICATE KEY UPDATE total_savings = VALUES(total_savings)`,
      chunk,
    );
  }
  return later.rows.length;
}

/** Sets clients.total_savings = opening_savings + Σ daily_savings of the ledger (B-16: never reset). */
export async function refreshClientTotals(db: Queryable, clientIds: string[]): Promise<number> {
  if (clientIds.length === 0) return 0;
  const r = await db.execute(
    "UPDATE clients c SET c.total_savings = c.opening_savings + COALESCE((SELECT SUM(s.daily_savings) FROM savings_snapshots s WHERE s.client_id = c.id), 0) WHERE c.id IN (?)",
    [clientIds],
  );
  return r.rowsAffected;
}

/** Every client id, in a stable order: the ledger writes one row per client per day. */
export async function listLedgerClientIds(db: Queryable): Promise<string[]> {
  const r = await db.execute<{ id: string }>("SELECT id FROM clients ORDER BY id");
  return r.rows.map((x) => x.id);
}

/** The latest day any ledger row exists for, or null. */
export async function latestSnapshotDay(db: Queryable): Promise<string | null> {
  const r = await db.execute<{ d: string | null }>(
    "SELECT MAX(snapshot_date) AS d FROM savings_snapshots",
  );
  return r.rows[0]?.d ?? null;
}

/** The last day a successful run of `job` settled (its summary's `settledThrough`), or null. */
export async function lastSettledDay(db: Queryable, job: string): Promise<string | null> {
  const r = await db.execute<{ d: string | null }>(
    "SELECT JSON_UNQUOTE(JSON_EXTRACT(summary, '$.settledThrough')) AS d FROM job_runs WHERE job = ? AND status = 'ok' AND summary IS NOT NULL ORDER BY slot_start DESC LIMIT 1",
    [job],
  );
  const d = r.rows[0]?.d ?? null;
  return d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : null;
}
