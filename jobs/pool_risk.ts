/**
 * Pool risk analysis (seed: every POOL_RISK_ANALYSIS_INTERVAL): scores every active pool (a spot
 * price in the last 24 h) with core/risk.ts from its 24 h prices, the 30-day termination notices
 * and rebalance recommendations of all clients in that pool and the on-demand price; stores one
 * pool_risk_analysis row per pool with analysis_time = the slot start (a re-run overwrites it)
 * and mirrors the score onto spot_pools for the decision engine. Batched by chunks of pools.
 * Also closes emergency-replica requests that were never fulfilled (see closeUnfulfilledRequests).
 */
import type { JobDef, JobDeps, JobResult } from "./_runner.ts";
import { slotStartFor } from "./_runner.ts";
import { DEFAULT_RISK_OPTIONS, riskOptionsFrom, scorePool } from "../core/risk.ts";
import { listActivePools, loadRiskData, storePoolRisk } from "../db/risk.ts";
import type { PoolRiskRow } from "../db/risk.ts";
import { closeUnfulfilledRequests } from "../db/termination_stats.ts";

/** Pools scored per batch (three reads and two writes each). */
const CHUNK = 200;

/** An emergency replica not registered this long after the request counts as never registered. */
export const REPLICA_REGISTRATION_GRACE_SECONDS = 1800;

/** Scores every active pool at `now` and stores the results under the slot start. */
export async function runPoolRisk(deps: JobDeps, now: Date): Promise<JobResult> {
  const opts = riskOptionsFrom(deps.config);
  const analysisTime = slotStartFor(now, deps.config.POOL_RISK_ANALYSIS_INTERVAL);
  const since = new Date(now.getTime() - DEFAULT_RISK_OPTIONS.priceWindowHours * 3_600_000);
  const pools = await listActivePools(deps.db, since);
  const counts = { safe: 0, caution: 0, avoid: 0 };
  let written = 0;
  for (let i = 0; i < pools.length; i += CHUNK) {
    const chunk = pools.slice(i, i + CHUNK);
    const data = await loadRiskData(deps.db, {
      pools: chunk,
      now,
      priceHours: DEFAULT_RISK_OPTIONS.priceWindowHours,
      eventDays: DEFAULT_RISK_OPTIONS.eventWindowDays,
    });
    const rows: PoolRiskRow[] = chunk.map((pool) => {
      const d = data.get(pool.id)!;
      const result = scorePool(
        { ...d, now },
        opts,
      );
      counts[result.recommendation]++;
      return { pool, result };
    });
    written += await storePoolRisk(deps.db, { rows, analysisTime, now });
  }
  const closed = await closeUnfulfilledRequests(deps.db, {
    before: new Date(now.getTime() - REPLICA_REGISTRATION_GRACE_SECONDS * 1000),
    now,
  });
  return {
    rowsTouched: written + closed,
    summary: { pools: pools.length, analysisTime: analysisTime.toISOString(), ...counts, closed },
  };
}

/** The job definition for jobs/mod.ts. */
export const poolRiskJob: JobDef = {
  name: "pool_risk",
  periodSeconds: (c) => c.POOL_RISK_ANALYSIS_INTERVAL,
  leaseSeconds: 600,
  run: runPoolRisk,
};
