/**
 * Pool risk: the inputs of core/risk.ts (price series, interruption signals of all clients, the
 * on-demand price), the pool_risk_analysis rows and their mirror on spot_pools, and the pools an
 * agent could move to. Batched: a few statements per chunk of pools, never one per pool.
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";
import type { PoolEvent, PoolRiskInput, PoolRiskResult, PriceSnapshot } from "../core/risk.ts";
import type { StoredPool } from "../core/decision_input.ts";
import { type StoredPoolRow, toStoredPool } from "./decisions.ts";

/** A pool's identity. */
export interface PoolKey {
  id: string;
  instanceType: string;
  region: string;
  az: string;
}

/**
 * What core/risk.ts scores a pool from (prices and events already filtered by time): scorePool's
 * input without `now`, so `scorePool({ ...data, now })`.
 */
export interface PoolRiskData extends Omit<PoolRiskInput, "now" | "bandHazard"> {
  prices: PriceSnapshot[];
  events: PoolEvent[];
  /** Termination notices of the other pools of the same instance type and region. */
  siblingEvents: PoolEvent[];
  onDemandPrice: number | null;
}

interface PoolKeyRow {
  id: string;
  instance_type: string;
  region: string;
  az: string;
}

const toKey = (r: PoolKeyRow): PoolKey => ({
  id: r.id,
  instanceType: r.instance_type,
  region: r.region,
  az: r.az,
});

/** Pools with at least one spot price snapshot since `since` (the "active" pools). */
export async function listActivePools(db: Queryable, since: Date): Promise<PoolKey[]> {
  const r = await db.execute<PoolKeyRow>(
    "SELECT p.id, p.instance_type, p.region, p.az FROM spot_pools p WHERE EXISTS (SELECT 1 FROM spot_price_snapshots s WHERE s.pool_id = p.id AND s.bucket_start >= ?) ORDER BY p.id",
    [since],
  );
  return r.rows.map(toKey);
}

/**
 * Loads the risk inputs of up to a few hundred pools in three statements: prices of the last
 * `priceHours`, termination notices and rebalance recommendations of the last `eventDays` (all
 * clients: only counts leave this function) with the notices of the same type's other pools in
 * the region, and the latest on-demand price per type and region.
 */
export async function loadRiskData(
  db: Queryable,
  opts: { pools: PoolKey[]; now: Date; priceHours: number; eventDays: number },
): Promise<Map<string, PoolRiskData>> {
  const out = new Map<string, PoolRiskData>();
  if (opts.pools.length === 0) return out;
  for (const p of opts.pools) {
    out.set(p.id, { prices: [], events: [], siblingEvents: [], onDemandPrice: null });
  }
  const ids = opts.pools.map((p) => p.id);
  const priceFrom = new Date(opts.now.getTime() - opts.priceHours * 3_600_000);
  const eventFrom = new Date(opts.now.getTime() - opts.eventDays * 86_400_000);

  const prices = await db.execute<{ pool_id: string; bucket_start: string; price: number }>(
    "SELECT pool_id, bucket_start, price FROM spot_price_snapshots WHERE pool_id IN (?) AND bucket_start >= ? AND bucket_start <= ?",
    [ids, priceFrom, opts.now],
  );
  for (const r of prices.rows) {
    out.get(r.pool_id)?.prices.push({ at: new Date(r.bucket_start), price: Number(r.price) });
  }

  // The pools' own events, and the notices of every pool of the same instance types (for the
  // other-AZ burst signal; the region is matched below), in one statement.
  const types = [...new Set(opts.pools.map((p) => p.instanceType))];
  const events = await db.execute<{
    pool_id: string;
    event_type: string;
    detected_at: string;
    client_id: string | null;
    instance_type: string | null;
    region: string | null;
  }>(
    "SELECT e.pool_id, e.event_type, e.detected_at, e.client_id, p.instance_type, p.region FROM termination_events e LEFT JOIN spot_pools p ON p.id = e.pool_id WHERE (e.pool_id IN (?) OR (p.instance_type IN (?) AND e.event_type = 'termination_notice')) AND e.detected_at >= ? AND e.detected_at <= ?",
    [ids, types, eventFrom, opts.now],
  );
  const byTypeRegion = new Map<string, PoolKey[]>();
  for (const p of opts.pools) {
    const k = `${p.instanceType}|${p.region}`;
    byTypeRegion.set(k, [...(byTypeRegion.get(k) ?? []), p]);
  }
  for (const r of events.rows) {
    const e: PoolEvent = {
      at: new Date(r.detected_at),
      clientId: r.client_id,
      kind: r.event_type === "termination_notice"
        ? "termination_notice"
        : "rebalance_recommendation",
    };
    out.get(r.pool_id)?.events.push(e);
    if (e.kind !== "termination_notice") continue;
    for (const p of byTypeRegion.get(`${r.instance_type}|${r.region}`) ?? []) {
      if (p.id !== r.pool_id) out.get(p.id)!.siblingEvents.push(e);
    }
  }

  const od = await db.execute<{ region: string; instance_type: string; price: number }>(
    "SELECT o.region, o.instance_type, o.price FROM ondemand_price_snapshots o JOIN (SELECT region, instance_type, MAX(bucket_start) AS b FROM ondemand_price_snapshots WHERE instance_type IN (?) AND bucket_start >= ? AND bucket_start <= ? GROUP BY region, instance_type) m ON m.region = o.region AND m.instance_type = o.instance_type AND m.b = o.bucket_start",
    [types, new Date(opts.now.getTime() - 7 * 86_400_000), opts.now],
  );
  const odBy = new Map(od.rows.map((r) => [`${r.region}|${r.instance_type}`, Number(r.price)]));
  for (const p of opts.pools) {
    out.get(p.id)!.onDemandPrice = odBy.get(`${p.region}|${p.instanceType}`) ?? null;
  }
  return out;
}

/** One analysed pool, ready to store. */
export interface PoolRiskRow {
  pool: PoolKey;
  result: PoolRiskResult;
}

/**
 * Writes pool_risk_analysis rows for one analysis time in one multi-row upsert (a re-run of the
 * same slot overwrites), then mirrors them onto spot_pools unless a termination notice raised a
 * pool's risk after `now` (the next run confirms it). Returns the rows written.
 */
export async function storePoolRisk(
  db: Queryable,
  opts: { rows: PoolRiskRow[]; analysisTime: Date; now: Date },
): Promise<number> {
  if (opts.rows.length === 0) return 0;
  const values = opts.rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
  const args = opts.rows.flatMap(({ pool, result }) => [
    pool.id,
    pool.instanceType,
    pool.region,
    pool.az,
    opts.analysisTime,
    result.riskScore,
    result.priceVolatility,
    result.avgPrice24h,
    result.minPrice24h,
    result.maxPrice24h,
    result.interruptionFrequency,
    result.recommendation,
    JSON.stringify({ components: result.components, explanation: result.explanation }),
  ]);
  await db.execute(
    `INSERT INTO pool_risk_analysis (pool_id, instance_type, region, az, analysis_time, risk_score, price_volatility, avg_price_24h, min_price_24h, max_price_24h, interruption_frequency, recommendation, metadata) VALUES ${values} ON DUPLICATE KEY UPDATE instance_type = VALUES(instance_type), region = VALUES(region), az = VALUES(az), risk_score = VALUES(risk_score), price_volatility = VALUES(price_volatility), avg_price_24h = VALUES(avg_price_24h), min_price_24h = VALUES(min_price_24h), max_price_24h = VALUES(max_price_24h), interruption_frequency = VALUES(interruption_frequency), recommendation = VALUES(recommendation), metadata = VALUES(metadata)`,
    args,
  );
  await db.execute(
    "UPDATE spot_pools p JOIN pool_risk_analysis a ON a.pool_id = p.id AND a.analysis_time = ? SET p.risk_score = a.risk_score, p.risk_recommendation = a.recommendation, p.risk_analyzed_at = ? WHERE p.id IN (?) AND (p.risk_analyzed_at IS NULL OR p.risk_analyzed_at <= ?)",
    [opts.analysisTime, opts.now, opts.rows.map((r) => r.pool.id), opts.now],
  );
  return opts.rows.length;
}

/**
 * Raises a pool's mirrored risk at once after a termination notice (never lowers it): the
 * decision engine and the pool choice stop sending agents there before the next job run.
 */
export async function raisePoolRisk(
  tx: Queryable,
  opts: {
    poolId: string;
    score: number;
    recommendation: string;
    at: Date;
    /**
     * Raise only when at least this many distinct clients reported a notice in the pool since
     * `confirmSince` (core/market.ts: one tenant alone never raises another tenant's pool).
     */
    confirmClients?: number;
    confirmSince?: Date;
  },
): Promise<void> {
  const confirm = opts.confirmClients ?? 0;
  // SET runs left to right on the updated row: the recommendation reads the old score first.
  await tx.execute(
    "UPDATE spot_pools SET risk_recommendation = IF(COALESCE(risk_score, 0) >= ?, risk_recommendation, ?), risk_score = GREATEST(COALESCE(risk_score, 0), ?), risk_analyzed_at = ? WHERE id = ?" +
      (confirm > 0
        ? " AND (SELECT COUNT(DISTINCT e.client_id) FROM termination_events e WHERE e.pool_id = ? AND e.event_type = 'termination_notice' AND e.detected_at >= ?) >= ?"
        : ""),
    [
      opts.score,
      opts.recommendation,
      opts.score,
      opts.at,
      opts.poolId,
      ...(confirm > 0 ? [opts.poolId, opts.confirmSince ?? opts.at, confirm] : []),
    ],
  );
}

/**
 * Newest termination notice of the client's own agents per pool since `since` (own evidence
 * counts in full for that client; other tenants' only through the capped shared score).
 */
export async function listOwnNotices(
  db: Queryable,
  opts: { clientId: string; since: Date },
): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  const r = await db.execute<{ pool_id: string; at: string }>(
    "SELECT pool_id, MAX(detected_at) AS at FROM termination_events WHERE client_id = ? AND event_type = 'termination_notice' AND pool_id IS NOT NULL AND detected_at >= ? GROUP BY pool_id",
    [opts.clientId, opts.since],
  );
  for (const row of r.rows) out.set(row.pool_id, new Date(row.at));
  return out;
}

/** A pool of the agent's type and region with its latest price and mirrored risk. */
export interface TypePool extends PoolKey {
  poolName: string | null;
  latestPrice: number | null;
  riskScore: number | null;
  riskRecommendation: string | null;
  riskAnalyzedAt: string | null;
}

/** Every active pool of one instance type in one region, with the latest price since `since`. */
export async function listTypePools(
  db: Queryable,
  opts: { instanceType: string; region: string; since: Date },
): Promise<TypePool[]> {
  const r = await db.execute<
    PoolKeyRow & {
      pool_name: string | null;
      latest_price: number | null;
      risk_score: number | null;
      risk_recommendation: string | null;
      risk_analyzed_at: string | null;
    }
  >(
    "SELECT p.id, p.instance_type, p.region, p.az, p.pool_name, p.risk_score, p.risk_recommendation, p.risk_analyzed_at, (SELECT s.price FROM spot_price_snapshots s WHERE s.pool_id = p.id AND s.bucket_start >= ? ORDER BY s.bucket_start DESC LIMIT 1) AS latest_price FROM spot_pools p WHERE p.instance_type = ? AND p.region = ? AND p.is_active = 1 ORDER BY p.id",
    [opts.since, opts.instanceType, opts.region],
  );
  return r.rows.map((row) => ({
    ...toKey(row),
    poolName: row.pool_name,
    latestPrice: num(row.latest_price),
    riskScore: num(row.risk_score),
    riskRecommendation: row.risk_recommendation,
    riskAnalyzedAt: row.risk_analyzed_at,
  }));
}

/** Termination notice times per pool since `since` (for the correlation of pools). */
export async function listNoticeTimes(
  db: Queryable,
  opts: { poolIds: string[]; since: Date },
): Promise<{ poolId: string; at: Date }[]> {
  if (opts.poolIds.length === 0) return [];
  const r = await db.execute<{ pool_id: string; detected_at: string }>(
    "SELECT pool_id, detected_at FROM termination_events WHERE event_type = 'termination_notice' AND pool_id IN (?) AND detected_at >= ?",
    [opts.poolIds, opts.since],
  );
  return r.rows.map((row) => ({ poolId: row.pool_id, at: new Date(row.detected_at) }));
}

/** The latest spot price of a pool since `since`, or null. */
export async function latestSpotPrice(
  db: Queryable,
  opts: { poolId: string; since: Date },
): Promise<number | null> {
  const r = await db.execute<{ price: number }>(
    "SELECT price FROM spot_price_snapshots WHERE pool_id = ? AND bucket_start >= ? ORDER BY bucket_start DESC LIMIT 1",
    [opts.poolId, opts.since],
  );
  return num(r.rows[0]?.price);
}

/**
 * Risk (and names) of the given pools without prices (a report brings its own), each with the
 * newest termination notice of `clientId`'s own agents since `since`: one statement.
 */
export async function loadPoolRisksForClient(
  db: Queryable,
  opts: { poolIds: string[]; clientId: string; since: Date },
): Promise<StoredPool[]> {
  if (opts.poolIds.length === 0) return [];
  const r = await db.execute<StoredPoolRow & { own_notice_at: string | null }>(
    "SELECT p.id, p.pool_name, p.instance_type, p.az, p.risk_score, p.risk_analyzed_at, NULL AS price, NULL AS captured_at, (SELECT MAX(e.detected_at) FROM termination_events e WHERE e.pool_id = p.id AND e.client_id = ? AND e.event_type = 'termination_notice' AND e.detected_at >= ?) AS own_notice_at FROM spot_pools p WHERE p.id IN (?)",
    [opts.clientId, opts.since, opts.poolIds],
  );
  return r.rows.map((row) => ({
    ...toStoredPool(row),
    ownNoticeAt: row.own_notice_at ? new Date(row.own_notice_at) : null,
  }));
}
