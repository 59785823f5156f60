/**
 * Property-style tests of decide() over generated worlds: random-walk prices with spikes, drifting
 * risk with jumps, stale quotes, and random agent configs, all from a seeded PRNG so every failure
 * replays exactly (the seed is in the assertion message).
 */
import assert from "node:assert/strict";
import {
  type AgentConfig,
  type DecisionPolicy,
  DEFAULT_DECISION_POLICY,
} from "./decision_policy.ts";
import { decide, type DecisionInput, type PoolQuote, type ReasonCode } from "./decisions.ts";
import type { InstanceMode, SwitchRecord } from "./switch_limits.ts";

const H = 3_600_000;
const T = "c5.large";
const SEEDS = 40;

function prng(seed: number): () => number {
  // xorshift32: tiny, fast and good enough to drive test data; never 0 for a non-zero state.
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

interface Move {
  t: number;
  code: ReasonCode;
  to: InstanceMode;
}

interface World {
  seed: number;
  config: AgentConfig;
  policy: DecisionPolicy;
  moves: Move[];
  /** Counters that prove the properties were not checked on an idle world. */
  seen: { riskExits: number; blocked: number; staleSteps: number };
}

function simulate(seed: number): World {
  const rand = prng(seed);
  const pick = <V>(xs: V[]): V => xs[Math.floor(rand() * xs.length)];
  const config: AgentConfig = {
    autoSwitchEnabled: true,
    minSavingsPercent: pick([5, 10, 15, 25]),
    riskThreshold: pick([0.2, 0.3, 0.45]),
    maxSwitchesPerDay: 1 + Math.floor(rand() * 4),
    maxSwitchesPerWeek: 2 + Math.floor(rand() * 10),
    minPoolDurationHours: pick([0.5, 1, 2, 4]),
  };
  const policy: DecisionPolicy = {
    ...DEFAULT_DECISION_POLICY,
    emergencyAllowance: Math.floor(rand() * 3),
    hysteresisFactor: pick([1, 2, 3]),
    riskExitLevel: pick([0.5, 0.7]),
  };
  const maxAgeMs = policy.maxPriceAgeMinutes * 60_000;
  const azs = ["a", "b", "c"];
  const sigma = azs.map(() => pick([0.01, 0.05, 0.15]));
  const price = azs.map(() => 0.03 + rand() * 0.08);
  const risk: (number | null)[] = azs.map(() => (rand() < 0.15 ? null : rand() * 0.4));
  const world: World = {
    seed,
    config,
    policy,
    moves: [],
    seen: { riskExits: 0, blocked: 0, staleSteps: 0 },
  };
  let mode: InstanceMode = "ondemand";
  let pool: string | null = null;
  let since: Date | null = null;
  const switches: SwitchRecord[] = [];
  let t = Date.parse("2025-02-01T00:00:00Z");
  const end = t + 7 * 24 * H;
  for (let step = 0; t < end; step++, t += pick([5, 5, 5, 10, 30]) * 60_000) {
    const now = new Date(t);
    const pools: PoolQuote[] = azs.map((az, i) => {
      price[i] = Math.min(0.5, Math.max(0.01, price[i] * Math.exp((rand() - 0.5) * 2 * sigma[i])));
      const spike = rand() < 0.01 ? 3 : 1;
      const r = risk[i];
      if (r !== null) {
        risk[i] = rand() < 0.006 ? 0.9 : Math.min(1, Math.max(0, r + (rand() - 0.55) * 0.08));
      }
      const stale = rand() < 0.05;
      return {
        poolId: `${T}.us-east-1${az}`,
        instanceType: T,
        az: `us-east-1${az}`,
        price: price[i] * spike,
        at: new Date(stale ? t - maxAgeMs - 60_000 : t - rand() * 300_000),
        risk: risk[i] === null ? null : Math.round((risk[i] as number) * 1e4) / 1e4,
      };
    });
    const odStale = rand() < 0.02;
    const input: DecisionInput = {
      instance: {
        mode,
        poolId: pool,
        instanceType: T,
        region: "us-east-1",
        az: "us-east-1a",
        poolSince: since,
      },
      onDemand: {
        price: 0.085 + (rand() < 0.01 ? 0.02 : 0),
        at: new Date(odStale ? t - maxAgeMs - 1 : t),
      },
      pools,
      config,
      recentSwitches: switches.filter((s) => t - s.at.getTime() < 7 * 24 * H),
      now,
    };
    const d = decide(input, policy);
    const tag = `seed ${seed} at ${now.toISOString()}`;

    // Deterministic: the same input (in any pool order) gives the same decision.
    if (step % 25 === 0) {
      assert.deepEqual(decide({ ...input, pools: [...pools].reverse() }, policy), d, tag);
    }
    // A stale price never moves anything: with every price stale only the risk exit may act.
    const allStale = {
      ...input,
      onDemand: { price: input.onDemand!.price, at: new Date(t - maxAgeMs - 1) },
      pools: pools.map((q) => ({ ...q, at: new Date(t - maxAgeMs - 1) })),
    };
    const s = decide(allStale, policy);
    assert.ok(
      s.action === "stay" || s.reasonCode === "risk_exit",
      `${tag}: stale moved (${s.reason})`,
    );
    // A stale quote is never a target, and a stale on-demand price blocks every price-driven move.
    const staleIds = new Set(
      pools.filter((q) => t - q.at.getTime() > maxAgeMs).map((q) => q.poolId),
    );
    if (staleIds.size > 0 || odStale) world.seen.staleSteps++;
    assert.ok(!d.targetPoolId || !staleIds.has(d.targetPoolId), `${tag}: targeted a stale pool`);
    if (odStale) {
      assert.ok(d.action === "stay" || d.reasonCode === "risk_exit", `${tag}: ${d.reason}`);
    }

    if (d.blocked) world.seen.blocked++;
    if (d.action === "stay" || !d.autoExecute || d.targetMode === null) continue;
    if (d.reasonCode === "risk_exit") world.seen.riskExits++;
    world.moves.push({ t, code: d.reasonCode, to: d.targetMode });
    switches.push({
      at: now,
      fromMode: mode,
      toMode: d.targetMode,
      fromPool: pool,
      toPool: d.targetPoolId,
      downtimeSeconds: 60 + rand() * 120,
    });
    mode = d.targetMode;
    pool = d.targetPoolId;
    since = now;
  }
  return world;
}

// Simulated on first use inside a test, so an assertion failing mid-simulation fails a test.
let cache: World[] | null = null;
function worlds(): World[] {
  cache ??= Array.from({ length: SEEDS }, (_, i) => simulate(i + 1));
  return cache;
}

Deno.test("property: stale prices never move anything; the same input decides the same", () => {
  // Both are asserted at every simulated step (see simulate); this runs the simulation.
  assert.equal(worlds().length, SEEDS);
});

Deno.test("property: no rolling 24 h or 7 d window holds more moves than the limits allow", () => {
  for (const w of worlds()) {
    const { maxSwitchesPerDay: day, maxSwitchesPerWeek: week } = w.config;
    const allowance = w.policy.emergencyAllowance;
    for (const m of w.moves) {
      for (const [hours, limit] of [[24, day], [168, week]]) {
        const inWindow = w.moves.filter((x) => x.t > m.t - hours * H && x.t <= m.t);
        const exits = inWindow.filter((x) => x.code === "risk_exit").length;
        // Normal moves never exceed the limit; only risk exits may use the documented allowance.
        const max = limit + Math.min(allowance, exits);
        assert.ok(
          inWindow.length <= max,
          `seed ${w.seed}: ${inWindow.length} moves in ${hours} h > ${max}`,
        );
      }
    }
  }
});

Deno.test("property: nothing moves inside the dwell time except the risk exit", () => {
  for (const w of worlds()) {
    for (let i = 1; i < w.moves.length; i++) {
      const [prev, cur] = [w.moves[i - 1], w.moves[i]];
      const dwell = (cur.t - prev.t) / H;
      const ok = cur.code === "risk_exit" || dwell >= w.config.minPoolDurationHours;
      assert.ok(
        ok,
        `seed ${w.seed}: ${cur.code} after ${dwell} h < ${w.config.minPoolDurationHours} h`,
      );
      // The risk exit always goes to on-demand.
      if (cur.code === "risk_exit") assert.equal(cur.to, "ondemand");
    }
  }
});

Deno.test("property: the generated worlds exercise moves, exits, blocks and stale prices", () => {
  const sum = (f: (w: World) => number): number => worlds().reduce((a, w) => a + f(w), 0);
  assert.ok(sum((w) => w.moves.length) > SEEDS, "too few moves to mean anything");
  assert.ok(sum((w) => w.seen.riskExits) > 0, "no risk exit was generated");
  assert.ok(sum((w) => w.seen.blocked) > 0, "no move was ever blocked by dwell or limits");
  assert.ok(sum((w) => w.seen.staleSteps) > 0, "no stale price was generated");
});

Deno.test("property: simulation is deterministic for a seed", () => {
  assert.deepEqual(simulate(7), worlds()[6]);
});
