/**
 * After a termination notice: re-scores the other pools of the instance type in the region at once
 * and raises (never lowers) their mirrored risk, so the decision engine sees a burst across AZs on
 * the next pricing report instead of at the next pool risk job run (the other-AZ hazard of
 * core/risk.ts decays within the hour; the job runs every POOL_RISK_ANALYSIS_INTERVAL). The score's
 * own rules apply: the burst counts only when two clients (or unattributed rows) reported it, so one
 * tenant's notices never raise another tenant's pools. The job lowers the scores again as the
 * evidence decays. Runs in the background: never on the agent's answer path, and at most one run
 * per instance type and region at a time (a storm's notices while one runs cause one more run,
 * which sees them all), so a fleet-wide storm costs a few statements per run, not per notice.
 * @module
 */
import type { AppDeps } from "./types.ts";
import { DEFAULT_RISK_OPTIONS, riskOptionsFrom, scorePool } from "../core/risk.ts";
import { listTypePools, loadRiskData, raisePoolRisk } from "../db/risk.ts";

interface Coalesced {
  again: boolean;
  latest: SiblingScope;
}

/** Which pools to re-score, and when. */
export interface SiblingScope {
  instanceType: string;
  region: string;
  failingPoolId: string;
  now: Date;
}

const running = new WeakMap<object, Map<string, Coalesced>>();
const stats = new WeakMap<object, { runs: number; active: number; maxActive: number }>();

/** Re-scoring runs on this database handle so far, and the most that ran at once (tests). */
export function siblingRiskStats(db: object): { runs: number; maxActive: number } {
  const s = stats.get(db);
  return { runs: s?.runs ?? 0, maxActive: s?.maxActive ?? 0 };
}

/**
 * Queues raiseSiblingRisk in the background; while a run for the same type and region is in flight
 * on this database handle, only marks that one more run is needed (with the latest notice).
 */
export function scheduleSiblingRisk(
  deps: Pick<AppDeps, "db" | "config" | "services">,
  scope: SiblingScope,
): void {
  let byKey = running.get(deps.db);
  if (!byKey) running.set(deps.db, byKey = new Map());
  const key = `${scope.instanceType}|${scope.region}`;
  const state = byKey.get(key);
  if (state) {
    state.again = true;
    state.latest = scope;
    return;
  }
  const s: Coalesced = { again: false, latest: scope };
  byKey.set(key, s);
  const map = byKey;
  deps.services.background.run("sibling_risk", async () => {
    try {
      let next = scope;
      let st = stats.get(deps.db);
      if (!st) stats.set(deps.db, st = { runs: 0, active: 0, maxActive: 0 });
      for (;;) {
        st.runs++;
        st.maxActive = Math.max(st.maxActive, ++st.active);
        try {
          await raiseSiblingRisk(deps, next);
        } finally {
          st.active--;
        }
        if (!s.again) break;
        s.again = false;
        next = s.latest;
      }
    } finally {
      map.delete(key);
    }
  });
}

/** Re-scores the siblings of `failingPoolId` now; returns the pool ids whose risk was raised. */
export async function raiseSiblingRisk(
  deps: Pick<AppDeps, "db" | "config">,
  opts: SiblingScope,
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
    const r = scorePool({ ...data.get(p.id)!, now }, riskOpts);
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
