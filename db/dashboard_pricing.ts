/**
 * Price reads for the dashboards, all from the series agents actually send (spot_price_snapshots,
 * ondemand_price_snapshots: CONTRACT T-19), bounded by pool count and time window.
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";
import { col, type Decoded, decoder, nnum, opt, str } from "./_rows.ts";

const POOL_PRICE = {
  id: str,
  name: col("pool_name", opt),
  instanceType: str,
  region: str,
  az: str,
  price: nnum,
  priceAt: opt,
};

/** A spot pool with its latest price (null when none in the window). */
export type PoolPrice = Decoded<typeof POOL_PRICE> & { name: string };
const toPoolPrice = decoder(POOL_PRICE);

/** Pools of one instance type in one region with their latest price since `since`. */
export async function poolsWithLatestPrice(
  db: Queryable,
  opts: { instanceType: string; region: string; since: Date; limit: number },
): Promise<PoolPrice[]> {
  const r = await db.execute(
    `SELECT p.id, p.pool_name, p.instance_type, p.region, p.az,
       (SELECT s.price FROM spot_price_snapshots s WHERE s.pool_id = p.id AND s.bucket_start >= ? ORDER BY s.bucket_start DESC LIMIT 1) AS price,
       (SELECT MAX(s.bucket_start) FROM spot_price_snapshots s WHERE s.pool_id = p.id AND s.bucket_start >= ?) AS price_at
     FROM spot_pools p WHERE p.instance_type = ? AND p.region = ? AND p.is_active = 1
     ORDER BY p.az, p.id LIMIT ?`,
    [opts.since, opts.since, opts.instanceType, opts.region, opts.limit],
  );
  return r.rows.map((row) => {
    const p = toPoolPrice(row);
    return { ...p, name: p.name ?? `${p.instanceType} (${p.az})` };
  });
}

/** The latest on-demand price of (region, type) since `since`, or null. */
export async function latestOnDemandPrice(
  db: Queryable,
  opts: { region: string; instanceType: string; since: Date },
): Promise<number | null> {
  const r = await db.execute<{ price: number }>(
    "SELECT price FROM ondemand_price_snapshots WHERE region = ? AND instance_type = ? AND bucket_start >= ? ORDER BY bucket_start DESC LIMIT 1",
    [opts.region, opts.instanceType, opts.since],
  );
  return num(r.rows[0]?.price);
}

/** Instance types of one family (`m5` of `m5.large`) seen in a region's pools. */
export async function familyTypes(
  db: Queryable,
  opts: { family: string; region: string; limit: number },
): Promise<string[]> {
  const r = await db.execute<{ t: string }>(
    "SELECT DISTINCT instance_type AS t FROM spot_pools WHERE region = ? AND instance_type LIKE ? ESCAPE '!' ORDER BY t LIMIT ?",
    [opts.region, `${opts.family.replace(/[!%_]/g, (c) => `!${c}`)}.%`, opts.limit],
  );
  return r.rows.map((x) => x.t);
}

/** One averaged bucket of a price series. */
export interface PriceBucket {
  key: string;
  bucket: string;
  price: number;
}

/** `DATE_FORMAT` patterns of the buckets (string arithmetic: independent of the session zone). */
const BUCKET_FORMAT = {
  hour: "%Y-%m-%dT%H:00:00.000Z",
  day: "%Y-%m-%dT00:00:00.000Z",
} as const;

/** Average spot price per pool per hour or day since `since`. */
export async function spotPriceBuckets(
  db: Queryable,
  opts: { poolIds: string[]; since: Date; interval: "hour" | "day" },
): Promise<PriceBucket[]> {
  if (opts.poolIds.length === 0) return [];
  const r = await db.execute<{ pool_id: string; b: string; p: number }>(
    `SELECT pool_id, DATE_FORMAT(bucket_start, '${
      BUCKET_FORMAT[opts.interval]
    }') AS b, AVG(price) AS p FROM spot_price_snapshots WHERE pool_id IN (?) AND bucket_start >= ? GROUP BY pool_id, b ORDER BY b, pool_id`,
    [opts.poolIds, opts.since],
  );
  return r.rows.map((x) => ({ key: x.pool_id, bucket: x.b, price: num(x.p) ?? 0 }));
}

/** Average on-demand price of (region, type) per hour or day since `since`. */
export async function onDemandPriceBuckets(
  db: Queryable,
  opts: { region: string; instanceType: string; since: Date; interval: "hour" | "day" },
): Promise<PriceBucket[]> {
  const r = await db.execute<{ b: string; p: number }>(
    `SELECT DATE_FORMAT(bucket_start, '${
      BUCKET_FORMAT[opts.interval]
    }') AS b, AVG(price) AS p FROM ondemand_price_snapshots WHERE region = ? AND instance_type = ? AND bucket_start >= ? GROUP BY b ORDER BY b`,
    [opts.region, opts.instanceType, opts.since],
  );
  return r.rows.map((x) => ({ key: "ondemand", bucket: x.b, price: num(x.p) ?? 0 }));
}

/** The agent whose prices E45 shows: the given one, else the client's most recently seen one. */
export async function agentForPricing(
  db: Queryable,
  opts: { clientId: string | null; agentId?: string },
): Promise<
  { id: string; clientId: string; instanceType: string | null; region: string | null } | null
> {
  const byId = opts.agentId !== undefined;
  const r = await db.execute<{
    id: string;
    client_id: string;
    instance_type: string | null;
    region: string | null;
  }>(
    `SELECT id, client_id, instance_type, region FROM agents
     WHERE ${byId ? "id = ?" : "1 = 1"} AND (? IS NULL OR client_id = ?) AND status <> 'deleted'
     ORDER BY (status = 'online') DESC, last_heartbeat_at DESC LIMIT 1`,
    [...(byId ? [opts.agentId] : []), opts.clientId, opts.clientId],
  );
  const a = r.rows[0];
  return a
    ? { id: a.id, clientId: a.client_id, instanceType: a.instance_type, region: a.region }
    : null;
}
