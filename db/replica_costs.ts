/**
 * Replica cost accounting: the replicas that ran in a window, the pool prices of that window,
 * replica_cost_log rows (one per replica per hour, INSERT IGNORE on uk replica_id+log_time) and
 * the replica totals recomputed from the log (so a re-run changes nothing).
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";

/** A replica's running interval, as the cost job needs it. */
export interface CostReplica {
  id: string;
  agentId: string;
  clientId: string;
  instanceId: string;
  poolId: string | null;
  hourlyCost: number | null;
  startedAt: Date;
  /** When it stopped being a standby (promoted, terminated, failed), or null while it runs. */
  endedAt: Date | null;
}

/**
 * Replicas with a real EC2 instance id (`i-...`; predecessor placeholders never ran) whose
 * running interval overlaps [from, to).
 */
export async function listCostReplicas(
  db: Queryable,
  opts: { from: Date; to: Date },
): Promise<CostReplica[]> {
  const r = await db.execute<{
    id: string;
    agent_id: string;
    client_id: string | null;
    a_client: string | null;
    instance_id: string;
    pool_id: string | null;
    hourly_cost: number | null;
    started_at: string;
    ended: string | null;
  }>(
    "SELECT r.id, r.agent_id, r.client_id, a.client_id AS a_client, r.instance_id, r.pool_id, r.hourly_cost, COALESCE(r.launched_at, r.created_at) AS started_at, COALESCE(r.ended_at, r.promoted_at, r.terminated_at) AS ended FROM replica_instances r LEFT JOIN agents a ON a.id = r.agent_id WHERE r.instance_id LIKE 'i-%' AND COALESCE(r.launched_at, r.created_at) < ? AND ((COALESCE(r.ended_at, r.promoted_at, r.terminated_at) IS NULL AND r.is_active = 1 AND r.status IN ('launching', 'syncing', 'ready')) OR COALESCE(r.ended_at, r.promoted_at, r.terminated_at) > ?) ORDER BY r.id",
    [opts.to, opts.from],
  );
  return r.rows.flatMap((row) => {
    const clientId = row.client_id ?? row.a_client;
    if (!clientId) return [];
    return [{
      id: row.id,
      agentId: row.agent_id,
      clientId,
      instanceId: row.instance_id,
      poolId: row.pool_id,
      hourlyCost: num(row.hourly_cost),
      startedAt: new Date(row.started_at),
      endedAt: row.ended ? new Date(row.ended) : null,
    }];
  });
}

/** Spot price snapshots of some pools in [from, to), oldest first per pool. */
export async function listPoolPrices(
  db: Queryable,
  opts: { poolIds: string[]; from: Date; to: Date },
): Promise<Map<string, { at: Date; price: number }[]>> {
  const out = new Map<string, { at: Date; price: number }[]>();
  if (opts.poolIds.length === 0) return out;
  const r = await db.execute<{ pool_id: string; bucket_start: string; price: number }>(
    "SELECT pool_id, bucket_start, price FROM spot_price_snapshots WHERE pool_id IN (?) AND bucket_start >= ? AND bucket_start < ? ORDER BY pool_id, bucket_start",
    [opts.poolIds, opts.from, opts.to],
  );
  for (const row of r.rows) {
    const list = out.get(row.pool_id) ?? [];
    list.push({ at: new Date(row.bucket_start), price: Number(row.price) });
    out.set(row.pool_id, list);
  }
  return out;
}

/** One replica_cost_log row. */
export interface CostLogRow {
  replicaId: string;
  agentId: string;
  clientId: string;
  instanceId: string;
  poolId: string | null;
  hourlyCost: number | null;
  logTime: Date;
  durationHours: number;
  totalCost: number | null;
}

/** Inserts log rows, skipping (replica, hour) pairs already logged; returns the rows inserted. */
export async function insertCostLogs(db: Queryable, rows: CostLogRow[]): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const r = await db.execute(
      `INSERT IGNORE INTO replica_cost_log (replica_id, agent_id, client_id, instance_id, pool_id, hourly_cost, log_time, duration_hours, total_cost) VALUES ${
        chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")
      }`,
      chunk.flatMap((c) => [
        c.replicaId,
        c.agentId,
        c.clientId,
        c.instanceId,
        c.poolId,
        c.hourlyCost,
        c.logTime,
        c.durationHours,
        c.totalCost,
      ]),
    );
    inserted += r.rowsAffected;
  }
  return inserted;
}

/** Sets total_runtime_hours and accumulated_cost (and total_cost) of replicas to their log sums. */
export async function recomputeReplicaTotals(db: Queryable, replicaIds: string[]): Promise<void> {
  if (replicaIds.length === 0) return;
  await db.execute(
    "UPDATE replica_instances r JOIN (SELECT replica_id, SUM(duration_hours) AS h, SUM(COALESCE(total_cost, 0)) AS c FROM replica_cost_log WHERE replica_id IN (?) GROUP BY replica_id) s ON s.replica_id = r.id SET r.total_runtime_hours = s.h, r.accumulated_cost = s.c, r.total_cost = s.c, r.updated_at = r.updated_at",
    [replicaIds],
  );
}
