/**
 * Replica cost tracking (seed: replica_cost_log), hourly. The run of slot S logs every completed
 * hour of the last `LOOKBACK_HOURS` before S (ticks missed while no instance ran are caught up):
 * per replica that ran in the hour, one row with log_time = the hour's start, duration_hours =
 * the part of the hour it ran (partial first/last hour), hourly_cost = its pool's spot price in
 * force when that part began (the newest snapshot at or before it; else the first one inside the
 * part; else the replica's recorded hourly_cost) and total_cost = price × exact duration. Rows are
 * INSERT IGNORE on (replica_id, log_time) and the replica totals are recomputed from the log, so
 * re-running a slot changes nothing.
 */
import type { JobDef, JobDeps, JobResult } from "./_runner.ts";
import { slotStartFor } from "./_runner.ts";
import {
  insertCostLogs,
  listCostReplicas,
  listPoolPrices,
  recomputeReplicaTotals,
} from "../db/replica_costs.ts";
import type { CostLogRow, CostReplica } from "../db/replica_costs.ts";

const HOUR_MS = 3_600_000;
/** Completed hours (re)considered by each run. */
export const LOOKBACK_HOURS = 24;

/** Price in force at `at`: newest snapshot at or before it, else the first before `until`. */
export function priceInForce(
  prices: { at: Date; price: number }[],
  at: Date,
  until: Date,
): number | null {
  let found: number | null = null;
  for (const p of prices) {
    if (p.at.getTime() <= at.getTime()) found = p.price;
    else {
      if (found === null && p.at.getTime() < until.getTime()) found = p.price;
      break;
    }
  }
  return found;
}

/** The cost rows of the completed hours in [from, to) for the given replicas (pure). */
export function costRows(
  replicas: CostReplica[],
  prices: Map<string, { at: Date; price: number }[]>,
  opts: { from: Date; to: Date },
): CostLogRow[] {
  const rows: CostLogRow[] = [];
  for (const r of replicas) {
    for (let h = opts.from.getTime(); h < opts.to.getTime(); h += HOUR_MS) {
      const start = Math.max(h, r.startedAt.getTime());
      const end = Math.min(h + HOUR_MS, r.endedAt?.getTime() ?? Infinity);
      if (end <= start) continue;
      const exact = (end - start) / HOUR_MS;
      const price = (r.poolId
        ? priceInForce(prices.get(r.poolId) ?? [], new Date(start), new Date(end))
        : null) ?? r.hourlyCost;
      rows.push({
        replicaId: r.id,
        agentId: r.agentId,
        clientId: r.clientId,
        instanceId: r.instanceId,
        poolId: r.poolId,
        hourlyCost: price,
        logTime: new Date(h),
        durationHours: Math.round(exact * 100) / 100,
        totalCost: price === null ? null : Math.round(price * exact * 10_000) / 10_000,
      });
    }
  }
  return rows;
}

/** Logs the completed hours before `now`'s slot and refreshes the replica totals. */
export async function runReplicaCosts(deps: JobDeps, now: Date): Promise<JobResult> {
  const to = slotStartFor(now, 3600);
  const from = new Date(to.getTime() - LOOKBACK_HOURS * HOUR_MS);
  const replicas = await listCostReplicas(deps.db, { from, to });
  const poolIds = [...new Set(replicas.flatMap((r) => r.poolId ? [r.poolId] : []))];
  // One more day back, so the price in force at the window's start is known.
  const prices = await listPoolPrices(deps.db, {
    poolIds,
    from: new Date(from.getTime() - 24 * HOUR_MS),
    to,
  });
  const rows = costRows(replicas, prices, { from, to });
  const inserted = await insertCostLogs(deps.db, rows);
  await recomputeReplicaTotals(deps.db, replicas.map((r) => r.id));
  return {
    rowsTouched: inserted,
    summary: { replicas: replicas.length, hours: rows.length, inserted, to: to.toISOString() },
  };
}

/** The job definition for jobs/mod.ts. */
export const replicaCostsJob: JobDef = {
  name: "replica_costs",
  periodSeconds: () => 3600,
  leaseSeconds: 900,
  run: runReplicaCosts,
};
