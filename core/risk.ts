/**
 * Pool risk: how likely a spot instance placed in a pool (`<instance_type>.<az>`) now is to be
 * interrupted soon. Pure: the caller passes the rows and `now`; nothing here reads a clock or a database.
 *
 * ## Formula
 * ```
 * score = max(1 − (1 − I)·(1 − P), F)   clamped to [0, 1], rounded to 4 decimals (DECIMAL(5,4))
 *
 * I  interruption risk, from the events of the last eventWindowDays (30):
 *      E = Σ weight(kind) · 0.5^(ageHours / halfLifeHours)
 *          weight: termination_notice 1.0, rebalance_recommendation 0.25; halfLifeHours 72
 *      I = E / (E + evidenceSaturation)                       evidenceSaturation 1.0
 * P  price risk over the last priceWindowHours (24), capped at priceCap (0.6):
 *      v = min(1, (std / mean) / volatilityCeiling)             volatilityCeiling 0.20
 *      r = min(1, ((latest − min) / min) / riseCeiling)         riseCeiling 0.50
 *      l = clamp((latest / onDemand − onDemandFloorRatio) / (1 − onDemandFloorRatio), 0, 1)
 *          only when the caller knows the on-demand price, else 0; onDemandFloorRatio 0.5
 *      P = priceCap · max(v, r, l);   no price point at all → P = unknownPriceRisk (0.45)
 * F  fresh-notice floor: a termination notice at most freshNoticeMinutes (60) old sets
 *      F = max(freshNoticeScore (0.90), highThreshold + 0.0001), else F = 0
 *
 * recommendation (on the rounded score): score > highThreshold → avoid,
 *   score > mediumThreshold → caution, else safe. Boundaries are exclusive: a score equal to a
 *   threshold stays in the lower band (0.7000 is caution, 0.7001 is avoid).
 * ```
 *
 * ## Why
 * - Since AWS changed spot pricing in late 2017, prices move slowly and no longer spike with bids; a
 *   pool is reclaimed while its price stays flat. Price is therefore a weak signal and is capped: on
 *   its own it can reach caution (P ≤ 0.6) but never avoid (> 0.70).
 * - Interruptions are direct evidence and arrive in bursts: AWS reclaims a pool's capacity for many
 *   instances within minutes. So the first termination notice puts the pool above the high threshold
 *   at once (F), before the decaying evidence would.
 * - Evidence ages as capacity comes back: with a 72 h half-life a notice counts 1/2 after 3 days and
 *   about 1/1000 after 30 days, so last month's incident no longer keeps a pool out of use.
 * - Rebalance recommendations are early and noisy (often no interruption follows): weight 0.25 and no
 *   floor, so four fresh ones count like one notice and a calm pool stays safe after one.
 * - E / (E + 1) saturates: more evidence always raises risk but never past 1. One fresh notice alone
 *   gives I = 0.5 (caution once the floor has expired); three recent notices give 0.75 (avoid).
 * - The noisy-OR 1 − (1 − I)(1 − P) combines independent warning signs like probabilities: neither can
 *   lower the other and the result stays in [0, 1] without re-weighting.
 * - The price level against the 24 h low (r) and against on-demand (l) detect capacity pressure: a
 *   spot price climbing towards on-demand means the pool is short of spare capacity.
 * - No data is not safe: a pool without a single price point in 24 h gets P = 0.45, above the default
 *   medium threshold, so a pool we know nothing about never outranks a known calm one.
 *
 * Price statistics are plain (unweighted) over the snapshots; population std; volatility is 0 with
 * fewer than two points or a zero mean. Events dated after `now` (clock skew between instances) count
 * as age 0.
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
  now: Date;
  /** On-demand $/hour of the pool's instance type, when known (enables the level signal). */
  onDemandPrice?: number | null;
}

/** Tunables of the score; every one has a default in DEFAULT_RISK_OPTIONS. */
export interface RiskOptions {
  /** Scores above this are at least "caution" (POOL_RISK_MEDIUM_THRESHOLD). */
  mediumThreshold: number;
  /** Scores above this are "avoid" (POOL_RISK_HIGH_THRESHOLD). */
  highThreshold: number;
  /** Events older than this are ignored and not counted in interruptionFrequency. */
  eventWindowDays: number;
  /** Price snapshots older than this are ignored. */
  priceWindowHours: number;
  /** Age at which an event's evidence has halved. */
  halfLifeHours: number;
  /** Evidence of one termination notice at age 0. */
  terminationWeight: number;
  /** Evidence of one rebalance recommendation at age 0. */
  rebalanceWeight: number;
  /** Evidence at which the interruption risk I reaches 0.5. */
  evidenceSaturation: number;
  /** A termination notice at most this old triggers the fresh-notice floor (inclusive). */
  freshNoticeMinutes: number;
  /** The floor; raised to just above highThreshold if lower, so a fresh notice is always "avoid". */
  freshNoticeScore: number;
  /** Coefficient of variation (std/mean) at which volatility saturates. */
  volatilityCeiling: number;
  /** Rise of the latest price over the window's minimum (relative) at which the rise saturates. */
  riseCeiling: number;
  /** Spot/on-demand ratio below which the level signal is 0. */
  onDemandFloorRatio: number;
  /** Maximum of the price risk P. */
  priceCap: number;
  /** Price risk P when there is no price point at all. */
  unknownPriceRisk: number;
  /** The decayed evidence one client can contribute at most (one notice is 1). */
  perClientEvidenceCap: number;
  /** Distinct clients with a fresh notice needed for the fresh-notice floor. */
  confirmClients: number;
}

/** The defaults of every risk tunable (see the module documentation for the why). */
export const DEFAULT_RISK_OPTIONS: Readonly<RiskOptions> = Object.freeze({
  mediumThreshold: 0.40,
  highThreshold: 0.70,
  eventWindowDays: 30,
  priceWindowHours: 24,
  halfLifeHours: 72,
  terminationWeight: 1,
  rebalanceWeight: 0.25,
  evidenceSaturation: 1,
  freshNoticeMinutes: 60,
  freshNoticeScore: 0.90,
  volatilityCeiling: 0.20,
  riseCeiling: 0.50,
  onDemandFloorRatio: 0.5,
  priceCap: 0.6,
  unknownPriceRisk: 0.45,
  perClientEvidenceCap: 0.25,
  confirmClients: 2,
});

/** What the decision engine and dashboards act on. */
export type Recommendation = "safe" | "caution" | "avoid";

/** The parts of the score, stored in pool_risk_analysis.metadata (values rounded to 4 decimals). */
export interface RiskComponents {
  terminationNotices: number;
  rebalanceRecommendations: number;
  /** E: decayed, weighted evidence. */
  evidence: number;
  /** I. */
  interruptionRisk: number;
  /** Minutes since the newest termination notice in the window, null when none. */
  lastNoticeMinutesAgo: number | null;
  priceKnown: boolean;
  /** v, r and l (l is null without an on-demand price); all null when no price is known. */
  volatilityRisk: number | null;
  riseRisk: number | null;
  levelRisk: number | null;
  /** P. */
  priceRisk: number;
  /** 1 − (1 − I)(1 − P), before the floor. */
  combined: number;
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

  let volatilityRisk: number | null = null;
  let riseRisk: number | null = null;
  let levelRisk: number | null = null;
  let priceRisk = o.unknownPriceRisk;
  if (n > 0 && min !== null) {
    const latest = values[n - 1];
    volatilityRisk = Math.min(1, volatility / o.volatilityCeiling);
    riseRisk = min > 0 ? Math.min(1, (latest - min) / min / o.riseCeiling) : 0;
    const od = input.onDemandPrice;
    if (od && od > 0) {
      levelRisk = clamp01((latest / od - o.onDemandFloorRatio) / (1 - o.onDemandFloorRatio));
    }
    priceRisk = o.priceCap * Math.max(volatilityRisk, riseRisk, levelRisk ?? 0);
  }

  const eventFrom = now - o.eventWindowDays * 24 * HOUR_MS;
  let notices = 0;
  let rebalances = 0;
  let newestNotice: number | null = null;
  const byClient = new Map<string, number>();
  const freshClients = new Map<string, number>();
  let anonymous = 0;
  for (const e of input.events) {
    const at = e.at.getTime();
    if (!(at >= eventFrom)) continue;
    const ageHours = Math.max(0, now - at) / HOUR_MS;
    const weight = e.kind === "termination_notice" ? o.terminationWeight : o.rebalanceWeight;
    const who = e.clientId ?? `\u0000${anonymous++}`;
    byClient.set(who, (byClient.get(who) ?? 0) + weight * 0.5 ** (ageHours / o.halfLifeHours));
    if (e.kind === "termination_notice") {
      notices++;
      newestNotice = newestNotice === null ? at : Math.max(newestNotice, at);
      if (Math.max(0, now - at) / 60_000 <= o.freshNoticeMinutes) {
        freshClients.set(who, Math.max(freshClients.get(who) ?? -Infinity, at));
      }
    } else rebalances++;
  }
  // Attributed evidence counts at most perClientEvidenceCap per client; unattributed in full.
  let evidence = 0;
  for (const [who, e] of byClient) {
    evidence += who.startsWith("\u0000") ? e : Math.min(e, o.perClientEvidenceCap);
  }
  const attributed = [...byClient.keys()].some((k) => !k.startsWith("\u0000"));
  const confirmed = freshClients.size > 0 &&
    (!attributed || freshClients.size >= o.confirmClients);
  const interruptionRisk = evidence / (evidence + o.evidenceSaturation);
  const noticeMinutes = newestNotice === null ? null : Math.max(0, now - newestNotice) / 60_000;
  const fresh = confirmed;
  // The floor must land strictly above the high threshold, whatever the thresholds are configured to.
  const floor = fresh ? Math.min(1, Math.max(o.freshNoticeScore, o.highThreshold + 0.0001)) : 0;

  const combined = 1 - (1 - interruptionRisk) * (1 - priceRisk);
  const riskScore = round(clamp01(Math.max(combined, floor)), 4);
  const recommendation = recommendationFor(riskScore, o);

  const components: RiskComponents = {
    terminationNotices: notices,
    rebalanceRecommendations: rebalances,
    evidence: round(evidence, 4),
    interruptionRisk: round(interruptionRisk, 4),
    lastNoticeMinutesAgo: noticeMinutes === null ? null : round(noticeMinutes, 1),
    priceKnown: n > 0,
    volatilityRisk: volatilityRisk === null ? null : round(volatilityRisk, 4),
    riseRisk: riseRisk === null ? null : round(riseRisk, 4),
    levelRisk: levelRisk === null ? null : round(levelRisk, 4),
    priceRisk: round(priceRisk, 4),
    combined: round(combined, 4),
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
    `${c.terminationNotices} notices and ${c.rebalanceRecommendations} rebalance recommendations ` +
      `in the window (evidence ${c.evidence} → ${c.interruptionRisk})`,
  );
  parts.push(
    c.priceKnown
      ? `price risk ${c.priceRisk} (volatility ${c.volatilityRisk}, rise ${c.riseRisk}, ` +
        `level ${c.levelRisk ?? "n/a"})`
      : `no price data (price risk ${c.priceRisk})`,
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
  const floor = Math.min(1, Math.max(o.freshNoticeScore, o.highThreshold + 0.0001));
  return Math.max(shared ?? 0, floor);
}
