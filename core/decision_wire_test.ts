import assert from "node:assert/strict";
import { DEFAULT_AGENT_CONFIG, resolveDecisionPolicy } from "./decision_policy.ts";
import { decide, type Decision } from "./decisions.ts";
import {
  decisionPolicyProblem,
  FAILED_COMMAND_BACKOFF_MS,
  heldDecision,
  HISTORY_SAMPLE_MS,
  planEngineCommand,
  PRIORITY,
  recordReasonFor,
  toDecideWire,
  toRecommendationWire,
} from "./decision_wire.ts";
import { buildDecisionInput, type InputParts, type StoredPool } from "./decision_input.ts";
import { checkManualTarget, type ManualTargetAgent } from "./manual_switch.ts";
import { ago, FLAT, H, id, input, NOW, T } from "./_decision_scene.ts";

const MIN = 60_000;
const policy = resolveDecisionPolicy(FLAT);
const toSpot = (): Decision => decide(input({ pools: [["a", 0.1, 0.1]] }), policy);
const stay = (): Decision => decide(input({ pools: [["a", 0.19, 0.1]] }), policy);

Deno.test("wire: a decision is recorded when action, reason or pool changes, else hourly", () => {
  const d = toSpot();
  const same = { action: d.action, code: d.reasonCode, poolId: d.targetPoolId };
  const at = (ms: number) => ({ ...same, at: new Date(NOW.getTime() - ms) });
  const none = { action: null, code: null, poolId: null, at: null };
  const r = (last: Parameters<typeof recordReasonFor>[1]["last"], commandQueued = false) =>
    recordReasonFor(d, { last, commandQueued, now: NOW });
  assert.equal(r(none), "changed");
  assert.equal(r({ ...at(MIN), poolId: id("b") }), "changed");
  assert.equal(r({ ...at(MIN), code: "payback_not_met" }), "changed");
  assert.equal(r({ ...at(MIN), action: "stay" }), "changed");
  assert.equal(r(at(HISTORY_SAMPLE_MS - 1)), null);
  assert.equal(r(at(HISTORY_SAMPLE_MS)), "sample");
  assert.equal(r(at(MIN), true), "command");
});

Deno.test("wire: the engine queues only auto-executable moves without an open command", () => {
  const move = toSpot();
  const now = NOW;
  assert.deepEqual(planEngineCommand(stay(), { open: null, lastFailure: null, now }), {
    queue: false,
    why: "stay",
  });
  assert.deepEqual(
    planEngineCommand({ ...move, autoExecute: false }, { open: null, lastFailure: null, now }),
    { queue: false, why: "not_auto" },
  );
  const open = { id: "c1", status: "pending", targetMode: "ondemand", targetPoolId: null };
  assert.deepEqual(planEngineCommand(move, { open, lastFailure: null, now }), {
    queue: false,
    why: "command_open",
  });
  assert.deepEqual(planEngineCommand(move, { open: null, lastFailure: null, now }), {
    queue: true,
    priority: PRIORITY.engine,
  });
  const failed = (msAgo: number, pool = id("a")) => ({
    id: "c0",
    status: "failed",
    targetMode: "spot",
    targetPoolId: pool,
    at: new Date(now.getTime() - msAgo),
  });
  const plan = (f: ReturnType<typeof failed>) =>
    planEngineCommand(move, { open: null, lastFailure: f, now }).queue;
  assert.equal(plan(failed(FAILED_COMMAND_BACKOFF_MS - 1)), false);
  assert.equal(plan(failed(FAILED_COMMAND_BACKOFF_MS)), true);
  assert.equal(plan(failed(MIN, id("b"))), true, "another target is not backed off");
});

Deno.test("wire: risk exits are queued as ML urgent (50), economic moves as ML normal (25)", () => {
  const exit = decide(
    input({ mode: "spot", pool: "a", pools: [["a", 0.19, 0.8]], sinceHours: 0.1 }),
    resolveDecisionPolicy({}), // the exit pays only with the default interruption loss
  );
  assert.equal(exit.reasonCode, "risk_exit");
  assert.deepEqual(planEngineCommand(exit, { open: null, lastFailure: null, now: NOW }), {
    queue: true,
    priority: 50,
  });
  assert.equal(PRIORITY.engine, 25);
  assert.equal(PRIORITY.manual, 75);
});

const pool = (az: string, p: Partial<StoredPool> = {}): StoredPool => ({
  poolId: id(az),
  name: null,
  instanceType: T,
  az: `us-east-1${az}`,
  risk: 0.1,
  riskAt: ago(10 * MIN),
  price: 0.1,
  at: ago(MIN),
  ...p,
});

function parts(p: Partial<InputParts> = {}): InputParts {
  return {
    stored: {
      mode: "ondemand",
      poolId: null,
      instanceType: T,
      region: "us-east-1",
      az: "us-east-1a",
      poolSince: ago(5 * H),
    },
    storedOnDemand: { price: 0.2, at: ago(MIN), estimated: false },
    pools: [pool("a"), pool("b", { price: 0.12 })],
    config: DEFAULT_AGENT_CONFIG,
    switches: [],
    downtimeWeight: null,
    riskMaxAgeMs: 6 * H,
    priceMaxAgeMs: 15 * MIN,
    now: NOW,
    ...p,
  };
}

Deno.test("input: stored state and stored prices, stale risk is unknown", () => {
  const i = buildDecisionInput(parts({ pools: [pool("a"), pool("b", { riskAt: ago(7 * H) })] }))!;
  assert.equal(i.instance.mode, "ondemand");
  assert.equal(i.instance.poolSince?.getTime(), ago(5 * H).getTime());
  assert.deepEqual(i.pools.map((q) => [q.poolId, q.risk]), [[id("a"), 0.1], [id("b"), null]]);
  assert.equal(i.onDemand?.price, 0.2);
});

Deno.test("input: a report's instance and prices win; pool_since only for the same state", () => {
  const at = ago(2 * MIN);
  const i = buildDecisionInput(parts({
    reportedInstance: {
      mode: "spot",
      poolId: id("b"),
      instanceType: T,
      region: "us-east-1",
      az: "us-east-1b",
    },
    reportedPrices: {
      onDemand: { price: 0.21, at, estimated: false },
      currentSpotPrice: 0.11,
      pools: [{ poolId: id("a"), instanceType: T, az: "us-east-1a", price: 0.09 }],
      collectedAt: at,
    },
  }))!;
  assert.equal(i.instance.mode, "spot");
  assert.equal(i.instance.poolId, id("b"));
  assert.equal(i.instance.poolSince, null, "the stored pool_since was for on-demand");
  assert.equal(i.onDemand?.price, 0.21);
  // The current pool is missing from the list: added with current_spot_price and its risk.
  assert.deepEqual(
    i.pools.map((q) => [q.poolId, q.price, q.risk, q.at.getTime()]),
    [[id("a"), 0.09, 0.1, at.getTime()], [id("b"), 0.11, 0.1, at.getTime()]],
  );
});

Deno.test("input: an estimated on-demand price yields to a fresh real one, never to nothing", () => {
  const est = { price: 0.3, at: ago(MIN), estimated: true };
  const prices = { onDemand: est, currentSpotPrice: null, pools: [], collectedAt: ago(MIN) };
  assert.equal(buildDecisionInput(parts({ reportedPrices: prices }))!.onDemand?.price, 0.2);
  const staleReal = { price: 0.2, at: ago(20 * MIN), estimated: false };
  assert.equal(
    buildDecisionInput(parts({ reportedPrices: prices, storedOnDemand: staleReal }))!.onDemand
      ?.price,
    0.3,
  );
  assert.equal(
    buildDecisionInput(parts({ reportedPrices: { ...prices, onDemand: null } }))!.onDemand?.price,
    0.2,
  );
});

Deno.test("input: unknown mode, type or region gives no input", () => {
  const p = parts();
  assert.equal(buildDecisionInput({ ...p, stored: { ...p.stored, mode: "unknown" } }), null);
  assert.equal(buildDecisionInput({ ...p, stored: { ...p.stored, region: null } }), null);
  const spot = buildDecisionInput({ ...p, stored: { ...p.stored, mode: "spot", poolId: null } })!;
  assert.equal(spot.instance.poolId, id("a"), "the pool is derived from type and AZ");
});

Deno.test("wire: E24 keeps the predecessor's names and types", () => {
  const w = toDecideWire(toSpot(), { instanceId: "i-1", mode: "ondemand", poolId: null });
  assert.deepEqual(Object.keys(w).sort(), [
    "allowed",
    "confidence",
    "decision_type",
    "expected_savings_per_hour",
    "instance_id",
    "payback_hours",
    "reason",
    "reason_code",
    "recommended_action",
    "recommended_mode",
    "recommended_pool_id",
    "risk_known",
    "risk_score",
    "rules",
    "switch_cost",
    "will_auto_execute",
  ]);
  assert.equal(w.recommended_action, "switch_to_spot");
  assert.equal(w.recommended_mode, "spot");
  assert.equal(w.recommended_pool_id, id("a"));
  assert.equal(typeof w.expected_savings_per_hour, "number");
  const s = toDecideWire(stay(), { instanceId: "i-1", mode: "ondemand", poolId: null });
  assert.equal(s.recommended_mode, "ondemand", "a stay recommends the current state");
  assert.equal(s.recommended_pool_id, null);
});

Deno.test("wire: E25 lists the current pool and the alternatives cheapest first", () => {
  const d = decide(input({ mode: "spot", pool: "a", pools: [["a", 0.1, 0.1]] }), policy);
  const w = toRecommendationWire(d, {
    agentId: "ag",
    autoSwitchEnabled: true,
    current: { instanceId: "i-1", mode: "spot", poolId: id("a") },
    currentAz: "us-east-1a",
    pools: [
      { poolId: id("c"), name: null, az: "us-east-1c", price: 0.12 },
      { poolId: id("a"), name: "custom", az: "us-east-1a", price: 0.1 },
      { poolId: id("b"), name: null, az: "us-east-1b", price: 0.11 },
    ],
  });
  assert.equal(w.decision_type, "stay_spot");
  assert.equal(w.recommended_pool_id, id("a"));
  assert.deepEqual(w.current_pool, { id: id("a"), name: "custom", az: "us-east-1a" });
  assert.deepEqual(w.alternative_pools.map((p) => [p.id, p.name, p.spot_price]), [
    [id("b"), `${T} (us-east-1b)`, 0.11],
    [id("c"), `${T} (us-east-1c)`, 0.12],
  ]);
  const held = heldDecision("agent_disabled", { mode: "ondemand" });
  const h = toRecommendationWire(held, {
    agentId: "ag",
    autoSwitchEnabled: true,
    current: { instanceId: null, mode: "ondemand", poolId: null },
    currentAz: null,
    pools: [],
  });
  assert.equal(h.current_pool, null);
  assert.equal(h.decision_type, "stay_ondemand");
  assert.equal(h.will_auto_execute, false);
});

const agent: ManualTargetAgent = {
  enabled: true,
  deleted: false,
  currentMode: "ondemand",
  currentPoolId: null,
  instanceType: T,
};

Deno.test("manual: guard rails in order, auto switching is not one of them", () => {
  const c = checkManualTarget;
  assert.deepEqual(c({ mode: "spot", poolId: id("b") }, agent), { ok: true, poolId: id("b") });
  assert.deepEqual(c({ mode: "ondemand", poolId: "" }, { ...agent, currentMode: "spot" }), {
    ok: true,
    poolId: null,
  });
  const code = (r: ReturnType<typeof c>) => (r.ok ? "ok" : `${r.status} ${r.code}`);
  assert.equal(
    code(c({ mode: "spot", poolId: id("b") }, { ...agent, enabled: false })),
    "409 agent_disabled",
  );
  assert.equal(
    code(c({ mode: "spot", poolId: id("b") }, { ...agent, deleted: true })),
    "409 agent_disabled",
  );
  assert.equal(code(c({ mode: "spot", poolId: "" }, agent)), "400 pool_required");
  assert.equal(code(c({ mode: "spot", poolId: "  " }, agent)), "400 pool_required");
  assert.equal(code(c({ mode: "spot", poolId: null }, agent)), "400 pool_required");
  assert.equal(
    code(c({ mode: "spot", poolId: "t3.small.us-east-1b" }, agent)),
    "400 pool_type_mismatch",
  );
  assert.equal(code(c({ mode: "ondemand", poolId: null }, agent)), "409 already_in_target");
  const onA = { ...agent, currentMode: "spot", currentPoolId: id("a") };
  assert.equal(code(c({ mode: "spot", poolId: id("a") }, onA)), "409 already_in_target");
  assert.equal(code(c({ mode: "spot", poolId: id("b") }, onA)), "ok");
});

Deno.test("config: DECISION_POLICY problems name the field", () => {
  assert.equal(decisionPolicyProblem("{}"), null);
  assert.equal(decisionPolicyProblem('{"horizonHours": 12}'), null);
  assert.match(decisionPolicyProblem("{not json") ?? "", /JSON object/);
  assert.match(decisionPolicyProblem('{"horizonHours": 0}') ?? "", /^horizonHours: /);
  assert.match(decisionPolicyProblem('{"nope": 1}') ?? "", /nope/);
});
