import assert from "node:assert/strict";
import {
  decisionPolicySchema,
  DEFAULT_DECISION_POLICY,
  resolveDecisionPolicy,
} from "./decision_policy.ts";
import { decide, type PoolQuote } from "./decisions.ts";
import {
  effectiveHorizonHours,
  expectedHourlyCost,
  interruptionLoss,
  switchCostOf,
} from "./decision_economics.ts";
import { ago, FLAT, id, input, NOW, T } from "./_decision_scene.ts";

const ECO = {
  policy: DEFAULT_DECISION_POLICY,
  config: input({}).config,
  weight: 1,
  downtimeSeconds: 120,
};

Deno.test("economics: interruption loss and expected hourly cost use the documented constants", () => {
  // 900 s of downtime at $1/h + $0.10 relaunch = $0.35; risk 0.24 = P(interruption in 24 h) is a
  // hazard of −ln(0.76) / 24 = 0.011435/h, which adds 0.011435 × $0.35 = $0.004002/h
  assert.equal(interruptionLoss(ECO), 0.35);
  assert.equal(expectedHourlyCost(0.1, { risk: 0.24, eco: ECO }).toFixed(6), "0.104002");
  assert.equal(expectedHourlyCost(0.1, { risk: 0, eco: ECO }), 0.1);
  // 600 s overlap at $0.2/h + 120 s downtime at $1/h
  assert.equal(switchCostOf(0.2, ECO).toFixed(6), "0.066667");
});

Deno.test("economics: a gap between spot pools counts with a half-life, one to on-demand fully", () => {
  const p = DEFAULT_DECISION_POLICY;
  // ∫₀²⁴ 2^(−t/4) dt = 4 / ln 2 × (1 − 2^−6) = 5.681 h
  assert.equal(effectiveHorizonHours("switch_pool", p).toFixed(3), "5.681");
  assert.equal(effectiveHorizonHours("switch_to_spot", p), 24);
  assert.equal(effectiveHorizonHours("switch_to_ondemand", p), 24);
  assert.equal(effectiveHorizonHours("switch_pool", { ...p, poolGapHalfLifeHours: 0 }), 24);
});

Deno.test("economics: a decision prices the target with its risk term", () => {
  const d = decide(input({ pools: [["a", 0.1, 0.24]] }));
  assert.equal(d.action, "switch_to_spot");
  assert.equal(d.targetCostPerHour, 0.104002);
  assert.equal(d.currentCostPerHour, 0.2);
  assert.equal(d.expectedSavingsPerHour, 0.095998);
  assert.equal(d.switchCost, 0.066667);
  assert.equal(d.paybackHours, 0.69);
  assert.equal(d.riskScore, 0.24);
  assert.equal(d.decisionType, "switch_to_spot");
  assert.match(
    d.reason,
    /^Switch to spot: pool m5\.xlarge\.us-east-1a costs \$0\.1040\/h vs \$0\.2000\/h/,
  );
});

Deno.test("economics: an unknown current risk is priced with the prior, not as safe", () => {
  const d = decide(input({ mode: "spot", pool: "a", pools: [["a", 0.1, null]] }));
  assert.equal(d.reasonCode, "current_is_best");
  assert.equal(d.currentCostPerHour, 0.110108); // 0.1 + ln(2) / 24 × 0.35
  assert.equal(d.riskKnown, false);
  assert.equal(d.riskScore, 0.5);
  assert.equal(d.decisionType, "stay_spot");
});

Deno.test("economics: the switch cost uses this agent's mean observed downtime and weight", () => {
  const observed = decide(input({
    pools: [["a", 0.1, 0.1]],
    switchesHoursAgo: [30, 40, 50],
    downtimes: [300, 100, null],
  }));
  assert.equal(observed.switchCost, 0.088889); // 600/3600 × 0.2 + 200/3600 × 1
  const weightless = decide(input({ pools: [["a", 0.1, 0.1]], weight: 0 }));
  assert.equal(weightless.switchCost, 0.033333);
});

Deno.test("decide: auto switching off keeps the recommendation and says so", () => {
  const d = decide(input({ pools: [["a", 0.1, 0.1]], config: { autoSwitchEnabled: false } }));
  assert.equal(d.action, "switch_to_spot");
  assert.equal(d.allowed, true);
  assert.equal(d.autoExecute, false);
  assert.match(d.reason, /Auto switching is off: recommendation only\.$/);
  assert.deepEqual(d.rules.at(-1), {
    rule: "auto_switch",
    passed: false,
    detail: "auto switching off",
  });
});

Deno.test("decide: the rule trace lists every check of a move in order", () => {
  const d = decide(input({ pools: [["a", 0.1, 0.1]] }));
  assert.equal(d.autoExecute, true);
  assert.deepEqual(d.rules.map((r) => [r.rule, r.passed]), [
    ["prices_fresh", true],
    ["target_risk", true],
    ["min_savings", true],
    ["payback", true],
    ["dwell_time", true],
    ["limit_day", true],
    ["limit_week", true],
    ["auto_switch", true],
  ]);
});

Deno.test("decide: a move held back by the dwell time is named in `blocked`", () => {
  const d = decide(
    input({ mode: "spot", pool: "a", sinceHours: 1, pools: [["a", 0.1, 0.1], ["b", 0.05, 0.1]] }),
    resolveDecisionPolicy(FLAT),
  );
  assert.equal(d.reasonCode, "dwell_time_not_met");
  assert.deepEqual(d.blocked, {
    action: "switch_pool",
    targetMode: "spot",
    targetPoolId: id("b"),
    expectedSavingsPerHour: 0.05,
  });
  assert.equal(d.targetPoolId, null);
  assert.equal(d.autoExecute, false);
  assert.match(d.reason, /only 1 h of 2 h\.$/);
});

Deno.test("decide: pools of another instance type or with a malformed id are ignored (T-05)", () => {
  const base = input({ pools: [["a", 0.15, 0.1]] });
  const foreign: PoolQuote[] = [
    {
      poolId: "c5.large.us-east-1b",
      instanceType: "c5.large",
      az: "us-east-1b",
      price: 0.01,
      at: NOW,
      risk: 0,
    },
    { poolId: "us-east-1c", instanceType: T, az: "us-east-1c", price: 0.01, at: NOW, risk: 0 },
  ];
  const d = decide({ ...base, pools: [...base.pools, ...foreign] });
  assert.equal(d.targetPoolId, id("a"));
});

Deno.test("decide: the same input gives the same output whatever the pool order", () => {
  const a = input({
    pools: [["a", 0.1, 0.1], ["b", 0.1, 0.1], ["c", 0.09, 0.24], ["d", 0.08, null, 20]],
  });
  const b = { ...a, pools: [...a.pools].reverse() };
  const first = decide(a);
  assert.deepEqual(decide(a), first);
  assert.deepEqual(decide(b), first);
  assert.equal(first.targetPoolId, id("c"));
  // equal prices tie-break on the pool id
  const tie = decide(input({ pools: [["b", 0.1, 0.1], ["a", 0.1, 0.1]] }));
  assert.equal(tie.targetPoolId, id("a"));
});

Deno.test("decide: the newest quote of a pool wins over an older duplicate", () => {
  const base = input({ pools: [["a", 0.19, 0.1]] });
  const old: PoolQuote = { ...base.pools[0], price: 0.05, at: ago(60_000) };
  assert.equal(
    decide({ ...base, pools: [old, ...base.pools] }).reasonCode,
    "savings_below_minimum",
  );
});

Deno.test("decide: confidence is lower with old prices and unknown risk", () => {
  const fresh = decide(input({ pools: [["a", 0.1, 0.1]] }));
  const older = decide(input({ odAgeMin: 10, pools: [["a", 0.1, 0.1, 10]] }));
  const unknown = decide(input({ mode: "spot", pool: "a", pools: [["a", 0.1, null]] }));
  assert.equal(fresh.confidence, 1);
  assert.ok(older.confidence < fresh.confidence && older.confidence >= 0.5);
  assert.ok(unknown.confidence <= 0.6);
});

Deno.test("policy: the schema validates a partial override and refuses unknown or bad fields", () => {
  assert.deepEqual(decisionPolicySchema.parse({ horizonHours: 12 }), { horizonHours: 12 });
  assert.equal(resolveDecisionPolicy({ hysteresisFactor: 3 }).hysteresisFactor, 3);
  assert.equal(resolveDecisionPolicy().paybackMargin, DEFAULT_DECISION_POLICY.paybackMargin);
  assert.throws(() => resolveDecisionPolicy({ horizon: 12 }), /horizon/);
  assert.throws(() => resolveDecisionPolicy({ unknownRisk: 1.5 }), /unknownRisk/);
  assert.throws(() => resolveDecisionPolicy({ hysteresisFactor: 0.5 }), /hysteresisFactor/);
  assert.throws(() => resolveDecisionPolicy({ emergencyAllowance: 1.5 }), /emergencyAllowance/);
  assert.ok(Object.isFrozen(DEFAULT_DECISION_POLICY));
});
