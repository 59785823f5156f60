import assert from "node:assert/strict";
import {
  DEFAULT_RISK_OPTIONS,
  ownNoticeRisk,
  type PoolEvent,
  type PriceSnapshot,
  recommendationFor,
  scorePool,
} from "./risk.ts";

const NOW = new Date("2024-01-15T12:00:00Z");
const minutesAgo = (m: number): Date => new Date(NOW.getTime() - m * 60_000);
const hoursAgo = (h: number): Date => minutesAgo(h * 60);
const notice = (at: Date): PoolEvent => ({ at, kind: "termination_notice" });
const rebalance = (at: Date): PoolEvent => ({ at, kind: "rebalance_recommendation" });

// mean 0.04, population std 0.004, cv 0.1 → v = 0.1 / 0.20 = 0.5;
// latest (−2 h) 0.044 vs min 0.036: rise 0.2222 / 0.50 = 0.4444; P = 0.6 · max(0.5, 0.4444) = 0.30
const CALM: PriceSnapshot[] = [
  { at: hoursAgo(2), price: 0.044 },
  { at: hoursAgo(20), price: 0.036 },
];
// One point: v = 0 and r = 0, so P = 0 and the score is the interruption risk alone.
const FLAT: PriceSnapshot[] = [{ at: hoursAgo(1), price: 0.05 }];

Deno.test("risk: calm prices and no events is safe at the price risk alone", () => {
  const r = scorePool({ prices: CALM, events: [], now: NOW });
  assert.equal(r.avgPrice24h, 0.04);
  assert.equal(r.minPrice24h, 0.036);
  assert.equal(r.maxPrice24h, 0.044);
  assert.equal(r.priceVolatility, 0.1);
  assert.equal(r.interruptionFrequency, 0);
  assert.equal(r.components.volatilityRisk, 0.5);
  assert.equal(r.components.riseRisk, 0.4444);
  assert.equal(r.components.levelRisk, null);
  assert.equal(r.components.priceRisk, 0.3);
  assert.equal(r.riskScore, 0.3);
  assert.equal(r.recommendation, "safe");
});

Deno.test("risk: decayed notices plus rebalances reach caution, one more notice reaches avoid", () => {
  // E = 0.5^(72/72) + 0.5^(144/72) + 2 · 0.25 = 0.5 + 0.25 + 0.5 = 1.25; I = 1.25 / 2.25 = 5/9
  // score = 1 − (4/9)(1 − 0.3) = 1 − 0.311111 = 0.688889 → 0.6889 caution
  const events = [notice(hoursAgo(72)), notice(hoursAgo(144)), rebalance(NOW), rebalance(NOW)];
  const caution = scorePool({ prices: CALM, events, now: NOW });
  assert.equal(caution.components.evidence, 1.25);
  assert.equal(caution.components.interruptionRisk, 0.5556);
  assert.equal(caution.riskScore, 0.6889);
  assert.equal(caution.recommendation, "caution");
  assert.equal(caution.interruptionFrequency, 4);
  assert.equal(caution.components.terminationNotices, 2);
  assert.equal(caution.components.rebalanceRecommendations, 2);
  assert.equal(caution.components.freshNoticeFloor, 0);

  // + another notice 72 h ago: E = 1.75; I = 7/11; score = 1 − (4/11)(0.7) = 0.745455 → 0.7455 avoid
  const avoid = scorePool({ prices: CALM, events: [...events, notice(hoursAgo(72))], now: NOW });
  assert.equal(avoid.riskScore, 0.7455);
  assert.equal(avoid.recommendation, "avoid");
  assert.equal(avoid.interruptionFrequency, 5);
  assert.match(avoid.explanation, /^avoid \(0\.7455\)/);
});

Deno.test("risk: volatile prices alone reach caution but never avoid", () => {
  // mean 0.04, std 0.02, cv 0.5 → v = min(1, 2.5) = 1; P = 0.6 · 1 = 0.6
  const prices = [{ at: hoursAgo(1), price: 0.06 }, { at: hoursAgo(20), price: 0.02 }];
  const r = scorePool({ prices, events: [], now: NOW });
  assert.equal(r.priceVolatility, 0.5);
  assert.equal(r.riskScore, 0.6);
  assert.equal(r.recommendation, "caution");
});

Deno.test("risk: a spot price near on-demand adds the level signal", () => {
  // 0.08 / 0.10 = 0.8 → l = (0.8 − 0.5) / 0.5 = 0.6; P = 0.6 · 0.6 = 0.36 → safe
  const prices = [{ at: hoursAgo(1), price: 0.08 }];
  const near = scorePool({ prices, events: [], now: NOW, onDemandPrice: 0.1 });
  assert.equal(near.components.levelRisk, 0.6);
  assert.equal(near.riskScore, 0.36);
  assert.equal(near.recommendation, "safe");
  // 0.08 / 0.09 = 0.8889 → l = 0.7778; P = 0.466667 → caution
  const nearer = scorePool({ prices, events: [], now: NOW, onDemandPrice: 0.09 });
  assert.equal(nearer.riskScore, 0.4667);
  assert.equal(nearer.recommendation, "caution");
});

Deno.test("risk: empty inputs are unknown, not safe", () => {
  // no price: P = 0.45; no events: I = 0 → 0.45 > 0.40 → caution
  const r = scorePool({ prices: [], events: [], now: NOW });
  assert.equal(r.avgPrice24h, null);
  assert.equal(r.minPrice24h, null);
  assert.equal(r.maxPrice24h, null);
  assert.equal(r.priceVolatility, 0);
  assert.equal(r.interruptionFrequency, 0);
  assert.equal(r.components.priceKnown, false);
  assert.equal(r.components.volatilityRisk, null);
  assert.equal(r.riskScore, 0.45);
  assert.equal(r.recommendation, "caution");
  assert.match(r.explanation, /no price data/);
});

Deno.test("risk: one price point has zero volatility; points outside 24 h are ignored", () => {
  const prices = [...FLAT, { at: hoursAgo(25), price: 0.5 }];
  const r = scorePool({ prices, events: [], now: NOW });
  assert.equal(r.avgPrice24h, 0.05);
  assert.equal(r.maxPrice24h, 0.05);
  assert.equal(r.priceVolatility, 0);
  assert.equal(r.riskScore, 0);
  assert.equal(r.recommendation, "safe");
});

Deno.test("risk: an old event counts less than a fresh one, and not at all past 30 days", () => {
  // 2 h: E = 0.5^(2/72) = 0.980929; I = 0.980929 / 1.980929 = 0.495186 → 0.4952 caution
  const recent = scorePool({ prices: FLAT, events: [notice(hoursAgo(2))], now: NOW });
  assert.equal(recent.riskScore, 0.4952);
  assert.equal(recent.recommendation, "caution");
  // 144 h: E = 0.25; I = 0.25 / 1.25 = 0.2 → safe
  const old = scorePool({ prices: FLAT, events: [notice(hoursAgo(144))], now: NOW });
  assert.equal(old.riskScore, 0.2);
  assert.equal(old.recommendation, "safe");
  const gone = scorePool({ prices: FLAT, events: [notice(hoursAgo(31 * 24))], now: NOW });
  assert.equal(gone.riskScore, 0);
  assert.equal(gone.interruptionFrequency, 0);
});

Deno.test("risk: a fresh termination notice puts the pool at avoid by itself", () => {
  const r = scorePool({ prices: FLAT, events: [notice(minutesAgo(10))], now: NOW });
  assert.equal(r.riskScore, 0.9);
  assert.equal(r.recommendation, "avoid");
  assert.equal(r.components.freshNoticeFloor, 0.9);
  assert.equal(r.components.lastNoticeMinutesAgo, 10);
  assert.match(r.explanation, /termination notice 10 min ago/);
  // A notice reported with a clock slightly ahead of ours counts as fresh, at age 0.
  const skewed = scorePool({ prices: FLAT, events: [notice(minutesAgo(-1))], now: NOW });
  assert.equal(skewed.recommendation, "avoid");
});

Deno.test("risk: the fresh-notice window is inclusive at 60 minutes", () => {
  const at60 = scorePool({ prices: FLAT, events: [notice(minutesAgo(60))], now: NOW });
  assert.equal(at60.riskScore, 0.9);
  // 61 min: E = 0.5^(61/60/72) = 0.990260; I = 0.990260 / 1.990260 = 0.497553 → caution
  const at61 = scorePool({ prices: FLAT, events: [notice(minutesAgo(61))], now: NOW });
  assert.equal(at61.riskScore, 0.4976);
  assert.equal(at61.recommendation, "caution");
});

Deno.test("risk: the fresh-notice floor stays above a raised high threshold", () => {
  const opts = { highThreshold: 0.95 };
  const r = scorePool({ prices: FLAT, events: [notice(minutesAgo(5))], now: NOW }, opts);
  assert.equal(r.riskScore, 0.9501);
  assert.equal(r.recommendation, "avoid");
});

Deno.test("risk: a fresh rebalance recommendation weighs less and has no floor", () => {
  // E = 0.25; I = 0.2 → safe
  const r = scorePool({ prices: FLAT, events: [rebalance(minutesAgo(1))], now: NOW });
  assert.equal(r.riskScore, 0.2);
  assert.equal(r.recommendation, "safe");
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

Deno.test("risk: scores exactly at the default thresholds stay in the lower band", () => {
  // 0.05 / 0.06 = 0.8333 → l = 0.6667; P = 0.6 · 0.6667 = 0.4 → exactly medium → safe
  const prices = [{ at: hoursAgo(1), price: 0.05 }];
  const medium = scorePool({ prices, events: [], now: NOW, onDemandPrice: 0.06 });
  assert.equal(medium.riskScore, 0.4);
  assert.equal(medium.recommendation, "safe");
  // + four fresh rebalances: E = 1, I = 0.5; score = 1 − 0.5 · 0.6 = 0.7 → exactly high → caution
  const events = Array.from({ length: 4 }, () => rebalance(NOW));
  const high = scorePool({ prices, events, now: NOW, onDemandPrice: 0.06 });
  assert.equal(high.riskScore, 0.7);
  assert.equal(high.recommendation, "caution");
});

Deno.test("risk: configured thresholds move the bands", () => {
  const input = { prices: CALM, events: [], now: NOW }; // score 0.3
  assert.equal(scorePool(input, { mediumThreshold: 0.3 }).recommendation, "safe");
  assert.equal(scorePool(input, { mediumThreshold: 0.2999 }).recommendation, "caution");
  assert.equal(
    scorePool(input, { mediumThreshold: 0.1, highThreshold: 0.2999 }).recommendation,
    "avoid",
  );
});

Deno.test("risk: input order does not matter", () => {
  const events = [notice(hoursAgo(72)), rebalance(NOW), notice(hoursAgo(144)), rebalance(NOW)];
  const a = scorePool({ prices: [...CALM], events: [...events], now: NOW });
  const b = scorePool({ prices: [...CALM].reverse(), events: [...events].reverse(), now: NOW });
  assert.deepEqual(a, b);
});

Deno.test("risk: one client's notices are capped and never reach the fresh-notice floor alone", () => {
  const now = new Date("2026-03-10T12:00:00Z");
  const notice = (clientId: string, minutesAgo: number) => ({
    at: new Date(now.getTime() - minutesAgo * 60_000),
    kind: "termination_notice" as const,
    clientId,
  });
  const prices = [{ at: now, price: 0.05 }];
  const one = scorePool({ prices, events: [notice("b", 5), notice("b", 3), notice("b", 1)], now });
  assert.equal(one.components.freshNoticeFloor, 0);
  assert.ok(one.riskScore < 0.3, `one tenant alone stays below 0.3, got ${one.riskScore}`);
  const two = scorePool({ prices, events: [notice("b", 5), notice("c", 1)], now });
  assert.ok(two.riskScore > 0.7, `two tenants confirm, got ${two.riskScore}`);
  assert.equal(ownNoticeRisk(0.1, { ownNoticeAt: notice("a", 2).at, now }), 0.9);
  assert.equal(ownNoticeRisk(0.1, { ownNoticeAt: notice("a", 90).at, now }), 0.1);
});
