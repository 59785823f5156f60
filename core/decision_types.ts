/**
 * The decision engine's input and output shapes, its stable reason codes and rule names. Split from
 * decisions.ts so the HTTP layer and the replay can import the types without the rules.
 * @module
 */
import type { AgentConfig } from "./decision_policy.ts";
import type { InstanceMode, SwitchRecord } from "./switch_limits.ts";

/** The agent's current instance as the server knows it. */
export interface InstanceState {
  mode: InstanceMode;
  /** `<instance_type>.<az>` when on spot, else null (ignored on on-demand). */
  poolId: string | null;
  instanceType: string;
  region: string;
  az: string;
  /** When the instance entered its current pool/mode; null when unknown. */
  poolSince: Date | null;
}

/** A price in $/hour with the time it was observed. */
export interface PriceObservation {
  price: number;
  at: Date;
}

/** The latest observation of one spot pool. */
export interface PoolQuote {
  /** `<instance_type>.<az>` (CONTRACT T-05); other shapes are ignored. */
  poolId: string;
  instanceType: string;
  az: string;
  price: number;
  at: Date;
  /** pool_risk_analysis.risk_score (0..1); null when the pool was never analysed. */
  risk: number | null;
}

/** Everything decide() looks at; all plain values, `now` included. */
export interface DecisionInput {
  instance: InstanceState;
  onDemand: PriceObservation | null;
  pools: readonly PoolQuote[];
  config: AgentConfig;
  /** The agent's switches of at least the last 7 days (older ones only feed the downtime mean). */
  recentSwitches: readonly SwitchRecord[];
  /** The client's $ per hour of downtime; null or absent uses the policy default. */
  downtimeWeightPerHour?: number | null;
  now: Date;
}

/** What the engine recommends. */
export type DecisionAction = "stay" | "switch_to_spot" | "switch_pool" | "switch_to_ondemand";

/** CONTRACT E25's decision_type: a pool move is reported as switch_to_spot. */
export type DecisionType = "stay_spot" | "stay_ondemand" | "switch_to_spot" | "switch_to_ondemand";

/** Every reason code decide() can return; stable snake_case strings for the API and history rows. */
export const REASON_CODES = [
  // moves
  "risk_exit",
  // Engine v1 only (left a pool at risk >= threshold without economics); kept for history rows.
  "risk_above_threshold",
  "spot_cheaper",
  "cheaper_pool",
  "ondemand_cheaper",
  // stays
  "current_is_best",
  "savings_below_minimum",
  "payback_not_met",
  "target_risk_too_high",
  "target_risk_unknown",
  "no_candidates",
  "stale_prices",
  "missing_prices",
  "dwell_time_not_met",
  "limit_day_reached",
  "limit_week_reached",
] as const;

/** One of REASON_CODES. */
export type ReasonCode = typeof REASON_CODES[number];

/** The checks a decision is explained by, in the order they are applied. */
export type RuleName =
  | "risk_exit"
  | "prices_fresh"
  | "current_risk"
  | "target_risk"
  | "min_savings"
  | "payback"
  | "dwell_time"
  | "limit_day"
  | "limit_week"
  | "auto_switch";

/** One evaluated check: whether it passed and the numbers it compared. */
export interface RuleCheck {
  rule: RuleName;
  passed: boolean;
  detail: string;
}

/** A move that qualified on price or risk but was held back by dwell time or limits. */
export interface BlockedMove {
  action: Exclude<DecisionAction, "stay">;
  targetMode: InstanceMode;
  targetPoolId: string | null;
  expectedSavingsPerHour: number;
}

/** decide()'s answer, with everything needed to explain it (CONTRACT E24/E25 map onto it). */
export interface Decision {
  action: DecisionAction;
  /** Mode and pool to move to; both null for a stay. targetPoolId is null for on-demand. */
  targetMode: InstanceMode | null;
  targetPoolId: string | null;
  decisionType: DecisionType;
  reasonCode: ReasonCode;
  /** One sentence with the numbers. */
  reason: string;
  /** Current expected $/h minus the target's (negative for a risk exit); 0 for a stay. */
  expectedSavingsPerHour: number;
  /** Estimated $ of the move (overlap + downtime); for a stay, of the move considered, else 0. */
  switchCost: number;
  /** Hours until the saving pays back switchCost; null when there is no positive saving. */
  paybackHours: number | null;
  /** Risk of the target (on-demand is 0), or of the current pool for a stay (0 on on-demand). */
  riskScore: number;
  /** False when riskScore is the unknown-risk prior rather than a measured score. */
  riskKnown: boolean;
  /** 0..1: data freshness × risk knowledge × distance from the deciding threshold. */
  confidence: number;
  /** Whether the damping rules (dwell, day/week limits) permit a move now. */
  allowed: boolean;
  /** allowed, a move, and the agent's auto switching on: the server should queue a command. */
  autoExecute: boolean;
  /** For stays held back by dwell or limits: the move that would otherwise happen. */
  blocked: BlockedMove | null;
  /** Expected $/h of the current state and of the target (null when not priced). */
  currentCostPerHour: number | null;
  targetCostPerHour: number | null;
  /** The rule trace, in evaluation order. */
  rules: RuleCheck[];
}
