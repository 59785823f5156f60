/**
 * The decision engine: when to move an instance between on-demand, spot and spot pools. Pure and
 * deterministic: decide(input, policy) reads only its arguments (time is `input.now`).
 *
 * Order of the rules (each leaves a RuleCheck in `rules`):
 * 1. Risk exit: the current spot pool's measured risk ≥ max(riskThreshold, policy.riskExitLevel)
 *    and on-demand is cheaper than staying once the expected interruption loss is priced in (or the
 *    on-demand price is unknown) → on-demand now. The only move that skips the dwell time; it never
 *    skips the day/week limits silently: it may use policy.emergencyAllowance extra moves per
 *    window, then it stays and says which limit blocked it. It does not need fresh prices.
 * 2. Prices: the on-demand price, and the current pool's price on spot, must be younger than
 *    maxPriceAgeMinutes, else stay (`stale_prices`); stale pool quotes are never candidates.
 * 3. Economics for every move, returns to on-demand included: expected $/h = price + hazard ×
 *    interruption loss, where hazard = −ln(1 − risk) / riskWindowHours (risk is P(interruption in
 *    24 h), core/risk.ts). A candidate qualifies when its risk is measured and < riskThreshold −
 *    policy.riskHysteresis (the threshold caps targets; on-demand has risk 0), its saving is
 *    ≥ minSavingsPercent of the current cost (÷ hysteresisFactor for a return to on-demand), and the
 *    saving over the horizon covers paybackMargin × the switch cost (a gap between two spot pools
 *    counts with a half-life, effectiveHorizonHours). The cheapest qualifying wins. A current pool
 *    above the threshold is left only when that pays: its risk is in its expected cost.
 * 4. Damping: dwell ≥ minPoolDurationHours, then the rolling 24 h and 7 d limits.
 * autoSwitchEnabled never changes the recommendation; it only sets `autoExecute`.
 * @module
 */
import { type DecisionPolicy, DEFAULT_DECISION_POLICY } from "./decision_policy.ts";
import type {
  Decision,
  DecisionInput,
  PoolQuote,
  ReasonCode,
  RuleCheck,
} from "./decision_types.ts";
import { dwellHours, meanDowntimeSeconds } from "./switch_limits.ts";
import {
  type Candidate,
  type CurrentState,
  evaluate,
  type Evaluation,
  money,
  pct,
  round,
} from "./decision_economics.ts";
import {
  blockedStay,
  type Ctx,
  type Draft,
  finish,
  gated,
  gateLimits,
  label,
  moveDraft,
  stay,
} from "./_decision_outcome.ts";

export * from "./decision_types.ts";

/** The pool id the agent understands: `<instance_type>.<az>` (CONTRACT T-05). */
export function poolIdOf(instanceType: string, az: string): string {
  return `${instanceType}.${az}`;
}

/** Decides what the instance should do now; never throws on well-typed input. */
export function decide(
  input: DecisionInput,
  policy: DecisionPolicy = DEFAULT_DECISION_POLICY,
): Decision {
  const ctx = context(input, policy);
  return finish(ctx, riskExit(ctx) ?? priced(ctx));
}

function context(input: DecisionInput, policy: DecisionPolicy): Ctx {
  const { instance, now } = input;
  const maxAgeMs = policy.maxPriceAgeMinutes * 60_000;
  const byPool = new Map<string, PoolQuote>();
  for (const q of input.pools) {
    // The agent never changes instance type, and only understands `<type>.<az>` ids (T-05).
    if (q.instanceType !== instance.instanceType || q.poolId !== poolIdOf(q.instanceType, q.az)) {
      continue;
    }
    if (!(Number.isFinite(q.price) && q.price > 0)) continue;
    const seen = byPool.get(q.poolId);
    if (!seen || q.at.getTime() > seen.at.getTime()) byPool.set(q.poolId, q);
  }
  const current = instance.mode === "spot" && instance.poolId
    ? byPool.get(instance.poolId) ?? null
    : null;
  const others = [...byPool.values()].filter((q) => q.poolId !== current?.poolId);
  const fresh = others.filter((q) => now.getTime() - q.at.getTime() <= maxAgeMs);
  fresh.sort((a, b) => (a.poolId < b.poolId ? -1 : a.poolId > b.poolId ? 1 : 0));
  const dwell = dwellHours(instance.poolSince, { switches: input.recentSwitches, now });
  const weight = input.downtimeWeightPerHour ?? policy.downtimeWeightPerHour;
  const downtime = meanDowntimeSeconds(input.recentSwitches, policy.defaultDowntimeSeconds);
  return {
    input,
    policy,
    cfg: input.config,
    rules: [],
    eco: { policy, config: input.config, weight, downtimeSeconds: downtime.seconds },
    current,
    fresh,
    staleCount: others.length - fresh.length,
    dwell,
    dwellOk: dwell === null || dwell >= input.config.minPoolDurationHours,
  };
}

function riskExit(ctx: Ctx): Draft | null {
  const { current, cfg, policy, input } = ctx;
  if (input.instance.mode !== "spot" || current === null || current.risk === null) return null;
  const level = Math.max(cfg.riskThreshold, policy.riskExitLevel);
  const od = input.onDemand;
  if (current.risk < level) {
    ctx.rules.push({
      rule: "risk_exit",
      passed: true,
      detail: `current pool risk ${current.risk} < exit level ${level}`,
    });
    return null;
  }
  const target: Candidate = {
    action: "switch_to_ondemand",
    mode: "ondemand",
    poolId: null,
    price: od?.price ?? null,
    at: od?.at ?? null,
    risk: 0,
    riskKnown: true,
  };
  const from: CurrentState = {
    mode: "spot",
    price: current.price,
    at: current.at,
    risk: current.risk,
  };
  const move = evaluate(target, { from, eco: ctx.eco, now: input.now });
  // Leaving must pay once the expected interruption loss is priced in; an unknown on-demand price
  // cannot be compared, and safety then wins.
  const pays = !move.priced || move.saving > 0;
  const costs = move.priced
    ? `: staying costs ${money(move.currentCost)} with the expected interruption loss, ` +
      `on-demand ${money(move.targetCost)}`
    : ", on-demand price unknown";
  ctx.rules.push({
    rule: "risk_exit",
    passed: !pays,
    detail: `current pool risk ${current.risk} ≥ exit level ${level}${costs}`,
  });
  if (!pays) return null;
  ctx.rules.push({
    rule: "dwell_time",
    passed: true,
    detail: "skipped: the risk exit may leave at once",
  });
  const why = `current pool ${current.poolId} has risk ${current.risk} ≥ exit level ${level}` +
    costs;
  const blockedBy = gateLimits(ctx, policy.emergencyAllowance);
  if (blockedBy) {
    return blockedStay(ctx, move, { code: blockedBy.code, why: `${why}, but ${blockedBy.text}` });
  }
  return moveDraft(move, {
    code: "risk_exit",
    reason: `Return to on-demand now: ${why} (dwell time skipped).`,
    margin: 1,
  });
}

function priced(ctx: Ctx): Draft {
  const { input, policy, current } = ctx;
  const od = input.onDemand;
  const maxAgeMs = policy.maxPriceAgeMinutes * 60_000;
  const age = (at: Date): number => Math.max(0, input.now.getTime() - at.getTime());
  const onSpot = input.instance.mode === "spot";
  const missing = od === null || !(od.price > 0) || (onSpot && current === null);
  if (missing) {
    const what = od === null || !(od.price > 0)
      ? "no on-demand price"
      : `no price for current pool ${input.instance.poolId}`;
    ctx.rules.push({ rule: "prices_fresh", passed: false, detail: what });
    return stay(ctx, {
      code: "missing_prices",
      reason: `Staying: ${what}, so nothing can be compared.`,
    });
  }
  const staleOd = age(od.at) > maxAgeMs;
  const staleCur = onSpot && current !== null && age(current.at) > maxAgeMs;
  const allStale = !onSpot && ctx.fresh.length === 0 && ctx.staleCount > 0;
  const maxAge = Math.max(age(od.at), current ? age(current.at) : 0) / 60_000;
  ctx.rules.push({
    rule: "prices_fresh",
    passed: !(staleOd || staleCur || allStale),
    detail: `oldest needed price ${round(maxAge, 1)} min (max ${policy.maxPriceAgeMinutes}); ` +
      `${ctx.staleCount} stale pool quote(s) ignored`,
  });
  if (staleOd || staleCur || allStale) {
    const what = staleOd
      ? "the on-demand price"
      : staleCur
      ? "the current pool's price"
      : "every pool price";
    return stay(ctx, {
      code: "stale_prices",
      reason:
        `Staying: ${what} is older than ${policy.maxPriceAgeMinutes} min, so no move is triggered.`,
    });
  }
  const ondemand: Candidate = {
    action: "switch_to_ondemand",
    mode: "ondemand",
    poolId: null,
    price: od.price,
    at: od.at,
    risk: 0,
    riskKnown: true,
  };
  const from: CurrentState = onSpot && current !== null
    ? { mode: "spot", price: current.price, at: current.at, risk: current.risk }
    : { mode: "ondemand", price: od.price, at: od.at, risk: 0 };
  const cands: Candidate[] = ctx.fresh.map((q) => ({
    action: onSpot ? "switch_pool" : "switch_to_spot",
    mode: "spot",
    poolId: q.poolId,
    price: q.price,
    at: q.at,
    risk: q.risk,
    riskKnown: q.risk !== null,
  }));
  if (onSpot) cands.push(ondemand);
  const evals = cands.map((c) => evaluate(c, { from, eco: ctx.eco, now: input.now }));
  // Cheapest first; ties by pool id with on-demand last, so the order never depends on input order.
  evals.sort((a, b) =>
    a.targetCost - b.targetCost || key(a.c.poolId).localeCompare(key(b.c.poolId))
  );

  if (onSpot && current !== null) {
    const above = current.risk !== null && current.risk >= ctx.cfg.riskThreshold;
    const stayCost = evals[0]?.currentCost;
    ctx.rules.push({
      rule: "current_risk",
      passed: !above,
      detail: current.risk === null
        ? `current pool risk unknown (priced at prior ${policy.unknownRisk})`
        : `current pool risk ${current.risk} ${above ? "≥" : "<"} threshold ` +
          `${ctx.cfg.riskThreshold}` +
          (stayCost === undefined ? "" : `; staying costs ${money(stayCost)} with expected loss`) +
          (above ? " (left only when a move pays)" : ""),
    });
  }
  const best = evals.find((e) => e.riskOk && e.savingsOk && e.paybackOk);
  if (best) {
    for (const r of best.checks) ctx.rules.push(r);
    const code: ReasonCode = best.c.action === "switch_to_spot"
      ? "spot_cheaper"
      : best.c.action === "switch_pool"
      ? "cheaper_pool"
      : "ondemand_cheaper";
    const cost = `$${round(best.switchCost, 4)}`;
    const payback = `${round(best.paybackHours ?? 0, 2)} h`;
    const why = `${label(best.c)} costs ${money(best.targetCost)} vs ${money(best.currentCost)} ` +
      `now (${pct(best.savingPct)} saving ≥ ${pct(best.requiredPct)}, switch cost ${cost} paid ` +
      `back in ${payback}, risk ${best.c.mode === "ondemand" ? 0 : best.c.risk})`;
    return gated(ctx, best, { code, why, margin: best.margin });
  }
  return explainStay(ctx, evals);
}

function explainStay(ctx: Ctx, evals: Evaluation[]): Draft {
  const positive = evals.filter((e) => e.saving > 0);
  if (evals.length === 0) {
    return stay(ctx, {
      code: "no_candidates",
      reason: "Staying: no other pool of this instance type is priced.",
    });
  }
  if (positive.length === 0) {
    const e = evals[0];
    return stay(ctx, {
      code: "current_is_best",
      reason:
        `Staying: the current state at ${money(e.currentCost)} is the cheapest; best alternative ` +
        `${label(e.c)} costs ${money(e.targetCost)}.`,
      considered: e,
    });
  }
  // Explain with the best option the client would accept on risk, else with the cheapest one.
  const e = positive.find((x) => x.riskOk) ?? positive[0];
  for (const r of e.checks) ctx.rules.push(r);
  const failed = e.checks.find((r) => !r.passed) as RuleCheck;
  const code: ReasonCode = failed.rule === "target_risk"
    ? (e.c.riskKnown ? "target_risk_too_high" : "target_risk_unknown")
    : failed.rule === "min_savings"
    ? "savings_below_minimum"
    : "payback_not_met";
  return stay(ctx, {
    code,
    reason: `Staying: best option ${label(e.c)} at ${money(e.targetCost)} vs ` +
      `${money(e.currentCost)} now fails ${failed.rule} (${failed.detail}).`,
    considered: e,
  });
}

function key(poolId: string | null): string {
  return poolId ?? "\uffff";
}
