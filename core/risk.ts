/**
 * Pool risk: the probability that a spot instance placed in a pool (`<instance_type>.<az>`) now is
 * interrupted within the next horizonHours (24). Pure: the caller passes the rows and `now`; nothing
 * here reads a clock or a database.
 *
 * ## Formula
 * ```
 * score = max(1 − e^(−λ·H), F)    clamped to [0, 1], rounded to 4 decimals (DECIMAL(5,4)); H = 24 h
 *
 * λ  interruption hazard per hour, a sum of independent causes:
 *    λ = b + kₙ·E + kₛ·S + π
 * b  base hazard: bandHazard when the caller passes one (an operator's interruption-frequency
 *      band), else baseHazard 0.0001/h (P ≈ 0.24 % a day: a calm pool is rarely reclaimed)
 * E  own-pool evidence: Σ weight(kind) · 0.5^(ageHours / halfLifeHours) over the events of the last
 *      eventWindowDays (30); weight: termination_notice 1, rebalance_recommendation 0.25;
 *      halfLifeHours 12; each attributed client contributes at most perClientEvidenceCap
 *    kₙ = noticeHazard 0.008/h per unit of evidence (one fresh notice: P ≈ 17.6 % in 24 h)
 * S  sibling evidence: the same sum over the notices of the other pools of the same instance type
 *      in the region (siblingEvents), halving every siblingHalfLifeHours (0.1 h = 6 min); counted
 *      only when siblingConfirmClients (2) distinct clients (unattributed events: each its own)
 *      reported; a sibling notice within burstMinutes (30) of one of the pool's own notices is the
 *      same burst, which has passed through this pool, and does not count
 *    kₛ = siblingHazard 8/h (a sibling notice 1 min ago: P ≈ 1; 1 h ago: P ≈ 17 %)
 * π  price hazard, from the distance to on-demand over the last priceWindowHours (24):
 *      near  = clamp((latest/onDemand − nearOnDemandRatio) / (1 − nearOnDemandRatio), 0, 1)   (0.8)
 *      above = share of the window's snapshots priced at or above on-demand
 *      π = max(scarcityHazard · max(near, above), episodes above on-demand / priceWindowHours)
 *      scarcityHazard 0.25/h; no on-demand price → π = 0; no price point at all → π =
 *      unknownPriceHazard 0.025/h (P ≈ 45 %: a pool we know nothing about is never a target)
 * F  fresh-notice floor: a confirmed termination notice in the pool at most freshNoticeMinutes
 *      (10) old sets F = max(freshNoticeScore 0.90, highThreshold + 0.0001), else F = 0
 *
 * recommendation (on the rounded score): score > highThreshold → avoid,
 *   score > mediumThreshold → caution, else safe. Boundaries are exclusive: a score equal to a
 *   threshold stays in the lower band (0.7000 is caution, 0.7001 is avoid).
 * ```
 *
 * ## Why, and how the constants were calibrated
 * - The score is a probability so the decision engine can price it: expected loss per hour =
 *   hazard × the loss of one interruption (core/decision_economics.ts). A relative price move says
 *   nothing about interruptions: a cheap pool where one cent is 30 % is as safe as a flat one, so
 *   volatility is not an input.
 * - Interruptions arrive in bursts across the AZs of one instance type: AWS reclaims a type's capacity
 *   within minutes. `deno run -A bench/calibrate_risk.ts` counts, after each notice of the regime
 *   fixtures (4 seeds × 5 markets, 44 notices), how often a pool of the same type not yet hit was
 *   interrupted within the next 12 minutes (36/52 = 69 %; the sibling hazard, integrated over those
 *   12 minutes as it decays, predicts 58 % for one notice and more for two), how often the same pool
 *   was hit again within 60 minutes (0 %; model 0.8 %) and within 24 h (4/44 = 9 %; model 10 %).
 *   The score itself holds the current hazard constant over 24 h, so one fresh notice reads 17.6 %:
 *   pessimistic by design while the evidence decays. These are synthetic markets; re-run the bench
 *   on recorded notices before trusting the constants on another fleet.
 * - A pool priced near or above on-demand is scarce: in the bid era such a pool was reclaimed as soon
 *   as it passed on-demand, and today's pricing raises the price as spare capacity runs out. A pool
 *   that sat above on-demand most of the day and dips once is still scarce (`above`), and one
 *   episode above on-demand per hour of the window is read as one interruption per hour.
 * - The fresh-notice floor keeps the pool where a burst is happening at avoid for a few minutes,
 *   while replicas are placed; after that the decaying evidence speaks.
 * - One tenant alone never moves another's view (core/market.ts): its evidence is capped per client,
 *   the floor needs confirmClients distinct clients and sibling evidence siblingConfirmClients.
 *
 * Events dated after `now` (clock skew between instances) count as age 0. priceVolatility (std/mean,
 * population std) is still reported for the dashboards but is not an input.
 * @module
 */
import { round } from "./round.ts";

/** One spot price snapshot of the pool, in $/hour. */
export interface PriceSnapshot {
  at: Date;
  price: number;
}

/** The interruption signals that agents report. */
export type PoolEventKind = "termination_notice" | "rebalance_recommendation";

/** One interruption signal reported in the pool by any client's agent. */
export interface PoolEvent {
  at: Date;
  kind: PoolEventKind;
  /**
   * The reporting client. Events of one client count at most perClientEvidenceCap, and the
   * fresh-notice floor needs confirmClients distinct clients (core/market.ts). Absent or null:
   * unattributed (trace replays, old rows): each such event counts as its own client.
   */
  clientId?: string | null;
}

/** What the score is computed from: plain values, easy to fill from rows. */
export interface PoolRiskInput {
  /** Spot price snapshots of the last 24 h, any order; older points are ignored. */
  prices: PriceSnapshot[];
  /** Termination notices and rebalance recommendations of the last 30 days, all clients together. */
  events: PoolEvent[];
  /**
   * Termination notices of the other pools of the same instance type in the same region (other
   * AZs): interruptions come in bursts across them. Optional; only notices count.
   */
  siblingEvents?: PoolEvent[];
  now: Date;
  /** On-demand $/hour of the pool's instance type, when known (enables the price hazard). */
  onDemandPrice?: number | null;
  /**
   * Base interruption hazard per hour of this instance type and region from an operator's
   * interruption-frequency band, when one is known; else baseHazard.
   */
  bandHazard?: number | null;
}

/** Tunables of the score; every one has a default in DEFAULT_RISK_OPTIONS. */
export interface RiskOptions {
  /** Scores above this are at least "caution" (POOL_RISK_MEDIUM_THRESHOLD). */
  mediumThreshold: number;
  /** Scores above this are "avoid" (POOL_RISK_HIGH_THRESHOLD). */
  highThreshold: number;
  /** The score is P(interruption within this many hours). */
  horizonHours: number;
  /** Events older than this are ignored and not counted in interruptionFrequency. */
  eventWindowDays: number;
  /** Price snapshots older than this are ignored. */
  priceWindowHours: number;
  /** Age at which an own-pool event's evidence has halved. */
  halfLifeHours: number;
  /** Evidence of one termination notice at age 0. */
  terminationWeight: number;
  /** Evidence of one rebalance recommendation at age 0. */
  rebalanceWeight: number;
  /** Interruption hazard per hour of a pool nothing is known against. */
  baseHazard: number;
  /** Hazard per hour per unit of own-pool evidence. */
  noticeHazard: number;
  /** Hazard per hour per unit of sibling-pool evidence. */
  siblingHazard: number;
  /** Age at which a sibling notice's evidence has halved. */
  siblingHalfLifeHours: number;
  /** Distinct clients (unattributed events: each its own) needed before sibling evidence counts. */
  siblingConfirmClients: number;
  /** Sibling notices this close to one of the pool's own notices are the same, passed burst. */
  burstMinutes: number;
  /** Hazard per hour of a pool at (or always above) on-demand. */
  scarcityHazard: number;
  /** Spot/on-demand ratio from which the price's nearness to on-demand counts. */
  nearOnDemandRatio: number;
  /** Hazard per hour of a pool without a single price point in the window. */
  unknownPriceHazard: number;
  /** A termination notice at most this old triggers the fresh-notice floor (inclusive). */
  freshNoticeMinutes: number;
  /** The floor; raised to just above highThreshold if lower, so a fresh notice is always "avoid". */
  freshNoticeScore: number;
  /** The decayed evidence one client can contribute at most (one notice is 1). */
  perClientEvidenceCap: number;
  /** Distinct clients with a fresh notice needed for the fresh-notice floor. */
  confirmClients: number;
}

/** The defaults of every risk tunable (see the module documentation for the why). */
export const DEFAULT_RISK_OPTIONS: Readonly<RiskOptions> = Object.freeze({
  mediumThreshold: 0.40,
  highThreshold: 0.70,
  horizonHours: 24,
  eventWindowDays: 30,
  priceWindowHours: 24,
  halfLifeHours: 12,
  terminationWeight: 1,
  rebalanceWeight: 0.25,
  baseHazard: 0.0001,
  noticeHazard: 0.008,
  siblingHazard: 8,
  siblingHalfLifeHours: 0.1,
  siblingConfirmClients: 2,
  burstMinutes: 30,
  scarcityHazard: 0.25,
  nearOnDemandRatio: 0.8,
  unknownPriceHazard: 0.025,
  freshNoticeMinutes: 10,
  freshNoticeScore: 0.90,
  perClientEvidenceCap: 0.25,
  confirmClients: 2,
});

/** What the decision engine and dashboards act on. */
export type Recommendation = "safe" | "caution" | "avoid";

/** The parts of the score, stored in pool_risk_analysis.metadata (values rounded to 4 decimals). */
export interface RiskComponents {
  terminationNotices: number;
  rebalanceRecommendations: number;
  /** E: decayed, weighted, per-client-capped own-pool evidence. */
  evidence: number;
  /** S: decayed sibling evidence (0 when not confirmed by enough clients). */
  siblingEvidence: number;
  /** Minutes since the newest termination notice in the window, null when none. */
  lastNoticeMinutesAgo: number | null;
  priceKnown: boolean;
  /** latest / on-demand, null without a price or an on-demand price. */
  priceRatio: number | null;
  /** max(near, above), null without a price or an on-demand price. */
  scarcity: number | null;
  /** Runs of snapshots at or above on-demand in the window. */
  aboveOnDemandEpisodes: number;
  /** Hazards per hour: b, kₙ·E, kₛ·S, π. */
  baseHazard: number;
  noticeHazard: number;
  siblingHazard: number;
  priceHazard: number;
  /** λ·H: expected interruptions within the horizon. */
  expectedInterruptions: number;
  /** 1 − e^(−λ·H), before the floor. */
  probability: number;
  /** F, 0 when no fresh notice. */
  freshNoticeFloor: number;
}

/** One row of pool_risk_analysis, minus the pool's identity and analysis time. */
export interface PoolRiskResult {
  avgPrice24h: number | null;
  minPrice24h: number | null;
  maxPrice24h: number | null;
  priceVolatility: number;
  interruptionFrequency: number;
  riskScore: number;
  recommendation: Recommendation;
  components: RiskComponents;
  explanation: string;
}

const HOUR_MS = 3_600_000;
const ANON = "\u0000";

/** Scores one pool from its recent prices and interruption events. */
export function scorePool(input: PoolRiskInput, opts: Partial<RiskOptions> = {}): PoolRiskResult {
  const o: RiskOptions = { ...DEFAULT_RISK_OPTIONS, ...opts };
  const now = input.now.getTime();

  const priceFrom = now - o.priceWindowHours * HOUR_MS;
  const prices = input.prices
    .filter((p) => Number.isFinite(p.price) && p.at.getTime() >= priceFrom)
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const values = prices.map((p) => p.price);
  const n = values.length;
  const mean = n ? values.reduce((s, v) => s + v, 0) / n : null;
  const min = n ? Math.min(...values) : null;
  const max = n ? Math.max(...values) : null;
  const std = mean !== null ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / n) : 0;
  const volatility = n >= 2 && mean ? std / mean : 0;

  const price = priceHazardOf(values, input.onDemandPrice ?? null, o);

  const eventFrom = now - o.eventWindowDays * 24 * HOUR_MS;
  let notices = 0;
  let rebalances = 0;
  let newestNotice: number | null = null;
  const byClient = new Map<string, number>();
  const freshClients = new Set<string>();
  let anonymous = 0;
  for (const e of input.events) {
    const at = e.at.getTime();
    if (!(at >= eventFrom)) continue;
    const ageHours = Math.max(0, now - at) / HOUR_MS;
    const weight = e.kind === "termination_notice" ? o.terminationWeight : o.rebalanceWeight;
    const who = e.clientId ?? `${ANON}${anonymous++}`;
    byClient.set(who, (byClient.get(who) ?? 0) + weight * 0.5 ** (ageHours / o.halfLifeHours));
    if (e.kind === "termination_notice") {
      notices++;
      newestNotice = newestNotice === null ? at : Math.max(newestNotice, at);
      if (ageHours * 60 <= o.freshNoticeMinutes) freshClients.add(who);
    } else rebalances++;
  }
  const evidence = cappedSum(byClient, o.perClientEvidenceCap);
  const attributed = [...byClient.keys()].some((k) => !k.startsWith(ANON));
  const confirmed = freshClients.size > 0 &&
    (!attributed || freshClients.size >= o.confirmClients);
  const ownNotices = input.events.filter((e) => e.kind === "termination_notice")
    .map((e) => e.at.getTime());
  const siblingEvidence = siblingEvidenceOf(input.siblingEvents ?? [], ownNotices, now, o);

  const base = input.bandHazard != null && input.bandHazard >= 0 ? input.bandHazard : o.baseHazard;
  const hazard = base + o.noticeHazard * evidence + o.siblingHazard * siblingEvidence +
    price.hazard;
  const expected = hazard * o.horizonHours;
  const probability = 1 - Math.exp(-expected);
  const noticeMinutes = newestNotice === null ? null : Math.max(0, now - newestNotice) / 60_000;
  // The floor must land strictly above the high threshold, whatever the thresholds are configured to.
  const floor = confirmed ? floorOf(o) : 0;
  const riskScore = round(clamp01(Math.max(probability, floor)), 4);
  const recommendation = recommendationFor(riskScore, o);

  const components: RiskComponents = {
    terminationNotices: notices,
    rebalanceRecommendations: rebalances,
    evidence: round(evidence, 4),
    siblingEvidence: round(siblingEvidence, 4),
    lastNoticeMinutesAgo: noticeMinutes === null ? null : round(noticeMinutes, 1),
    priceKnown: n > 0,
    priceRatio: price.ratio === null ? null : round(price.ratio, 4),
    scarcity: price.scarcity === null ? null : round(price.scarcity, 4),
    aboveOnDemandEpisodes: price.episodes,
    baseHazard: round(base, 6),
    noticeHazard: round(o.noticeHazard * evidence, 6),
    siblingHazard: round(o.siblingHazard * siblingEvidence, 6),
    priceHazard: round(price.hazard, 6),
    expectedInterruptions: round(expected, 4),
    probability: round(probability, 4),
    freshNoticeFloor: round(floor, 4),
  };
  return {
    avgPrice24h: mean === null ? null : round(mean, 6),
    minPrice24h: min,
    maxPrice24h: max,
    priceVolatility: round(volatility, 6),
    interruptionFrequency: notices + rebalances,
    riskScore,
    recommendation,
    components,
    explanation: explain(riskScore, recommendation, components),
  };
}

/**
 * The hazard per hour of a probability of interruption within `hours`: −ln(1 − p) / hours (the
 * inverse of the score's 1 − e^(−λ·H)). p is clamped to [0, 0.9999] so a certain interruption
 * still has a finite price.
 */
export function hazardOf(probability: number, hours: number): number {
  const p = Math.min(0.9999, Math.max(0, probability));
  return -Math.log1p(-p) / hours;
}

// π: the price's distance to on-demand, as a hazard per hour.
function priceHazardOf(
  values: number[],
  onDemand: number | null,
  o: RiskOptions,
): { hazard: number; ratio: number | null; scarcity: number | null; episodes: number } {
  if (values.length === 0) {
    return { hazard: o.unknownPriceHazard, ratio: null, scarcity: null, episodes: 0 };
  }
  if (!(onDemand !== null && onDemand > 0)) {
    return { hazard: 0, ratio: null, scarcity: null, episodes: 0 };
  }
  const ratio = values[values.length - 1] / onDemand;
  const near = clamp01((ratio - o.nearOnDemandRatio) / (1 - o.nearOnDemandRatio));
  let aboveCount = 0;
  let episodes = 0;
  let wasAbove = false;
  for (const v of values) {
    const above = v >= onDemand;
    if (above) aboveCount++;
    if (above && !wasAbove) episodes++;
    wasAbove = above;
  }
  const scarcity = Math.max(near, aboveCount / values.length);
  const hazard = Math.max(o.scarcityHazard * scarcity, episodes / o.priceWindowHours);
  return { hazard, ratio, scarcity, episodes };
}

// S: decayed sibling notices, capped per client, counted only when enough clients reported. A
// sibling notice within burstMinutes of one of the pool's own notices belongs to a burst that has
// already passed through this pool (its own notice counts as own evidence instead).
function siblingEvidenceOf(
  events: PoolEvent[],
  own: number[],
  now: number,
  o: RiskOptions,
): number {
  const burstMs = o.burstMinutes * 60_000;
  const byClient = new Map<string, number>();
  let anonymous = 0;
  const from = now - o.eventWindowDays * 24 * HOUR_MS;
  for (const e of events) {
    const at = e.at.getTime();
    if (e.kind !== "termination_notice" || !(at >= from)) continue;
    if (own.some((t) => Math.abs(t - at) <= burstMs)) continue;
    const ageHours = Math.max(0, now - at) / HOUR_MS;
    const w = o.terminationWeight * 0.5 ** (ageHours / o.siblingHalfLifeHours);
    if (w < 1e-6) continue;
    const who = e.clientId ?? `${ANON}${anonymous++}`;
    byClient.set(who, (byClient.get(who) ?? 0) + w);
  }
  if (byClient.size < o.siblingConfirmClients) return 0;
  return cappedSum(byClient, o.perClientEvidenceCap);
}

// Attributed evidence counts at most `cap` per client; unattributed in full.
function cappedSum(byClient: Map<string, number>, cap: number): number {
  let sum = 0;
  for (const [who, e] of byClient) sum += who.startsWith(ANON) ? e : Math.min(e, cap);
  return sum;
}

function floorOf(o: RiskOptions): number {
  return Math.min(1, Math.max(o.freshNoticeScore, o.highThreshold + 0.0001));
}

/** Maps a score to its band; thresholds are exclusive (a score equal to one stays below it). */
export function recommendationFor(
  score: number,
  thresholds: Pick<RiskOptions, "mediumThreshold" | "highThreshold">,
): Recommendation {
  if (score > thresholds.highThreshold) return "avoid";
  if (score > thresholds.mediumThreshold) return "caution";
  return "safe";
}

function explain(score: number, rec: Recommendation, c: RiskComponents): string {
  const parts: string[] = [];
  if (c.freshNoticeFloor > 0) {
    parts.push(
      `termination notice ${c.lastNoticeMinutesAgo} min ago (floor ${c.freshNoticeFloor})`,
    );
  }
  parts.push(
    `P(interruption in 24 h) ${c.probability} from ${c.expectedInterruptions} expected ` +
      `interruptions (hazard/h: base ${c.baseHazard}, notices ${c.noticeHazard}, ` +
      `other AZs ${c.siblingHazard}, price ${c.priceHazard})`,
  );
  parts.push(
    `${c.terminationNotices} notices and ${c.rebalanceRecommendations} rebalance recommendations ` +
      `in the window (evidence ${c.evidence}, other AZs ${c.siblingEvidence})`,
  );
  parts.push(
    !c.priceKnown
      ? "no price data"
      : c.priceRatio === null
      ? "no on-demand price"
      : `price at ${c.priceRatio} × on-demand (scarcity ${c.scarcity}, ` +
        `${c.aboveOnDemandEpisodes} episodes above on-demand)`,
  );
  return `${rec} (${score}): ${parts.join("; ")}`;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** The thresholds of scorePool from the configuration (POOL_RISK_*_THRESHOLD). */
export function riskOptionsFrom(
  config: { POOL_RISK_MEDIUM_THRESHOLD: number; POOL_RISK_HIGH_THRESHOLD: number },
): Pick<RiskOptions, "mediumThreshold" | "highThreshold"> {
  return {
    mediumThreshold: config.POOL_RISK_MEDIUM_THRESHOLD,
    highThreshold: config.POOL_RISK_HIGH_THRESHOLD,
  };
}

/**
 * A client's own view of a pool's risk: the shared score, raised to the fresh-notice floor while
 * one of the client's own agents got a termination notice in the pool within freshNoticeMinutes
 * (own evidence counts in full; other tenants' only through the capped shared score).
 */
export function ownNoticeRisk(
  shared: number | null,
  opts: { ownNoticeAt: Date | null | undefined; now: Date; risk?: Partial<RiskOptions> },
): number | null {
  const o: RiskOptions = { ...DEFAULT_RISK_OPTIONS, ...opts.risk };
  const at = opts.ownNoticeAt;
  if (!at) return shared;
  const minutes = Math.max(0, opts.now.getTime() - at.getTime()) / 60_000;
  if (minutes > o.freshNoticeMinutes) return shared;
  return Math.max(shared ?? 0, floorOf(o));
}
