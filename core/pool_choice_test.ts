import assert from "node:assert/strict";
import {
  choosePool,
  correlationWith,
  decideRebalance,
  emergencyReplicaGate,
  type PoolCandidate,
} from "./pool_choice.ts";

const NOW = new Date("2026-03-10T12:00:00Z");
const minutesAgo = (m: number): Date => new Date(NOW.getTime() - m * 60_000);
const pool = (az: string, price: number | null, risk: number | null): PoolCandidate => ({
  poolId: `t3.medium.${az}`,
  az,
  price,
  riskScore: risk,
});
const A = "t3.medium.us-east-1a";

Deno.test("pool choice: never the failing pool; lowest risk band, then price", () => {
  const r = choosePool({
    failingPoolId: A,
    candidates: [
      pool("us-east-1a", 0.01, 0.0), // failing: cheapest and safest, still excluded
      pool("us-east-1b", 0.040, 0.12), // band 2
      pool("us-east-1c", 0.035, 0.14), // band 2, cheaper → wins
      pool("us-east-1d", 0.020, 0.30), // band 6: cheapest eligible, but riskier
    ],
    notices: [{ poolId: A, at: NOW }],
    now: NOW,
  });
  assert.equal(r.chosen?.poolId, "t3.medium.us-east-1c");
  assert.deepEqual(r.ranked.map((p) => p.poolId), [
    "t3.medium.us-east-1c",
    "t3.medium.us-east-1b",
    "t3.medium.us-east-1d",
  ]);
  assert.deepEqual(r.excluded, [{ poolId: A, reason: "failing_pool", correlation: 1 }]);
});

Deno.test("pool choice: a sibling noticed within 30 min of the failing pool is correlated", () => {
  const r = choosePool({
    failingPoolId: A,
    candidates: [
      pool("us-east-1b", 0.030, 0.10),
      pool("us-east-1c", 0.050, 0.10),
    ],
    // 1b got a notice 10 minutes ago (same burst); 1c one 3 days ago (unrelated).
    notices: [
      { poolId: A, at: NOW },
      { poolId: "t3.medium.us-east-1b", at: minutesAgo(10) },
      { poolId: "t3.medium.us-east-1c", at: minutesAgo(3 * 24 * 60) },
    ],
    now: NOW,
  });
  assert.equal(r.chosen?.poolId, "t3.medium.us-east-1c");
  assert.deepEqual(r.excluded.find((e) => e.poolId === "t3.medium.us-east-1b"), {
    poolId: "t3.medium.us-east-1b",
    reason: "correlated",
    correlation: 1,
  });
});

Deno.test("pool choice: correlation is the share of the failing pool's notices that coincide", () => {
  const at = (m: number) => minutesAgo(m).getTime();
  // Failing pool: 4 notices; the sibling coincides (±30 min) with 1 of them → 0.25.
  assert.equal(
    correlationWith([at(0), at(600), at(1200), at(3000)], [at(620), at(5000)], 30 * 60_000),
    0.25,
  );
  assert.equal(correlationWith([], [at(0)], 30 * 60_000), 0);
  const r = choosePool({
    failingPoolId: A,
    candidates: [pool("us-east-1b", 0.03, 0.1)],
    notices: [
      { poolId: A, at: minutesAgo(0) },
      { poolId: A, at: minutesAgo(600) },
      { poolId: A, at: minutesAgo(1200) },
      { poolId: A, at: minutesAgo(3000) },
      { poolId: "t3.medium.us-east-1b", at: minutesAgo(620) },
    ],
    now: NOW,
  });
  assert.equal(r.chosen?.poolId, "t3.medium.us-east-1b");
  assert.equal(r.chosen?.correlation, 0.25);
});

Deno.test("pool choice: unknown risk counts as 0.45; avoid pools are excluded; none left is null", () => {
  const r = choosePool({
    failingPoolId: A,
    candidates: [
      pool("us-east-1b", 0.010, null), // unknown → 0.45, band 9
      pool("us-east-1c", 0.050, 0.20), // band 4 → wins despite the price
      pool("us-east-1d", 0.005, 0.85), // above maxRisk 0.70
    ],
    notices: [],
    now: NOW,
  });
  assert.equal(r.chosen?.poolId, "t3.medium.us-east-1c");
  assert.equal(r.ranked[1].effectiveRisk, 0.45);
  assert.equal(r.ranked[1].riskKnown, false);
  assert.equal(r.excluded.find((e) => e.poolId === "t3.medium.us-east-1d")?.reason, "too_risky");

  const none = choosePool({
    failingPoolId: A,
    candidates: [pool("us-east-1a", 0.01, 0.1)],
    notices: [],
    now: NOW,
  });
  assert.equal(none.chosen, null);
  assert.match(none.reason, /no eligible pool/);
});

Deno.test("pool choice: emergency gate reasons in order", () => {
  const ok = {
    autoCreate: true,
    agentEnabled: true,
    agentDeleted: false,
    instanceIsPrimary: true,
    manualReplicaEnabled: false,
    readyReplicas: 0,
  };
  assert.deepEqual(emergencyReplicaGate(ok), { allowed: true });
  assert.deepEqual(emergencyReplicaGate({ ...ok, autoCreate: false }), {
    allowed: false,
    reason: "auto_create_disabled",
  });
  assert.deepEqual(emergencyReplicaGate({ ...ok, agentEnabled: false }), {
    allowed: false,
    reason: "agent_disabled",
  });
  assert.deepEqual(emergencyReplicaGate({ ...ok, agentDeleted: true, agentEnabled: false }), {
    allowed: false,
    reason: "agent_deleted",
  });
  assert.deepEqual(emergencyReplicaGate({ ...ok, instanceIsPrimary: false }), {
    allowed: false,
    reason: "not_primary",
  });
  // Manual mode without a ready replica still gets an emergency replica.
  assert.deepEqual(emergencyReplicaGate({ ...ok, manualReplicaEnabled: true }), { allowed: true });
  assert.deepEqual(emergencyReplicaGate({ ...ok, manualReplicaEnabled: true, readyReplicas: 1 }), {
    allowed: false,
    reason: "manual_replica_ready",
  });
});

Deno.test("pool choice: rebalance stays in a low-risk pool and switches from a risky one", () => {
  const choice = choosePool({
    failingPoolId: A,
    candidates: [pool("us-east-1b", 0.03, 0.1)],
    notices: [],
    now: NOW,
  });
  const low = decideRebalance({ currentRisk: 0.4, mediumThreshold: 0.4, choice });
  assert.equal(low.action, "stay");
  assert.equal(low.code, "low_risk");
  const high = decideRebalance({ currentRisk: 0.9, mediumThreshold: 0.4, choice });
  assert.equal(high.action, "switch");
  assert.equal(high.target?.poolId, "t3.medium.us-east-1b");
  // Elevated, but the best alternative is not safer by the margin.
  const close = decideRebalance({
    currentRisk: 0.45,
    mediumThreshold: 0.4,
    choice: {
      ...choice,
      chosen: { ...choice.chosen!, effectiveRisk: 0.4 },
    },
  });
  assert.equal(close.action, "stay");
  assert.equal(close.code, "no_safer_pool");
});
