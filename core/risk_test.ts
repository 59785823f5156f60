import assert from "node:assert/strict";
import {
  DEFAULT_RISK_OPTIONS,
  hazardOf,
  ownNoticeRisk,
  type PoolEvent,
  type PriceSnapshot,
  recommendationFor,
  scorePool,
} from "./risk.ts";

// Expected values are worked by hand from the module's formula: P = 1 − e^(−24·λ), λ in 1/h.
const NOW = new Date("2024-01-15T12:00:00Z");
const minutesAgo = (m: number): Date => new Date(NOW.getTime() - m * 60_000);
const hoursAgo = (h: number): Date => minutesAgo(h * 60);
const notice = (at: Date, clientId?: string): PoolEvent => ({
  at,
  kind: "termination_notice",
  clientId,
});
const rebalance = (at: Date): PoolEvent => ({ at, kind: "rebalance_recommendation" });
const hourly = (values: number[]): PriceSnapshot[] =>
  values.map((price, i) => ({ at: hoursAgo(values.length - 1 - i), price }));

// mean 0.04, population std 0.004, cv 0.1 (reported, not an input)
const CALM: PriceSnapshot[] = [
  { at: hoursAgo(2), price: 0.044 },
  { at: hoursAgo(20), price: 0.036 },
];
const FLAT: PriceSnapshot[] = [{ at: hoursAgo(1), price: 0.05 }];

Deno.test("risk: a calm pool without events has the base hazard only", () => {
  // λ = 0.0001 → P = 1 − e^(−0.0024) = 0.0024
  const r = scorePool({ prices: CALM, events: [], now: NOW });
  assert.equal(r.avgPrice24h, 0.04);
  assert.equal(r.minPrice24h, 0.036);
  assert.equal(r.maxPrice24h, 0.044);
  assert.equal(r.priceVolatility, 0.1);
  assert.equal(r.interruptionFrequency, 0);
  assert.equal(r.components.priceRatio, null);
  assert.equal(r.components.priceHazard, 0);
  assert.equal(r.components.baseHazard, 0.0001);
  assert.equal(r.components.expectedInterruptions, 0.0024);
  assert.equal(r.riskScore, 0.0024);
  assert.equal(r.recommendation, "safe");
});

Deno.test("risk: a cheap pool's relative volatility is not risk", () => {
  // $0.02 ↔ $0.06 (cv 0.5) far below on-demand $0.20: near 0, never above → π = 0
  const prices = hourly([0.02, 0.06, 0.02, 0.06]);
  const r = scorePool({ prices, events: [], now: NOW, onDemandPrice: 0.2 });
  assert.equal(r.priceVolatility, 0.5);
  assert.equal(r.components.priceRatio, 0.3);
  assert.equal(r.components.scarcity, 0);
  assert.equal(r.riskScore, 0.0024);
});

Deno.test("risk: a price near on-demand is scarcity", () => {
  // 0.084 / 0.1 = 0.84 → near = 0.04 / 0.2 = 0.2; π = 0.25 · 0.2 = 0.05 → P = 0.6995 caution
  const near = scorePool({ prices: hourly([0.084]), events: [], now: NOW, onDemandPrice: 0.1 });
  assert.equal(near.components.scarcity, 0.2);
  assert.equal(near.components.priceHazard, 0.05);
  assert.equal(near.riskScore, 0.6995);
  assert.equal(near.recommendation, "caution");
  // 0.09 / 0.1 → near 0.5; π = 0.125 → P = 0.9503 avoid
  const nearer = scorePool({ prices: hourly([0.09]), events: [], now: NOW, onDemandPrice: 0.1 });
  assert.equal(nearer.riskScore, 0.9503);
  assert.equal(nearer.recommendation, "avoid");
  // exactly 0.8 × on-demand: near 0 → base only
  const at = scorePool({ prices: hourly([0.08]), events: [], now: NOW, onDemandPrice: 0.1 });
  assert.equal(at.riskScore, 0.0024);
});

Deno.test("risk: a pool that sat above on-demand and dips once stays scarce", () => {
  // 23 of 24 hourly snapshots at 2.4× on-demand, latest at 0.32×: above share 23/24;
  // π = max(0.25 · 0.9583, 1 episode / 24 h) = 0.239583 → P = 0.9968
  const prices = hourly([...Array(23).fill(0.3), 0.04]);
  const r = scorePool({ prices, events: [], now: NOW, onDemandPrice: 0.126 });
  assert.equal(r.components.aboveOnDemandEpisodes, 1);
  assert.equal(r.components.scarcity, 0.9583);
  assert.equal(r.riskScore, 0.9968);
  assert.equal(r.recommendation, "avoid");
});

Deno.test("risk: short spikes above on-demand count as episodes per hour", () => {
  // 3 one-hour spikes in 24 h: share 3/24 → 0.03125; episodes 3 / 24 h = 0.125 → P = 0.9503
  const values = Array(24).fill(0.05);
  for (const i of [2, 10, 18]) values[i] = 0.5;
  const r = scorePool({ prices: hourly(values), events: [], now: NOW, onDemandPrice: 0.2 });
  assert.equal(r.components.aboveOnDemandEpisodes, 3);
  assert.equal(r.components.priceHazard, 0.125);
  assert.equal(r.riskScore, 0.9503);
});

Deno.test("risk: empty inputs are unknown, not safe", () => {
  // no price: π = 0.025 → λ = 0.0251 → P = 0.4525 > 0.40 → caution
  const r = scorePool({ prices: [], events: [], now: NOW });
  assert.equal(r.avgPrice24h, null);
  assert.equal(r.minPrice24h, null);
  assert.equal(r.maxPrice24h, null);
  assert.equal(r.priceVolatility, 0);
  assert.equal(r.interruptionFrequency, 0);
  assert.equal(r.components.priceKnown, false);
  assert.equal(r.riskScore, 0.4525);
  assert.equal(r.recommendation, "caution");
  assert.match(r.explanation, /no price data/);
});

Deno.test("risk: points outside 24 h are ignored", () => {
  const prices = [...FLAT, { at: hoursAgo(25), price: 0.5 }];
  const r = scorePool({ prices, events: [], now: NOW, onDemandPrice: 0.1 });
  assert.equal(r.avgPrice24h, 0.05);
  assert.equal(r.maxPrice24h, 0.05);
  assert.equal(r.components.aboveOnDemandEpisodes, 0);
  assert.equal(r.riskScore, 0.0024);
});

Deno.test("risk: an own notice decays with a 12 h half-life and is gone past 30 days", () => {
  // 2 h: E = 0.5^(2/12) = 0.890899; λ = 0.0001 + 0.008 E = 0.007227 → P = 0.1592 safe
  const recent = scorePool({ prices: FLAT, events: [notice(hoursAgo(2))], now: NOW });
  assert.equal(recent.components.evidence, 0.8909);
  assert.equal(recent.riskScore, 0.1592);
  assert.equal(recent.recommendation, "safe");
  const gone = scorePool({ prices: FLAT, events: [notice(hoursAgo(31 * 24))], now: NOW });
  assert.equal(gone.riskScore, 0.0024);
  assert.equal(gone.interruptionFrequency, 0);
});

Deno.test("risk: a fresh termination notice puts the pool at avoid for 10 minutes", () => {
  const r = scorePool({ prices: FLAT, events: [notice(minutesAgo(10))], now: NOW });
  assert.equal(r.riskScore, 0.9);
  assert.equal(r.recommendation, "avoid");
  assert.equal(r.components.freshNoticeFloor, 0.9);
  assert.equal(r.components.lastNoticeMinutesAgo, 10);
  assert.match(r.explanation, /termination notice 10 min ago/);
  // A notice reported with a clock slightly ahead of ours counts as fresh, at age 0.
  const skewed = scorePool({ prices: FLAT, events: [notice(minutesAgo(-1))], now: NOW });
  assert.equal(skewed.recommendation, "avoid");
  // 11 min: no floor; E = 0.5^(11/60/12) → P = 0.1750
  const later = scorePool({ prices: FLAT, events: [notice(minutesAgo(11))], now: NOW });
  assert.equal(later.components.freshNoticeFloor, 0);
  assert.equal(later.riskScore, 0.175);
});

Deno.test("risk: the fresh-notice floor stays above a raised high threshold", () => {
  const opts = { highThreshold: 0.95 };
  const r = scorePool({ prices: FLAT, events: [notice(minutesAgo(5))], now: NOW }, opts);
  assert.equal(r.riskScore, 0.9501);
  assert.equal(r.recommendation, "avoid");
});

Deno.test("risk: a rebalance recommendation weighs a quarter of a notice and has no floor", () => {
  // E = 0.25 · 0.5^(1/60/12) ≈ 0.2497; λ = 0.0001 + 0.001998 → P = 0.0491
  const r = scorePool({ prices: FLAT, events: [rebalance(minutesAgo(1))], now: NOW });
  assert.equal(r.components.freshNoticeFloor, 0);
  assert.equal(r.riskScore, 0.0491);
  assert.equal(r.recommendation, "safe");
});

Deno.test("risk: notices in the type's other AZs are a burst that decays within the hour", () => {
  const sibling = [notice(minutesAgo(1)), notice(minutesAgo(3))];
  const now = scorePool({ prices: FLAT, events: [], siblingEvents: sibling, now: NOW });
  assert.equal(now.riskScore, 1);
  assert.equal(now.recommendation, "avoid");
  // an hour later: S = 0.5^(61/6) + 0.5^(63/6) = 0.00156; λ = 0.0001 + 8 S → P = 0.2607
  const later = scorePool({
    prices: FLAT,
    events: [],
    siblingEvents: [notice(minutesAgo(61)), notice(minutesAgo(63))],
    now: NOW,
  });
  assert.equal(later.riskScore, 0.2607);
  // one sibling notice alone is not yet a burst
  const one = scorePool({ prices: FLAT, events: [], siblingEvents: [sibling[0]], now: NOW });
  assert.equal(one.riskScore, 0.0024);
});

Deno.test("risk: a burst that already passed through the pool does not count again", () => {
  // own notice 15 min ago, sibling notices 14 and 20 min ago (same burst): S = 0;
  // E = 0.5^(0.25/12) → P = 0.1744
  const r = scorePool({
    prices: FLAT,
    events: [notice(minutesAgo(15))],
    siblingEvents: [notice(minutesAgo(14)), notice(minutesAgo(20))],
    now: NOW,
  });
  assert.equal(r.components.siblingEvidence, 0);
  assert.equal(r.riskScore, 0.1744);
});

Deno.test("risk: an operator's band hazard replaces the base hazard", () => {
  // λ = 0.002 → P = 1 − e^(−0.048) = 0.0469
  const r = scorePool({ prices: FLAT, events: [], now: NOW, bandHazard: 0.002 });
  assert.equal(r.components.baseHazard, 0.002);
  assert.equal(r.riskScore, 0.0469);
});

Deno.test("risk: hazardOf inverts the score's probability", () => {
  assert.equal(hazardOf(0, 24), 0);
  assert.equal(round6(hazardOf(0.5, 24)), 0.028881);
  // a certain interruption keeps a finite price: p is clamped to 0.9999
  assert.equal(round6(hazardOf(1, 24)), 0.383764);
  for (const p of [0.0024, 0.1592, 0.9503]) {
    assert.ok(Math.abs(1 - Math.exp(-hazardOf(p, 24) * 24) - p) < 1e-12);
  }
});

Deno.test("risk: thresholds are exclusive (equal stays in the lower band)", () => {
  const t = DEFAULT_RISK_OPTIONS;
  assert.equal(recommendationFor(0, t), "safe");
  assert.equal(recommendationFor(0.4, t), "safe");
  assert.equal(recommendationFor(0.4001, t), "caution");
  assert.equal(recommendationFor(0.7, t), "caution");
  assert.equal(recommendationFor(0.7001, t), "avoid");
  assert.equal(recommendationFor(1, t), "avoid");
});

Deno.test("risk: configured thresholds move the bands", () => {
  const input = { prices: [], events: [], now: NOW }; // score 0.4525
  assert.equal(scorePool(input, { mediumThreshold: 0.4525 }).recommendation, "safe");
  assert.equal(scorePool(input, { mediumThreshold: 0.4524 }).recommendation, "caution");
  assert.equal(
    scorePool(input, { mediumThreshold: 0.1, highThreshold: 0.4524 }).recommendation,
    "avoid",
  );
});

Deno.test("risk: input order does not matter", () => {
  const events = [notice(hoursAgo(72)), rebalance(NOW), notice(hoursAgo(144)), rebalance(NOW)];
  const siblings = [notice(minutesAgo(30)), notice(minutesAgo(40))];
  const a = scorePool({
    prices: [...CALM],
    events: [...events],
    siblingEvents: siblings,
    now: NOW,
  });
  const b = scorePool({
    prices: [...CALM].reverse(),
    events: [...events].reverse(),
    siblingEvents: [...siblings].reverse(),
    now: NOW,
  });
  assert.deepEqual(a, b);
});

Deno.test("risk: one client's notices are capped and never reach the floor or a burst alone", () => {
  const prices = [{ at: NOW, price: 0.05 }];
  const b = [notice(minutesAgo(5), "b"), notice(minutesAgo(3), "b"), notice(minutesAgo(1), "b")];
  // E capped at 0.25 → λ = 0.0021 → P = 0.0492
  const one = scorePool({ prices, events: b, now: NOW });
  assert.equal(one.components.freshNoticeFloor, 0);
  assert.equal(one.riskScore, 0.0492);
  const two = scorePool({ prices, events: [b[0], notice(minutesAgo(1), "c")], now: NOW });
  assert.ok(two.riskScore > 0.7, `two tenants confirm, got ${two.riskScore}`);
  // the same in the type's other AZs: one tenant is no burst, two are
  const sibOne = scorePool({ prices, events: [], siblingEvents: b, now: NOW });
  assert.equal(sibOne.riskScore, 0.0024);
  const sibTwo = scorePool({
    prices,
    events: [],
    siblingEvents: [b[0], notice(minutesAgo(1), "c")],
    now: NOW,
  });
  assert.ok(sibTwo.riskScore > 0.7, `two tenants' burst, got ${sibTwo.riskScore}`);
});

Deno.test("risk: a client's own notice raises its own view for freshNoticeMinutes", () => {
  assert.equal(ownNoticeRisk(0.1, { ownNoticeAt: minutesAgo(2), now: NOW }), 0.9);
  assert.equal(ownNoticeRisk(0.1, { ownNoticeAt: minutesAgo(10), now: NOW }), 0.9);
  assert.equal(ownNoticeRisk(0.1, { ownNoticeAt: minutesAgo(11), now: NOW }), 0.1);
  assert.equal(ownNoticeRisk(null, { ownNoticeAt: null, now: NOW }), null);
});

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
