/**
 * The edges of the decision engine, pure: assembling a DecisionInput from what the server stored
 * (or a fresh pricing report), the rules for when an evaluation queues a command and when it is
 * written to agent_decision_history, the manual-command guard rails, and the E24/E25 wire shapes.
 * @module
 */
import type { Decision, DecisionAction, DecisionType, ReasonCode } from "./decision_types.ts";
import { decisionPolicySchema } from "./decision_policy.ts";

const HOUR_MS = 3_600_000;

/**
 * An unchanged decision is written at most once per this interval as a sample. Agents report every
 * 5 minutes: a row per report is 288 rows per agent and day forever. Changes (and queued commands)
 * are always written, so the timeline is complete; the hourly sample proves the engine ran and keeps
 * the numbers it saw, so "why did it not switch at 14:00?" has an answer within the hour, at 24 rows
 * per agent and day at most.
 */
export const HISTORY_SAMPLE_MS = HOUR_MS;

/**
 * After an engine command to a target failed or expired, the engine does not queue the same target
 * again for this long: a launch that failed for capacity or permissions would fail again, and each
 * attempt costs the agent an AMI and a replacement instance.
 */
export const FAILED_COMMAND_BACKOFF_MS = HOUR_MS;

/** Command priorities (CONTRACT 5.1): ML normal, ML urgent (risk exits), manual override. */
export const PRIORITY = { engine: 25, engineUrgent: 50, manual: 75 } as const;

/** Codes of answers given without running the engine. */
export type HeldCode = "agent_disabled" | "instance_unknown";

/** A Decision, or an answer held back before the engine ran (disabled agent, unknown instance). */
export type DecisionView = Omit<Decision, "reasonCode"> & { reasonCode: ReasonCode | HeldCode };

/** The agent's last recorded decision (agents.last_decision_*). */
export interface LastDecision {
  action: string | null;
  code: string | null;
  poolId: string | null;
  at: Date | null;
}

/** Why an evaluation is written to agent_decision_history. */
export type RecordReason = "changed" | "command" | "sample";

/** Whether an evaluation is written to history, and why; null = not written. */
export function recordReasonFor(
  d: DecisionView,
  opts: { last: LastDecision; commandQueued: boolean; now: Date },
): RecordReason | null {
  if (opts.commandQueued) return "command";
  const { last } = opts;
  if (
    last.at === null || last.action !== d.action || last.code !== d.reasonCode ||
    last.poolId !== d.targetPoolId
  ) return "changed";
  return opts.now.getTime() - last.at.getTime() >= HISTORY_SAMPLE_MS ? "sample" : null;
}

/** An open or recently failed command, as the command plan needs it. */
export interface CommandBrief {
  id: string;
  status: string;
  targetMode: string;
  targetPoolId: string | null;
  /** When it failed or expired (only for the failure). */
  at?: Date | null;
}

/** What the engine does with a decision. */
export type CommandPlan =
  | { queue: true; priority: number }
  | { queue: false; why: "stay" | "not_auto" | "command_open" | "recent_failure" };

/**
 * Whether a decision queues a command: an auto-executable move, no open command (the engine never
 * supersedes a manual or earlier command), and not the target of a failure within the backoff.
 */
export function planEngineCommand(
  d: DecisionView,
  opts: { open: CommandBrief | null; lastFailure: CommandBrief | null; now: Date },
): CommandPlan {
  if (d.action === "stay" || d.targetMode === null) return { queue: false, why: "stay" };
  if (!d.autoExecute) return { queue: false, why: "not_auto" };
  if (opts.open) return { queue: false, why: "command_open" };
  const f = opts.lastFailure;
  if (
    f && f.at && f.targetMode === d.targetMode && (f.targetPoolId ?? null) === d.targetPoolId &&
    opts.now.getTime() - f.at.getTime() < FAILED_COMMAND_BACKOFF_MS
  ) return { queue: false, why: "recent_failure" };
  const urgent = d.reasonCode === "risk_exit" || d.reasonCode === "risk_above_threshold";
  return { queue: true, priority: urgent ? PRIORITY.engineUrgent : PRIORITY.engine };
}

/** A stay answered without running the engine (disabled agent, instance not known yet). */
export function heldDecision(
  code: HeldCode,
  opts: { mode: string; riskScore?: number },
): DecisionView {
  const onSpot = opts.mode === "spot";
  const reason = code === "agent_disabled"
    ? "Agent disabled: no decision is made and no command is queued."
    : "Staying: the instance's mode, type or region is not known yet (no report received).";
  return {
    action: "stay",
    targetMode: null,
    targetPoolId: null,
    decisionType: onSpot ? "stay_spot" : "stay_ondemand",
    reasonCode: code,
    reason,
    expectedSavingsPerHour: 0,
    switchCost: 0,
    paybackHours: null,
    riskScore: opts.riskScore ?? 0,
    riskKnown: false,
    confidence: 0,
    allowed: false,
    autoExecute: false,
    blocked: null,
    currentCostPerHour: null,
    targetCostPerHour: null,
    rules: [],
  };
}

/** The instance's current state, as the answers describe it. */
export interface CurrentView {
  instanceId: string | null;
  mode: string;
  poolId: string | null;
}

function recommended(d: DecisionView, cur: CurrentView): { mode: string; poolId: string | null } {
  if (d.action !== "stay" && d.targetMode !== null) {
    return { mode: d.targetMode, poolId: d.targetPoolId };
  }
  return { mode: cur.mode, poolId: cur.mode === "spot" ? cur.poolId : null };
}

/** The rule trace on the wire. */
export interface WireRule {
  rule: string;
  passed: boolean;
  detail: string;
}

/** E24's answer: the predecessor's field names plus the explanation. */
export interface DecideWire {
  instance_id: string | null;
  risk_score: number;
  recommended_action: DecisionAction;
  recommended_mode: string;
  recommended_pool_id: string | null;
  expected_savings_per_hour: number;
  allowed: boolean;
  reason: string;
  decision_type: DecisionType;
  reason_code: string;
  switch_cost: number;
  payback_hours: number | null;
  confidence: number;
  risk_known: boolean;
  will_auto_execute: boolean;
  rules: WireRule[];
}

/** Maps a decision to E24's answer. */
export function toDecideWire(d: DecisionView, cur: CurrentView): DecideWire {
  const rec = recommended(d, cur);
  return {
    instance_id: cur.instanceId,
    risk_score: d.riskScore,
    recommended_action: d.action,
    recommended_mode: rec.mode,
    recommended_pool_id: rec.poolId,
    expected_savings_per_hour: d.expectedSavingsPerHour,
    allowed: d.allowed,
    reason: d.reason,
    decision_type: d.decisionType,
    reason_code: d.reasonCode,
    switch_cost: d.switchCost,
    payback_hours: d.paybackHours,
    confidence: d.confidence,
    risk_known: d.riskKnown,
    will_auto_execute: d.autoExecute,
    rules: d.rules.map((r) => ({ rule: r.rule, passed: r.passed, detail: r.detail })),
  };
}

/** A pool as E25 lists it. */
export interface PoolWire {
  id: string;
  name: string;
  az: string;
  spot_price: number;
}

/** E25's answer. */
export interface RecommendationWire {
  agent_id: string;
  decision_type: DecisionType;
  recommended_action: DecisionAction;
  recommended_mode: string;
  recommended_pool_id: string | null;
  risk_score: number;
  expected_savings: number;
  confidence: number;
  reason: string;
  reason_code: string;
  switch_cost: number;
  payback_hours: number | null;
  auto_switch_enabled: boolean;
  will_auto_execute: boolean;
  current_pool: { id: string; name: string; az: string } | null;
  alternative_pools: PoolWire[];
}

/** A priced pool for E25's lists. */
export interface PoolListing {
  poolId: string;
  name: string | null;
  az: string;
  price: number;
}

/** Maps a decision to E25's answer; alternatives are the other priced pools, cheapest first. */
export function toRecommendationWire(
  d: DecisionView,
  opts: {
    agentId: string;
    autoSwitchEnabled: boolean;
    current: CurrentView;
    currentAz: string | null;
    pools: readonly PoolListing[];
  },
): RecommendationWire {
  const rec = recommended(d, opts.current);
  const name = (p: { poolId: string; name: string | null; az: string }) =>
    p.name && p.name !== p.poolId
      ? p.name
      : `${p.poolId.slice(0, p.poolId.lastIndexOf("."))} (${p.az})`;
  const curId = opts.current.mode === "spot" ? opts.current.poolId : null;
  const curPool = curId ? opts.pools.find((p) => p.poolId === curId) : undefined;
  const curAz = curPool?.az ?? opts.currentAz ?? curId?.slice(curId.lastIndexOf(".") + 1) ?? "";
  return {
    agent_id: opts.agentId,
    decision_type: d.decisionType,
    recommended_action: d.action,
    recommended_mode: rec.mode,
    recommended_pool_id: rec.poolId,
    risk_score: d.riskScore,
    expected_savings: d.expectedSavingsPerHour,
    confidence: d.confidence,
    reason: d.reason,
    reason_code: d.reasonCode,
    switch_cost: d.switchCost,
    payback_hours: d.paybackHours,
    auto_switch_enabled: opts.autoSwitchEnabled,
    will_auto_execute: d.autoExecute,
    current_pool: curId
      ? {
        id: curId,
        name: name({ poolId: curId, name: curPool?.name ?? null, az: curAz }),
        az: curAz,
      }
      : null,
    alternative_pools: opts.pools.filter((p) => p.poolId !== curId)
      .sort((a, b) => a.price - b.price || (a.poolId < b.poolId ? -1 : 1))
      .map((p) => ({ id: p.poolId, name: name(p), az: p.az, spot_price: p.price })),
  };
}

/**
 * Why a DECISION_POLICY value is unusable (not JSON, or a field the policy schema rejects), or null
 * when it is valid. config.ts uses it so a bad value stops start-up naming the variable.
 */
export function decisionPolicyProblem(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "must be a JSON object of decision policy fields";
  }
  const r = decisionPolicySchema.safeParse(parsed);
  if (r.success) return null;
  return r.error.issues.map((i) => `${i.path.join(".") || "(object)"}: ${i.message}`).join("; ");
}
