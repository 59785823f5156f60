/**
 * Assembles the decision engine's input from what the server stored (agent row, price snapshots,
 * pool risk) or from a fresh pricing report, which is the agent's own, newer view. Pure.
 * @module
 */
import type { AgentConfig } from "./decision_policy.ts";
import type { DecisionInput, PoolQuote, PriceObservation } from "./decision_types.ts";
import { poolIdOf } from "./decisions.ts";
import { ownNoticeRisk } from "./risk.ts";
import type { InstanceMode, SwitchRecord } from "./switch_limits.ts";

/** The instance as the server last stored it (agents row). */
export interface StoredInstance {
  mode: string;
  poolId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  /** agents.pool_since. */
  poolSince: Date | null;
}

/** A price observation of the on-demand price, flagged when the agent estimated it. */
export interface OnDemandQuote extends PriceObservation {
  estimated: boolean;
}

/** A stored spot pool with its risk and (when read from the snapshots) its latest price. */
export interface StoredPool {
  poolId: string;
  name: string | null;
  instanceType: string;
  az: string;
  risk: number | null;
  riskAt: Date | null;
  price: number | null;
  at: Date | null;
  /** Newest termination notice of the deciding client's own agents in the pool (own evidence). */
  ownNoticeAt?: Date | null;
}

/** The instance as a pricing report (or an E24 body) describes it. */
export interface ReportedInstance {
  /** The reporting EC2 instance (the old one reports too while a switch is under way). */
  instanceId?: string | null;
  mode: InstanceMode | null;
  poolId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
}

/** The prices of a pricing report (or an E24 body), all observed at collectedAt. */
export interface ReportedPrices {
  onDemand: OnDemandQuote | null;
  /** The current spot pool's price when on spot (added if the pool list lacks it). */
  currentSpotPrice: number | null;
  pools: { poolId: string; instanceType: string; az: string; price: number }[];
  collectedAt: Date;
}

/** Everything buildDecisionInput combines. */
export interface InputParts {
  stored: StoredInstance;
  /** The agent's newer view of its instance; used when mode, type and region are known. */
  reportedInstance?: ReportedInstance | null;
  /** Fresh prices; the stored pool prices are used when absent. */
  reportedPrices?: ReportedPrices | null;
  storedOnDemand: OnDemandQuote | null;
  /** Pools with risk (and, without reported prices, their latest stored price). */
  pools: readonly StoredPool[];
  config: AgentConfig;
  switches: readonly SwitchRecord[];
  downtimeWeight: number | null;
  /** A risk analysed longer ago than this is unknown (the risk job stopped). */
  riskMaxAgeMs: number;
  /** A price older than this is stale (policy.maxPriceAgeMinutes), for choosing on-demand quotes. */
  priceMaxAgeMs: number;
  now: Date;
}

function isMode(v: string | null | undefined): v is InstanceMode {
  return v === "spot" || v === "ondemand";
}

/** The instance the engine decides for. */
export interface EffectiveInstance {
  mode: InstanceMode;
  poolId: string | null;
  instanceType: string;
  region: string;
  az: string | null;
  fromReport: boolean;
}

/** The reported instance when its mode, type and region are known, else the stored one. */
export function effectiveInstance(
  stored: StoredInstance,
  reported?: ReportedInstance | null,
): EffectiveInstance | null {
  const r = reported ?? null;
  const fromReport = r !== null && isMode(r.mode) && !!r.instanceType && !!r.region;
  const mode = fromReport ? r.mode : stored.mode;
  const instanceType = fromReport ? r.instanceType : stored.instanceType;
  const region = fromReport ? r.region : stored.region;
  const az = (fromReport ? r.az : null) ?? stored.az;
  if (!isMode(mode) || !instanceType || !region) return null;
  const poolId = mode === "spot"
    ? (fromReport ? r.poolId : null) ?? (stored.mode === "spot" ? stored.poolId : null) ??
      (az ? poolIdOf(instanceType, az) : null)
    : null;
  return { mode, poolId, instanceType, region, az, fromReport };
}

/**
 * Builds the engine's input: the reported instance and prices when given (else the stored ones),
 * risk from the stored pools. Null when the instance's mode, type or region is unknown.
 */
export function buildDecisionInput(p: InputParts): DecisionInput | null {
  const { stored, now } = p;
  const inst = effectiveInstance(stored, p.reportedInstance);
  if (!inst) return null;
  const { mode, poolId } = inst;
  // The stored pool_since belongs to the stored state; for another state the newest switch counts.
  const sameState = stored.mode === mode && (mode === "ondemand" || stored.poolId === poolId);
  const rp = p.reportedPrices ?? null;
  const so = p.storedOnDemand;
  const realStored = so !== null && !so.estimated &&
    now.getTime() - so.at.getTime() <= p.priceMaxAgeMs;
  const rod = rp?.onDemand ?? null;
  // A reported estimate (the agent's 0.1 or 3x-spot fallback) yields to a fresh real price.
  const onDemand = rod && !(rod.estimated && realStored) ? rod : so ?? rod;
  const riskOf = new Map<string, number | null>();
  for (const s of p.pools) {
    const known = s.risk !== null && s.riskAt !== null &&
      now.getTime() - s.riskAt.getTime() <= p.riskMaxAgeMs;
    riskOf.set(s.poolId, ownNoticeRisk(known ? s.risk : null, { ownNoticeAt: s.ownNoticeAt, now }));
  }
  let pools: PoolQuote[];
  if (rp) {
    const list = [...rp.pools];
    if (
      mode === "spot" && poolId && rp.currentSpotPrice !== null && rp.currentSpotPrice > 0 &&
      !list.some((q) => q.poolId === poolId)
    ) {
      const az = poolId.slice(poolId.lastIndexOf(".") + 1);
      list.push({ poolId, instanceType: inst.instanceType, az, price: rp.currentSpotPrice });
    }
    pools = list.map((q) => ({ ...q, at: rp.collectedAt, risk: riskOf.get(q.poolId) ?? null }));
  } else {
    pools = p.pools.filter((s) => s.price !== null && s.at !== null).map((s) => ({
      poolId: s.poolId,
      instanceType: s.instanceType,
      az: s.az,
      price: s.price as number,
      at: s.at as Date,
      risk: riskOf.get(s.poolId) ?? null,
    }));
  }
  return {
    instance: {
      mode,
      poolId,
      instanceType: inst.instanceType,
      region: inst.region,
      az: inst.az ?? "",
      poolSince: sameState ? stored.poolSince : null,
    },
    onDemand: onDemand ? { price: onDemand.price, at: onDemand.at } : null,
    pools,
    config: p.config,
    recentSwitches: p.switches,
    downtimeWeightPerHour: p.downtimeWeight,
    now,
  };
}
