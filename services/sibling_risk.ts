/**
 * After a termination notice: re-scores the other pools of the instance type in the region at once
 * and raises (never lowers) their mirrored risk, so the decision engine sees a burst across AZs on
 * the next pricing report instead of at the next pool risk job run (the other-AZ hazard of
 * core/risk.ts decays within the hour; the job runs every POOL_RISK_ANALYSIS_INTERVAL). The score's
 * own rules apply: the burst counts only when two clients (or unattributed rows) reported it, so one
 * tenant's notices never raise another tenant's pools. The job lowers the scores again as the
 * evidence decays. Runs in the background: never on the agent's answer path.
 * @module
 */
import type { AppDeps } from "./types.ts";
import { DEFAULT_RISK_OPTIONS, riskOptionsFrom, scorePool } from "../core/risk.ts";
import { listTypePools, loadRiskData, raisePoolRisk } from "../db/risk.ts";

/** Re-scores the siblings of `failingPoolId` now; returns the pool ids whose risk was raised. */
export async function raiseSiblingRisk(
  deps: Pick<AppDeps, "db" | "config">,
  opts: { instanceType: string; region: string; failingPoolId: string; now: Date },
): Promise<string[]> {
  const { db, config } = deps;
  const { now } = opts;
  const pools = await listTypePools(db, {
    instanceType: opts.instanceType,
    region: opts.region,
    since: new Date(now.getTime() - DEFAULT_RISK_OPTIONS.priceWindowHours * 3_600_000),
  });
  const siblings = pools.filter((p) => p.id !== opts.failingPoolId);
  if (siblings.length === 0) return [];
  const data = await loadRiskData(db, {
    pools: siblings,
    now,
    priceHours: DEFAULT_RISK_OPTIONS.priceWindowHours,
    eventDays: DEFAULT_RISK_OPTIONS.eventWindowDays,
  });
  const raised: string[] = [];
  const riskOpts = riskOptionsFrom(config);
  for (const p of siblings) {
    const d = data.get(p.id)!;
    const r = scorePool({
      prices: d.prices,
      events: d.events,
      siblingEvents: d.siblingEvents,
      now,
      onDemandPrice: d.onDemandPrice,
    }, riskOpts);
    if (r.components.siblingEvidence === 0 || r.riskScore <= (p.riskScore ?? 0)) continue;
    await raisePoolRisk(db, {
      poolId: p.id,
      score: r.riskScore,
      recommendation: r.recommendation,
      at: now,
    });
    raised.push(p.id);
  }
  return raised;
}
