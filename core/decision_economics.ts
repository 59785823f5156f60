/**
 * The money side of the decision engine: expected hourly cost of a state (price + interruption
 * hazard × expected interruption loss), the estimated cost of one switch, and the economic checks of
 * one candidate move (target risk, minimum saving with hysteresis, payback over the horizon). Pure.
 *
 * A pool's risk score is P(interruption within riskWindowHours) (core/risk.ts), so its hazard per
 * hour is −ln(1 − risk) / riskWindowHours (hazardOf) and staying costs hazard × interruptionLoss
 * per hour on top of the price. A gap to on-demand is structural (on-demand prices do not move) and
 * counts over the whole horizon; a gap between two spot pools closes as prices drift, so it counts
 * with a half-life of poolGapHalfLifeHours (effectiveHorizonHours).
 * @module
 */
import type { AgentConfig, DecisionPolicy } from "./decision_policy.ts";
import type { DecisionAction, RuleCheck } from "./decision_types.ts";
import type { InstanceMode } from "./switch_limits.ts";
import { round } from "./round.ts";
import { hazardOf } from "./risk.ts";

/** A state the instance could move to. */
export interface Candidate {
  action: Exclude<DecisionAction, "stay">;
  mode: InstanceMode;
  poolId: string | null;
  /** $/h; null only for an on-demand target whose price is unknown (the risk exit). */
  price: number | null;
  at: Date | null;
  risk: number | null;
  riskKnown: boolean;
}

/** The economic parameters of one decision. */
export interface Economics {
  policy: DecisionPolicy;
  config: AgentConfig;
  /** $ per hour of downtime (client's, else the policy default). */
  weight: number;
  /** Mean observed downtime of this agent's switches, else the policy default. */
  downtimeSeconds: number;
}

/** The state the instance is in now, as priced. */
export interface CurrentState {
  mode: InstanceMode;
  price: number;
  at: Date;
  risk: number | null;
}

/** One candidate with its numbers and the three economic checks. */
export interface Evaluation {
  c: Candidate;
  currentCost: number;
  targetCost: number;
  /** False when the target's price is unknown: targetCost then equals currentCost. */
  priced: boolean;
  saving: number;
  savingPct: number;
  requiredPct: number;
  switchCost: number;
  paybackHours: number | null;
  /** The risk the target was priced with (the prior when unknown, 0 on on-demand). */
  riskUsed: number;
  riskOk: boolean;
  savingsOk: boolean;
  paybackOk: boolean;
  checks: RuleCheck[];
  /** 0.5..1: how clearly the move passed (for confidence). */
  margin: number;
  /** 0.5..1: how clearly staying is right (for confidence). */
  stayMargin: number;
  /** Ages in ms of the prices used. */
  ages: number[];
}

// Absorbs binary noise so a boundary written in decimals (15 % of 0.1) behaves as written.
const EPS = 1e-9;

/** Expected $ lost per interruption: its downtime at the downtime weight plus the relaunch cost. */
export function interruptionLoss(eco: Economics): number {
  const p = eco.policy;
  return (p.interruptionDowntimeSeconds / 3600) * eco.weight + p.interruptionRelaunchCost;
}

/** Expected $/h of a state: price + hazard per hour of its risk × the loss of one interruption. */
export function expectedHourlyCost(price: number, opts: { risk: number; eco: Economics }): number {
  const hazard = hazardOf(opts.risk, opts.eco.policy.riskWindowHours);
  return price + hazard * interruptionLoss(opts.eco);
}

/**
 * Hours over which a candidate's hourly saving is counted: the whole horizon for a move to or from
 * on-demand, ∫₀ᴴ 2^(−t/h½) dt for a move between spot pools (their gap closes as prices drift).
 */
export function effectiveHorizonHours(action: Candidate["action"], policy: DecisionPolicy): number {
  const h = policy.horizonHours;
  const half = policy.poolGapHalfLifeHours;
  if (action !== "switch_pool" || !(half > 0)) return h;
  return (half / Math.LN2) * (1 - 2 ** (-h / half));
}

/** $ of one move: the old instance billed during the overlap plus downtime at the weight. */
export function switchCostOf(oldPrice: number, eco: Economics): number {
  return (eco.policy.overlapSeconds / 3600) * oldPrice + (eco.downtimeSeconds / 3600) * eco.weight;
}

/** Prices a candidate against the current state and runs the economic checks on it. */
export function evaluate(
  c: Candidate,
  opts: { from: CurrentState; eco: Economics; now: Date },
): Evaluation {
  const { from, eco } = opts;
  const p = eco.policy;
  const cfg = eco.config;
  const fromRisk = from.mode === "ondemand" ? 0 : from.risk ?? p.unknownRisk;
  const currentCost = expectedHourlyCost(from.price, { risk: fromRisk, eco });
  const riskUsed = c.mode === "ondemand" ? 0 : c.risk ?? p.unknownRisk;
  const priced = c.price !== null;
  const targetCost = c.price === null
    ? currentCost
    : expectedHourlyCost(c.price, { risk: riskUsed, eco });
  const saving = currentCost - targetCost;
  const savingPct = (saving / currentCost) * 100;
  // Hysteresis: leaving on-demand or changing pool needs the full gap, returning needs less.
  const requiredPct = c.action === "switch_to_ondemand"
    ? cfg.minSavingsPercent / p.hysteresisFactor
    : cfg.minSavingsPercent;
  const switchCost = switchCostOf(from.price, eco);
  const paybackHours = saving > 0 ? switchCost / saving : null;

  const riskLimit = cfg.riskThreshold - p.riskHysteresis;
  const riskOk = c.mode === "ondemand" || (c.riskKnown && riskUsed < riskLimit - EPS);
  const savingsOk = saving > 0 && savingPct >= requiredPct - EPS;
  const horizon = effectiveHorizonHours(c.action, p);
  const horizonSaving = saving * horizon;
  const needed = switchCost * p.paybackMargin;
  const paybackOk = saving > 0 && horizonSaving >= needed - EPS;
  const checks: RuleCheck[] = [
    {
      rule: "target_risk",
      passed: riskOk,
      detail: c.mode === "ondemand"
        ? "on-demand has no interruption risk"
        : c.riskKnown
        ? `${c.poolId} risk ${riskUsed} ${riskOk ? "<" : "≥"} limit ${round(riskLimit, 4)}`
        : `${c.poolId} risk unknown (never a target)`,
    },
    {
      rule: "min_savings",
      passed: savingsOk,
      detail: `saving ${pct(savingPct)} ${savingsOk ? "≥" : "<"} required ${pct(requiredPct)}`,
    },
    {
      rule: "payback",
      passed: paybackOk,
      detail: `$${round(horizonSaving, 4)} over ${round(horizon, 2)} h ${paybackOk ? "≥" : "<"} ` +
        `${p.paybackMargin} × switch cost $${round(switchCost, 4)}`,
    },
  ];
  const rel = requiredPct > 0 ? (savingPct - requiredPct) / requiredPct : 1;
  const ages = [from.at, c.at].filter((d): d is Date => d !== null)
    .map((d) => Math.max(0, opts.now.getTime() - d.getTime()));
  return {
    c,
    currentCost,
    targetCost,
    priced,
    saving,
    savingPct,
    requiredPct,
    switchCost,
    paybackHours,
    riskUsed,
    riskOk,
    savingsOk,
    paybackOk,
    checks,
    margin: 0.5 + 0.5 * Math.min(1, Math.max(0, rel)),
    stayMargin: 0.5 + 0.5 * Math.min(1, Math.max(0, -rel)),
    ages,
  };
}

/** Formats $/h for reason sentences. */
export function money(x: number): string {
  return `$${round(x, 4).toFixed(4)}/h`;
}

/** Formats a percentage for reason sentences. */
export function pct(x: number): string {
  return `${round(x, 1)}%`;
}

export { round };
