/**
 * Internal to decisions.ts: turns an evaluated move into a Decision: the dwell and limit gates, the
 * stay/move/blocked shapes, confidence and the auto-switch flag.
 * @module
 */
import type { AgentConfig, DecisionPolicy } from "./decision_policy.ts";
import type {
  Decision,
  DecisionAction,
  DecisionInput,
  PoolQuote,
  ReasonCode,
  RuleCheck,
} from "./decision_types.ts";
import { checkSwitchLimits, type InstanceMode } from "./switch_limits.ts";
import { type Candidate, type Economics, type Evaluation, round } from "./decision_economics.ts";

/** Everything one decide() call computes once and the rules share. */
export interface Ctx {
  input: DecisionInput;
  policy: DecisionPolicy;
  cfg: AgentConfig;
  rules: RuleCheck[];
  eco: Economics;
  current: PoolQuote | null;
  /** Fresh same-type pools other than the current one, and the count of stale ones dropped. */
  fresh: PoolQuote[];
  staleCount: number;
  dwell: number | null;
  dwellOk: boolean;
}

/** A decision before confidence, decision type and the auto-switch flag are derived. */
export type Draft = Omit<Decision, "decisionType" | "autoExecute" | "rules" | "confidence"> & {
  confidenceParts: { ages: number[]; riskKnown: boolean; margin: number };
};

const VERBS: Record<Candidate["action"], string> = {
  switch_to_spot: "Switch to spot",
  switch_pool: "Switch pool",
  switch_to_ondemand: "Return to on-demand",
};

/** Applies the dwell and normal limit gates to a qualifying move. */
export function gated(
  ctx: Ctx,
  move: Evaluation,
  opts: { code: ReasonCode; why: string; margin: number },
): Draft {
  const need = ctx.cfg.minPoolDurationHours;
  const dwellText = ctx.dwell === null ? "unknown (never moved)" : `${round(ctx.dwell, 2)} h`;
  ctx.rules.push({
    rule: "dwell_time",
    passed: ctx.dwellOk,
    detail: `in pool ${dwellText}, need ${need} h`,
  });
  if (!ctx.dwellOk) {
    return blockedStay(ctx, move, {
      code: "dwell_time_not_met",
      why: `${opts.why}, but the instance has been in its pool only ${dwellText} of ${need} h`,
    });
  }
  const blockedBy = gateLimits(ctx, 0);
  if (blockedBy) {
    return blockedStay(ctx, move, {
      code: blockedBy.code,
      why: `${opts.why}, but ${blockedBy.text}`,
    });
  }
  const verb = VERBS[move.c.action];
  return moveDraft(move, { code: opts.code, reason: `${verb}: ${opts.why}.`, margin: opts.margin });
}

/** Checks the rolling day/week limits (plus an allowance); the blocking rule or null. */
export function gateLimits(ctx: Ctx, allowance: number): { code: ReasonCode; text: string } | null {
  const { input, cfg } = ctx;
  const lim = checkSwitchLimits(input.recentSwitches, {
    now: input.now,
    maxPerDay: cfg.maxSwitchesPerDay,
    maxPerWeek: cfg.maxSwitchesPerWeek,
    allowance,
  });
  const extra = allowance > 0 ? ` (incl. ${allowance} emergency)` : "";
  ctx.rules.push({
    rule: "limit_day",
    passed: lim.dayOk,
    detail: `${lim.dayCount} of ${lim.dayLimit} in 24 h${extra}`,
  });
  if (!lim.dayOk) {
    return {
      code: "limit_day_reached",
      text: `${lim.dayCount} of ${lim.dayLimit} moves in 24 h are spent${extra}`,
    };
  }
  ctx.rules.push({
    rule: "limit_week",
    passed: lim.weekOk,
    detail: `${lim.weekCount} of ${lim.weekLimit} in 7 d${extra}`,
  });
  if (!lim.weekOk) {
    return {
      code: "limit_week_reached",
      text: `${lim.weekCount} of ${lim.weekLimit} moves in 7 d are spent${extra}`,
    };
  }
  return null;
}

/** The draft of a permitted move. */
export function moveDraft(
  m: Evaluation,
  o: { code: ReasonCode; reason: string; margin: number },
): Draft {
  return {
    action: m.c.action,
    targetMode: m.c.mode,
    targetPoolId: m.c.poolId,
    reasonCode: o.code,
    reason: o.reason,
    expectedSavingsPerHour: money6(m.saving),
    switchCost: money6(m.switchCost),
    paybackHours: m.paybackHours === null ? null : round(m.paybackHours, 2),
    riskScore: m.riskUsed,
    riskKnown: m.c.riskKnown,
    allowed: true,
    blocked: null,
    currentCostPerHour: money6(m.currentCost),
    targetCostPerHour: m.priced ? money6(m.targetCost) : null,
    confidenceParts: { ages: m.ages, riskKnown: m.c.riskKnown, margin: o.margin },
  };
}

/** A stay that names the move the gates held back. */
export function blockedStay(ctx: Ctx, m: Evaluation, o: { code: ReasonCode; why: string }): Draft {
  const d = stay(ctx, { code: o.code, reason: `Staying: ${o.why}.`, considered: m, margin: 1 });
  d.allowed = false;
  d.blocked = {
    action: m.c.action as Exclude<DecisionAction, "stay">,
    targetMode: m.c.mode,
    targetPoolId: m.c.poolId,
    expectedSavingsPerHour: money6(m.saving),
  };
  return d;
}

/** A stay; `allowed` tells whether a normal move would pass the gates now. */
export function stay(
  ctx: Ctx,
  o: { code: ReasonCode; reason: string; considered?: Evaluation; margin?: number },
): Draft {
  const { current, input, policy } = ctx;
  const onSpot = input.instance.mode === "spot";
  const m = o.considered;
  const lim = checkSwitchLimits(input.recentSwitches, {
    now: input.now,
    maxPerDay: ctx.cfg.maxSwitchesPerDay,
    maxPerWeek: ctx.cfg.maxSwitchesPerWeek,
  });
  const ages = [input.onDemand?.at, current?.at].filter((d): d is Date => d instanceof Date)
    .map((d) => Math.max(0, input.now.getTime() - d.getTime()));
  return {
    action: "stay",
    targetMode: null,
    targetPoolId: null,
    reasonCode: o.code,
    reason: o.reason,
    expectedSavingsPerHour: 0,
    switchCost: m ? money6(m.switchCost) : 0,
    paybackHours: null,
    riskScore: onSpot ? current?.risk ?? policy.unknownRisk : 0,
    riskKnown: onSpot ? current?.risk != null : true,
    allowed: ctx.dwellOk && lim.dayOk && lim.weekOk,
    blocked: null,
    currentCostPerHour: m ? money6(m.currentCost) : null,
    targetCostPerHour: m ? money6(m.targetCost) : null,
    confidenceParts: {
      ages,
      riskKnown: onSpot ? current?.risk != null : true,
      margin: o.margin ?? (m ? m.stayMargin : 1),
    },
  };
}

/** Derives confidence, decision type and autoExecute, and closes the rule trace. */
export function finish(ctx: Ctx, d: Draft): Decision {
  const { confidenceParts: cp, ...rest } = d;
  const auto = ctx.cfg.autoSwitchEnabled;
  const isMove = d.action !== "stay";
  ctx.rules.push({
    rule: "auto_switch",
    passed: auto,
    detail: auto ? "auto switching on" : "auto switching off",
  });
  const maxAgeMs = ctx.policy.maxPriceAgeMinutes * 60_000;
  const data = 1 - 0.5 * Math.min(1, Math.max(0, ...cp.ages, 0) / maxAgeMs);
  const onSpot = ctx.input.instance.mode === "spot";
  const mode: InstanceMode = d.targetMode ?? ctx.input.instance.mode;
  return {
    ...rest,
    reason: isMove && !auto ? `${d.reason} Auto switching is off: recommendation only.` : d.reason,
    decisionType: isMove
      ? (mode === "spot" ? "switch_to_spot" : "switch_to_ondemand")
      : onSpot
      ? "stay_spot"
      : "stay_ondemand",
    confidence: round(data * (cp.riskKnown ? 1 : 0.6) * cp.margin, 3),
    autoExecute: isMove && d.allowed && auto,
    rules: ctx.rules,
  };
}

/** "on-demand" or "pool <id>" for sentences. */
export function label(c: Candidate): string {
  return c.mode === "ondemand" ? "on-demand" : `pool ${c.poolId}`;
}

function money6(x: number): number {
  return round(x, 6);
}
