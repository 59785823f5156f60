/**
 * The decision engine's tunables: the per-agent config (agent_configs + agents.auto_switch_enabled)
 * and the server-wide policy constants, each with a default and the reason for it. Pure data.
 * @module
 */
import { z } from "zod";

/** The per-agent switch settings, as stored in agent_configs (camelCase inside the server). */
export interface AgentConfig {
  /** agents.auto_switch_enabled: when false the engine still recommends, nobody acts on it. */
  autoSwitchEnabled: boolean;
  /** A move must save at least this percentage of the current hourly cost. */
  minSavingsPercent: number;
  /** A spot pool is a valid target only when its risk is strictly below this (0..1). */
  riskThreshold: number;
  /** Moves allowed in any rolling 24 h window. */
  maxSwitchesPerDay: number;
  /** Moves allowed in any rolling 7 d window. */
  maxSwitchesPerWeek: number;
  /** Hours an instance stays in its pool/mode before a normal move (the dwell time). */
  minPoolDurationHours: number;
}

/** The schema's defaults: agent_configs (CONTRACT E01 step 4) and agents.auto_switch_enabled. */
export const DEFAULT_AGENT_CONFIG: Readonly<AgentConfig> = Object.freeze({
  autoSwitchEnabled: true,
  minSavingsPercent: 15,
  riskThreshold: 0.30,
  maxSwitchesPerDay: 3,
  maxSwitchesPerWeek: 10,
  minPoolDurationHours: 2,
});

/** Server-wide constants of the engine; every field has a default in DEFAULT_DECISION_POLICY. */
export interface DecisionPolicy {
  /**
   * Hours over which a move's hourly saving is counted to pay back its cost. Spot prices move on a
   * scale of days, but a gap is not promised to last: a move must pay for itself within a day.
   */
  horizonHours: number;
  /**
   * A saving between two spot pools is counted with this half-life over the horizon (4 h gives
   * 5.7 h of a 24 h horizon): spot prices of one type drift together and a gap between two pools
   * closes, while the gap to on-demand stays. Without it (or at 8 h) the engine chases cent-sized
   * gaps in cheap, noisy pools (cheap_noisy fixture: 9 moves, 58.9 % saved where staying saves
   * 65.7 %); 4 h costs the drift fixture its one useful pool change (94.9 % of the optimum, not
   * 97.2 %). 0 turns the decay off.
   */
  poolGapHalfLifeHours: number;
  /**
   * The saving over the horizon must be at least this multiple of the switch cost. 2 means a move
   * pays back within half the horizon, which absorbs errors in the downtime and overlap estimates.
   */
  paybackMargin: number;
  /**
   * Seconds the old instance keeps billing at the old price during a switch: the agent's
   * TERMINATE_WAIT_TIME (300 s) plus about 300 s of AMI creation and replacement boot. Deliberately
   * pessimistic: the AMI wait is billed at the old price even though the workload still runs.
   */
  overlapSeconds: number;
  /**
   * Downtime of one switch when the agent has no observed switch with downtime_seconds yet. The
   * replacement boots from an AMI of the same instance; one to two minutes to ready is typical.
   */
  defaultDowntimeSeconds: number;
  /**
   * $ lost per hour of downtime when the client has set no weight of its own. A modest default (a few
   * dozen times a small instance's price) so downtime matters without freezing every move.
   */
  downtimeWeightPerHour: number;
  /**
   * Downtime of an interruption: only two minutes of warning and an unplanned replacement, so much
   * longer than a planned switch. Prices the risk term of a spot pool's expected cost.
   */
  interruptionDowntimeSeconds: number;
  /** Fixed $ of one interruption besides downtime: the emergency AMI, relaunch and lost work. */
  interruptionRelaunchCost: number;
  /**
   * A risk score is the probability of an interruption within this many hours (core/risk.ts
   * horizonHours), so the hourly risk cost is −ln(1 − risk) / window × the interruption loss.
   */
  riskWindowHours: number;
  /**
   * Risk assumed for a pool without a risk analysis when pricing it. An unknown pool is never a
   * target whatever this value; the prior only prices an unknown current pool, pessimistically.
   */
  unknownRisk: number;
  /**
   * The saving that triggers a return to on-demand is minSavingsPercent divided by this. A factor
   * above 1 leaves a dead band between entering and leaving spot, so a price hovering near one
   * threshold does not bounce the instance back and forth.
   */
  hysteresisFactor: number;
  /**
   * A spot target needs risk < riskThreshold − this: a band against a pool whose risk hovers at
   * the threshold being entered and left again. The threshold is a cap on targets only; the
   * current pool is left when leaving pays (its risk is priced in its expected cost).
   */
  riskHysteresis: number;
  /**
   * A price older than this never triggers a move. Agents report every 5 minutes, so 15 minutes
   * is three missed reports: the agent (or its pool) is no longer observed.
   */
  maxPriceAgeMinutes: number;
  /**
   * The emergency exit to on-demand, the only move allowed inside the dwell time, fires when the
   * current pool's measured risk is at or above this (or the agent's riskThreshold, whichever is
   * higher) and on-demand is cheaper than staying once the expected interruption loss is priced in
   * (or the on-demand price is unknown). 0.70 is the pool risk score's "avoid" band: a fresh
   * notice in the pool, or a burst in the type's other AZs.
   */
  riskExitLevel: number;
  /**
   * Extra moves the emergency exit may use beyond the day and week limits (each window). One: a
   * dangerous pool threatens an interruption, which disrupts more than one planned move; more
   * than one would let a sequence of risky pools defeat the limits.
   */
  emergencyAllowance: number;
}

/** The defaults; the reason for each value is on its field in DecisionPolicy. */
export const DEFAULT_DECISION_POLICY: Readonly<DecisionPolicy> = Object.freeze({
  horizonHours: 24,
  poolGapHalfLifeHours: 4,
  paybackMargin: 2,
  overlapSeconds: 600,
  defaultDowntimeSeconds: 120,
  downtimeWeightPerHour: 1,
  interruptionDowntimeSeconds: 900,
  interruptionRelaunchCost: 0.10,
  riskWindowHours: 24,
  unknownRisk: 0.5,
  hysteresisFactor: 2,
  riskHysteresis: 0.05,
  maxPriceAgeMinutes: 15,
  riskExitLevel: 0.70,
  emergencyAllowance: 1,
});

const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();
const unit = z.number().finite().min(0).max(1);

/** Validates a partial policy override (env vars or CLI flags mapped onto camelCase fields). */
export const decisionPolicySchema = z.object({
  horizonHours: positive,
  poolGapHalfLifeHours: nonNegative,
  paybackMargin: z.number().finite().min(1),
  overlapSeconds: nonNegative,
  defaultDowntimeSeconds: nonNegative,
  downtimeWeightPerHour: nonNegative,
  interruptionDowntimeSeconds: nonNegative,
  interruptionRelaunchCost: nonNegative,
  riskWindowHours: positive,
  unknownRisk: unit,
  hysteresisFactor: z.number().finite().min(1),
  riskHysteresis: z.number().finite().min(0).max(1),
  maxPriceAgeMinutes: positive,
  riskExitLevel: unit,
  emergencyAllowance: z.number().int().nonnegative(),
}).strict().partial();

/** A validated partial override of the policy. */
export type DecisionPolicyOverride = z.infer<typeof decisionPolicySchema>;

/** Validates an override and merges it onto the defaults; throws a ZodError naming bad fields. */
export function resolveDecisionPolicy(override: unknown = {}): DecisionPolicy {
  return { ...DEFAULT_DECISION_POLICY, ...decisionPolicySchema.parse(override) };
}
