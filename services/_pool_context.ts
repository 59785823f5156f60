/**
 * Loads what core/pool_choice.ts decides on for one agent: the pools of its instance type in its
 * region with their latest price and risk (the spot_pools mirror when fresh, else core/risk.ts on
 * demand from the same inputs the job uses), and the recent termination notices per pool.
 */
import type { AppDeps } from "./types.ts";
import { DEFAULT_RISK_OPTIONS, scorePool } from "../core/risk.ts";
import type { Recommendation } from "../core/risk.ts";
import { choosePool, DEFAULT_POOL_CHOICE_OPTIONS } from "../core/pool_choice.ts";
import type { PoolChoice } from "../core/pool_choice.ts";
import { listNoticeTimes, listTypePools, loadRiskData } from "../db/risk.ts";
import type { PoolKey, TypePool } from "../db/risk.ts";
import { riskOptionsFrom } from "../core/risk.ts";

/** The risk of one pool and where it came from. */
export interface PoolRisk {
  score: number;
  recommendation: Recommendation;
  source: "analysis" | "computed";
}

/** Pools, risks and the choice. */
export interface PoolContext {
  pools: TypePool[];
  risks: Map<string, PoolRisk>;
  /** Risk of the pool being left (null when its id is unknown). */
  currentRisk: PoolRisk | null;
  choice: PoolChoice;
}

/** `<instance_type>.<az>` split at the last dot (CONTRACT T-05). */
export function splitPoolId(poolId: string): { instanceType: string; az: string } | null {
  const i = poolId.lastIndexOf(".");
  if (i <= 0 || i === poolId.length - 1) return null;
  return { instanceType: poolId.slice(0, i), az: poolId.slice(i + 1) };
}

/** Reads pools and notices, scores stale pools on demand and chooses the target pool. */
export async function loadPoolContext(
  deps: AppDeps,
  opts: {
    instanceType: string;
    region: string;
    failingPoolId: string | null;
    now: Date;
    /** A termination notice in the failing pool is happening now (it joins the correlation). */
    noticeNow: boolean;
    excludeZones?: string[];
    preferredZones?: string[];
  },
): Promise<PoolContext> {
  const { db, config } = deps;
  const now = opts.now;
  const pools = await listTypePools(db, {
    instanceType: opts.instanceType,
    region: opts.region,
    since: new Date(now.getTime() - DEFAULT_RISK_OPTIONS.priceWindowHours * 3_600_000),
  });
  const keys: PoolKey[] = [...pools];
  const failingSplit = opts.failingPoolId ? splitPoolId(opts.failingPoolId) : null;
  if (opts.failingPoolId && failingSplit && !pools.some((p) => p.id === opts.failingPoolId)) {
    keys.push({ id: opts.failingPoolId, region: opts.region, ...failingSplit });
  }

  // The mirror is fresh for two job periods; older or missing scores are computed now.
  const freshSince = now.getTime() - 2 * config.POOL_RISK_ANALYSIS_INTERVAL * 1000;
  const risks = new Map<string, PoolRisk>();
  for (const p of pools) {
    if (p.riskScore !== null && p.riskAnalyzedAt && Date.parse(p.riskAnalyzedAt) >= freshSince) {
      risks.set(p.id, {
        score: p.riskScore,
        recommendation: asRecommendation(p.riskRecommendation),
        source: "analysis",
      });
    }
  }
  const stale = keys.filter((k) => !risks.has(k.id));
  if (stale.length > 0) {
    const data = await loadRiskData(db, {
      pools: stale,
      now,
      priceHours: DEFAULT_RISK_OPTIONS.priceWindowHours,
      eventDays: DEFAULT_RISK_OPTIONS.eventWindowDays,
    });
    for (const k of stale) {
      const d = data.get(k.id)!;
      const r = scorePool(
        { ...d, now },
        riskOptionsFrom(config),
      );
      risks.set(k.id, { score: r.riskScore, recommendation: r.recommendation, source: "computed" });
    }
  }

  const notices = await listNoticeTimes(db, {
    poolIds: keys.map((k) => k.id),
    since: new Date(
      now.getTime() - DEFAULT_POOL_CHOICE_OPTIONS.correlationWindowDays * 86_400_000,
    ),
  });
  if (opts.noticeNow && opts.failingPoolId) notices.push({ poolId: opts.failingPoolId, at: now });
  const exclude = new Set(opts.excludeZones ?? []);
  const candidates = pools.filter((p) => !exclude.has(p.az)).map((p) => ({
    poolId: p.id,
    az: p.az,
    price: p.latestPrice,
    riskScore: risks.get(p.id)?.score ?? null,
  }));
  const choiceOpts = { maxRisk: config.POOL_RISK_HIGH_THRESHOLD };
  let choice = choosePool(
    { failingPoolId: opts.failingPoolId, candidates, notices, now },
    choiceOpts,
  );
  const preferred = new Set(opts.preferredZones ?? []);
  if (preferred.size > 0) {
    const best = choice.ranked.find((p) => preferred.has(p.az));
    if (best) choice = { ...choice, chosen: best, reason: `${best.poolId}: in a preferred zone` };
  }
  return {
    pools,
    risks,
    currentRisk: opts.failingPoolId ? risks.get(opts.failingPoolId) ?? null : null,
    choice,
  };
}

function asRecommendation(v: string | null): Recommendation {
  return v === "avoid" || v === "caution" ? v : "safe";
}
