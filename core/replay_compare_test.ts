import assert from "node:assert/strict";
import { parseTraceCsv, type TracePoint } from "./trace_csv.ts";
import { compareAll } from "./replay_compare.ts";
import { toGrid } from "./replay_grid.ts";
import { optimumPlan } from "./replay_optimum.ts";
import { buckets, scoreCosts } from "./replay_score.ts";
import { DEFAULT_AGENT_CONFIG, DEFAULT_DECISION_POLICY } from "./decision_policy.ts";

const fixture = async (name: string) =>
  parseTraceCsv(
    await Deno.readTextFile(new URL(`../tests/fixtures/regime_${name}.csv`, import.meta.url)),
  );

const HEAD = "time,pool_id,instance_type,az,region,spot_price,ondemand_price,event";
const row = (t: string, az: string, price: number, type = "m5.large", od = 1) =>
  `2025-01-01T00:${t}:00Z,${type}.${az},${type},${az},us-east-1,${price},${od},`;

// Two pools, change-only: a is cheapest until it jumps at 00:10; b is interrupted at 00:12.
const TINY = [
  HEAD,
  row("00", "a", 0.2),
  row("00", "b", 0.3),
  row("10", "a", 0.5),
  row("20", "a", 0.5),
  "2025-01-01T00:12:00Z,m5.large.b,m5.large,b,us-east-1,,,interruption",
].join("\n");

Deno.test("replay v2: baselines hand-checked on a tiny change-only trace", () => {
  const t = parseTraceCsv(TINY);
  const c = compareAll(t.points, t.interruptions, { skipEngine: true });
  assert.equal(c.steps, 5); // 00:00..00:20 every 300 s: b is re-sent though its rows stop at 00:00
  const by = Object.fromEntries(c.policies.map((p) => [p.policy, p]));
  // 4 steps of 1/12 h at $1.
  assert.equal(by["always on-demand"].total_cost, 0.3333);
  // a: 2 steps at 0.2, 2 at 0.5.
  assert.equal(by.static.total_cost, round4(1.4 / 12));
  assert.equal(by["replace-on-interruption"].total_cost, round4(1.4 / 12));
  // greedy: to b at 00:10 (overlap 600 s at a's 0.5 + 120 s at $1/h), interrupted in 00:10-00:15
  // ($0.35), back to b at 00:15 (overlap at on-demand $1 + 120 s): a relaunch right after an
  // interruption completes the forced exit, so it is not a flap.
  const greedy = 0.4 / 12 + 0.6 / 12 + (0.5 / 6 + 1 / 30) + 0.35 + (1 / 6 + 1 / 30);
  assert.equal(by.greedy.total_cost, round4(greedy));
  assert.deepEqual([by.greedy.moves, by.greedy.flaps, by.greedy.interruptions], [2, 0, 1]);
  assert.equal(by.greedy.interruption_cost, 0.35);
  assert.equal(by.optimum.total_cost, round4(1.4 / 12));
  assert.equal(by.optimum.pct_of_optimum, 100);
});

Deno.test("replay v2: --interrupt-above-ondemand terminates a spot instance above on-demand", () => {
  const text = [HEAD, row("00", "a", 0.2), row("05", "a", 1.5), row("10", "a", 0.2)].join("\n");
  const t = parseTraceCsv(text);
  const plain = compareAll(t.points, t.interruptions, { skipEngine: true });
  const bid = compareAll(t.points, t.interruptions, {
    skipEngine: true,
    interruptAboveOnDemand: true,
  });
  const stat = (c: typeof plain) => c.policies.find((p) => p.policy === "static")!;
  assert.equal(stat(plain).interruptions, 0);
  assert.equal(stat(bid).interruptions, 1);
  assert.equal(stat(bid).total_cost, round4(0.2 / 12 + 1.5 / 12 + 0.35));
});

Deno.test("replay v2: --instance-type picks one type of a mixed trace", () => {
  const text = [HEAD, row("00", "a", 0.2), row("05", "a", 0.3), row("00", "a", 2, "c5.xlarge", 4)]
    .join("\n");
  const t = parseTraceCsv(text);
  assert.throws(() => compareAll(t.points, [], { skipEngine: true }), /--instance-type/);
  const c = compareAll(t.points, [], { skipEngine: true, instanceType: "m5.large" });
  assert.equal(c.instance_type, "m5.large");
  assert.equal(c.policies[0].total_cost, round4(1 / 12));
});

const PINNED: [string, boolean, [number, number, number][]][] = [
  // [total $, moves, interruptions] of: always on-demand, static, greedy, replace, optimum
  ["drift", false, [[32.248, 0, 0], [14.275, 0, 0], [13.3514, 7, 0], [14.275, 0, 0], [
    13.3109,
    2,
    0,
  ]]],
  ["bid_era", true, [[33.4154, 0, 0], [16.503, 0, 1], [15.7683, 6, 2], [10.4945, 2, 2], [
    9.5659,
    1,
    0,
  ]]],
  ["bid_era", false, [[33.4154, 0, 0], [26.2458, 0, 0], [11.074, 6, 0], [26.2458, 0, 0], [
    9.5659,
    1,
    0,
  ]]],
  ["cheap_noisy", false, [[5.9835, 0, 0], [2.0538, 0, 0], [2.4331, 9, 0], [2.0538, 0, 0], [
    2.0538,
    0,
    0,
  ]]],
  ["dip_above_od", false, [[9.0615, 0, 0], [5.0342, 0, 0], [5.2608, 4, 0], [5.0342, 0, 0], [
    5.0342,
    0,
    0,
  ]]],
  ["storms", false, [[32.24, 0, 0], [31.0097, 0, 1], [26.1972, 10, 2], [13.1836, 5, 5], [
    11.1035,
    5,
    0,
  ]]],
];

for (const [name, bid, pinned] of PINNED) {
  Deno.test(`replay v2: ${name}${bid ? " (bid era)" : ""}: optimum <= baselines, limits, pins`, async () => {
    const t = await fixture(name);
    const opts = { skipEngine: true, interruptAboveOnDemand: bid };
    const c = compareAll(t.points, t.interruptions, opts);
    const opt = c.policies[c.policies.length - 1];
    assert.equal(opt.policy, "optimum");
    for (const p of c.policies) assert.ok(opt.total_cost <= p.total_cost, p.policy);
    assert.deepEqual(
      c.policies.map((p) => [p.total_cost, p.moves, p.interruptions]),
      pinned,
    );
    // The plan re-scored by the shared simulator costs what the programme found, within the limits.
    const grid = toGrid(t.points, t.interruptions, { interruptAboveOnDemand: bid });
    const costs = scoreCosts(DEFAULT_DECISION_POLICY, DEFAULT_AGENT_CONFIG);
    const o = optimumPlan(grid, costs);
    assert.equal(round4(o.cost), opt.total_cost);
    const perDay = new Map<number, number>();
    const perWeek = new Map<number, number>();
    for (let i = 1; i < o.plan.length; i++) {
      const prevAt = o.plan[i - 1];
      const forced = prevAt !== -1 && grid.interrupts[i - 1].has(prevAt);
      const from = forced ? -1 : prevAt;
      if (o.plan[i] === from) continue;
      const b = buckets(grid, i);
      perDay.set(b.day, (perDay.get(b.day) ?? 0) + 1);
      perWeek.set(b.week, (perWeek.get(b.week) ?? 0) + 1);
    }
    for (const n of perDay.values()) assert.ok(n <= DEFAULT_AGENT_CONFIG.maxSwitchesPerDay);
    for (const n of perWeek.values()) assert.ok(n <= DEFAULT_AGENT_CONFIG.maxSwitchesPerWeek);
  });
}

Deno.test("replay v2: the engine runs and is scored on every regime; deterministic", async () => {
  for (const [name, bid] of PINNED) {
    const t = await fixture(name);
    const c = compareAll(t.points, t.interruptions, { interruptAboveOnDemand: bid });
    const engine = c.policies[0];
    assert.equal(engine.policy, "engine");
    assert.ok(Number.isFinite(engine.savings_pct));
    assert.ok(engine.total_cost >= c.policies[c.policies.length - 1].total_cost, name);
    assert.ok(engine.pct_of_optimum !== null && engine.pct_of_optimum <= 100);
    if (name === "cheap_noisy") {
      assert.deepEqual(compareAll(t.points, t.interruptions, { interruptAboveOnDemand: bid }), c);
    }
  }
});

Deno.test("replay v2: a change-only trace scores as its re-sent step function", () => {
  const sparse = parseTraceCsv(
    [HEAD, row("00", "a", 0.2), row("00", "b", 0.3), row("30", "a", 0.4)].join("\n"),
  );
  const dense: TracePoint[] = [];
  for (let m = 0; m <= 30; m += 5) {
    const mm = String(m).padStart(2, "0");
    dense.push(
      ...parseTraceCsv([HEAD, row(mm, "a", m < 30 ? 0.2 : 0.4), row(mm, "b", 0.3)].join("\n"))
        .points,
    );
  }
  const a = compareAll(sparse.points, []);
  const b = compareAll(dense, []);
  for (const p of [...a.policies, ...b.policies]) delete p.plan;
  assert.deepEqual(a, b);
});

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
