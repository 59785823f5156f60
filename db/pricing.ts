/**
 * Pricing reports and the price series (spot per pool, on-demand per region + type), each written
 * with one multi-row statement per table. Spot pools are written only the first time this process
 * sees a pool id for a database, so a steady-state report costs three statements.
 */
import type { Db, Queryable } from "./client.ts";
import { json, num, sqlErrno } from "./client.ts";
import type { ReportedMarketRow } from "../core/market.ts";

/** Width of one price bucket (one row per pool per bucket, however many agents report it). */
export const PRICE_BUCKET_MS = 5 * 60 * 1000;

/** Start of the 5-minute bucket holding `d`. */
export function priceBucket(d: Date): Date {
  return new Date(Math.floor(d.getTime() / PRICE_BUCKET_MS) * PRICE_BUCKET_MS);
}

/** One pricing report row, keyed by (agent, collected_at). */
export interface PricingReportInput {
  agentId: string;
  clientId: string;
  instanceId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  mode: string | null;
  poolId: string | null;
  onDemandPrice: number | null;
  onDemandEstimated: boolean;
  currentSpotPrice: number | null;
  cheapestPoolId: string | null;
  cheapestPoolPrice: number | null;
  pools: { poolId: string; instanceType: string; az: string; price: number }[];
  collectedAt: Date;
  shape: string;
}

/**
 * Inserts (or, for a retry, refreshes) the report when the agent belongs to the client and is not
 * deleted; false when it does not (then nothing was written).
 */
export async function upsertPricingReportForAgent(
  db: Queryable,
  r: PricingReportInput,
): Promise<boolean> {
  const res = await db.execute(
    "INSERT INTO pricing_reports (id, agent_id, client_id, instance_id, instance_type, region, az, current_mode, current_pool_id, on_demand_price, on_demand_estimated, current_spot_price, cheapest_pool_id, cheapest_pool_price, spot_pools, collected_at, report_shape) " +
      "SELECT ?, a.id, a.client_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM agents a WHERE a.id = ? AND a.client_id = ? AND a.status <> 'deleted' " +
      "ON DUPLICATE KEY UPDATE instance_id = VALUES(instance_id), instance_type = VALUES(instance_type), region = VALUES(region), az = VALUES(az), current_mode = VALUES(current_mode), current_pool_id = VALUES(current_pool_id), on_demand_price = VALUES(on_demand_price), on_demand_estimated = VALUES(on_demand_estimated), current_spot_price = VALUES(current_spot_price), cheapest_pool_id = VALUES(cheapest_pool_id), cheapest_pool_price = VALUES(cheapest_pool_price), spot_pools = VALUES(spot_pools), report_shape = VALUES(report_shape)",
    [
      crypto.randomUUID(),
      r.instanceId,
      r.instanceType,
      r.region,
      r.az,
      r.mode,
      r.poolId,
      r.onDemandPrice,
      r.onDemandEstimated ? 1 : 0,
      r.currentSpotPrice,
      r.cheapestPoolId,
      r.cheapestPoolPrice,
      JSON.stringify(
        r.pools.map((p) => ({
          pool_id: p.poolId,
          instance_type: p.instanceType,
          az: p.az,
          price: p.price,
        })),
      ),
      r.collectedAt,
      r.shape,
      r.agentId,
      r.clientId,
    ],
  );
  return res.rowsAffected > 0;
}

// Pool ids known to exist, per database (a WeakMap so each test database has its own set).
const knownPools = new WeakMap<Db, Set<string>>();
const MAX_KNOWN_POOLS = 200_000;

/** Upserts the spot pools this process has not written yet for this database (usually none). */
export async function ensureSpotPools(
  db: Db,
  region: string,
  pools: { poolId: string; instanceType: string; az: string }[],
): Promise<number> {
  let known = knownPools.get(db);
  if (!known) knownPools.set(db, known = new Set());
  const fresh = pools.filter((p) => !known.has(p.poolId));
  if (fresh.length === 0) return 0;
  await db.execute(
    `INSERT INTO spot_pools (id, pool_name, instance_type, region, az) VALUES ${
      fresh.map(() => "(?, ?, ?, ?, ?)").join(", ")
    } ON DUPLICATE KEY UPDATE is_active = 1`,
    fresh.flatMap((p) => [p.poolId, p.poolId, p.instanceType, region, p.az]),
  );
  if (known.size + fresh.length > MAX_KNOWN_POOLS) known.clear();
  for (const p of fresh) known.add(p.poolId);
  return fresh.length;
}

/**
 * Upserts each pool's price in its 5-minute bucket in one statement; within a bucket the newest
 * capture wins. Rows go in pool-id order so concurrent reports lock in the same order.
 */
export async function upsertSpotPrices(
  db: Queryable,
  rows: { poolId: string; price: number }[],
  capturedAt: Date,
): Promise<void> {
  if (rows.length === 0) return;
  const sorted = [...rows].sort((a, b) => (a.poolId < b.poolId ? -1 : 1));
  const bucket = priceBucket(capturedAt);
  await retryDeadlock(() =>
    db.execute(
      `INSERT INTO spot_price_snapshots (pool_id, bucket_start, price, captured_at) VALUES ${
        sorted.map(() => "(?, ?, ?, ?)").join(", ")
      } ON DUPLICATE KEY UPDATE price = IF(VALUES(captured_at) >= captured_at, VALUES(price), price), captured_at = GREATEST(captured_at, VALUES(captured_at))`,
      sorted.flatMap((r) => [r.poolId, bucket, r.price, capturedAt]),
    )
  );
}

/**
 * Upserts the on-demand price of (region, instance type) in its bucket. A real price replaces an
 * estimate; an estimate never replaces a real price; otherwise the newest capture wins.
 */
export async function upsertOnDemandPrice(
  db: Queryable,
  p: { region: string; instanceType: string; price: number; estimated: boolean; capturedAt: Date },
): Promise<void> {
  const wins =
    "(VALUES(is_estimate) < is_estimate OR (VALUES(is_estimate) = is_estimate AND VALUES(captured_at) >= captured_at))";
  await retryDeadlock(() =>
    db.execute(
      "INSERT INTO ondemand_price_snapshots (region, instance_type, bucket_start, price, captured_at, is_estimate) VALUES (?, ?, ?, ?, ?, ?) " +
        `ON DUPLICATE KEY UPDATE price = IF(${wins}, VALUES(price), price), captured_at = IF(${wins}, VALUES(captured_at), captured_at), is_estimate = LEAST(is_estimate, VALUES(is_estimate))`,
      [
        p.region,
        p.instanceType,
        priceBucket(p.capturedAt),
        p.price,
        p.capturedAt,
        p.estimated ? 1 : 0,
      ],
    )
  );
}

// Last prices written to each instance row, per database: the UPDATE runs only on a change.
const instancePrices = new WeakMap<Db, Map<string, string>>();
const MAX_INSTANCE_PRICES = 200_000;

/**
 * Sets the instance row's current prices when they differ from what this process last wrote
 * (scoped by client). Returns true when a statement was sent.
 */
export async function updateInstancePricesIfChanged(
  db: Db,
  p: {
    clientId: string;
    instanceId: string;
    onDemandPrice: number | null;
    spotPrice: number | null;
    now: Date;
  },
): Promise<boolean> {
  let seen = instancePrices.get(db);
  if (!seen) instancePrices.set(db, seen = new Map());
  const key = `${p.clientId}/${p.instanceId}`;
  const value = `${p.onDemandPrice}|${p.spotPrice}`;
  const last = seen.get(key);
  if (last === value) return false;
  // An instance without a row is looked for again only every 10 minutes.
  if (last?.startsWith("missing@") && p.now.getTime() - Number(last.slice(8)) < 600_000) {
    return false;
  }
  const r = await db.execute(
    "UPDATE instances SET ondemand_price = COALESCE(?, ondemand_price), spot_price = ? WHERE id = ? AND client_id = ?",
    [p.onDemandPrice, p.spotPrice, p.instanceId, p.clientId],
  );
  if (seen.size >= MAX_INSTANCE_PRICES) seen.clear();
  seen.set(key, r.rowsAffected > 0 ? value : `missing@${p.now.getTime()}`);
  return true;
}

async function retryDeadlock<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // 1213 deadlock, 1205 lock wait timeout: concurrent upserts of the same buckets.
      const errno = sqlErrno(err);
      if (attempt >= 3 || (errno !== 1213 && errno !== 1205)) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
    }
  }
}

interface MarketRow {
  client_id: string | null;
  spot_pools: unknown;
  collected_at: string;
}

/**
 * The pool prices reported for one instance type and region, for core/market.ts clientMarket:
 * the client's own agents' reports since `ownSince` (by agent, so the unique key serves it), and
 * other clients' reports received since `peerSince` (by the received_at index). One statement.
 */
export async function loadReportedMarket(
  db: Queryable,
  opts: {
    clientId: string;
    instanceType: string;
    region: string;
    ownSince: Date;
    peerSince: Date;
    now: Date;
  },
): Promise<ReportedMarketRow[]> {
  const r = await db.execute<MarketRow>(
    "(SELECT r.client_id, r.spot_pools, r.collected_at FROM agents a JOIN pricing_reports r ON r.agent_id = a.id WHERE a.client_id = ? AND r.instance_type = ? AND r.region = ? AND r.collected_at >= ? AND r.collected_at <= ? ORDER BY r.collected_at DESC LIMIT 500) " +
      "UNION ALL (SELECT client_id, spot_pools, collected_at FROM pricing_reports WHERE received_at >= ? AND collected_at >= ? AND collected_at <= ? AND instance_type = ? AND region = ? AND client_id <> ? ORDER BY collected_at DESC LIMIT 2000)",
    [
      opts.clientId,
      opts.instanceType,
      opts.region,
      opts.ownSince,
      opts.now,
      opts.peerSince,
      opts.peerSince,
      opts.now,
      opts.instanceType,
      opts.region,
      opts.clientId,
    ],
  );
  const out: ReportedMarketRow[] = [];
  for (const row of r.rows) {
    if (!row.client_id) continue;
    const list = json<{ pool_id?: unknown; price?: unknown }[]>(row.spot_pools) ?? [];
    out.push({
      clientId: row.client_id,
      collectedAt: new Date(row.collected_at),
      pools: (Array.isArray(list) ? list : []).flatMap((p) => {
        const price = num(p?.price);
        return typeof p?.pool_id === "string" && price !== null
          ? [{ poolId: p.pool_id, price }]
          : [];
      }),
    });
  }
  return out;
}
