/**
 * Where an agent should go when its spot pool is failing: the target of an emergency replica
 * (termination notice) or of a rebalance switch. Pure: the caller passes the pools of the agent's
 * instance type in its region (the agent never changes type, CONTRACT T-05) with their latest
 * price and risk, the recent termination notices per pool, and `now`.
 *
 * ## Choice
 * Candidates are the other AZs' pools of the same type and region. Excluded:
 * - the failing pool itself;
 * - pools correlated with it (below);
 * - pools whose risk is above `maxRisk` (the caller passes POOL_RISK_HIGH_THRESHOLD: an "avoid"
 *   pool is no refuge).
 * The rest are ranked by risk band (risk rounded down to steps of `riskStep`, 0.05: differences
 * below that are noise in a decayed-evidence score), then price (unknown price last), then exact
 * risk, then pool id (deterministic). A pool never analysed counts with `unknownRisk` (0.45, about
 * what core/risk.ts gives a pool without data, 0.4525), so a known calm pool wins over an unknown one.
 *
 * ## Correlation
 * AWS reclaims capacity in bursts that can span several AZs of one instance type. A sibling pool
 * is correlated with the failing pool when its termination notices cluster in time with the
 * failing pool's: over the last `correlationWindowDays` (7), the share of the failing pool's
 * notices (the current one included, which the caller adds) that have a notice in the sibling
 * within ±`coincidenceMinutes` (30). A share ≥ `correlatedShare` (0.5) excludes the sibling. With
 * only the current notice in the failing pool this means: a sibling that also got a notice in the
 * last 30 minutes is being reclaimed right now and is excluded. Without any notice in the failing
 * pool (a rebalance in a quiet pool) nothing is correlated.
 * @module
 */

/** A pool the agent could move to (same instance type and region). */
export interface PoolCandidate {
  poolId: string;
  az: string;
  /** Latest spot $/hour, null when no price is known. */
  price: number | null;
  /** Risk score 0..1 (spot_pools mirror or computed on demand), null when never analysed. */
  riskScore: number | null;
}

/** One termination notice reported in a pool. */
export interface PoolNotice {
  poolId: string;
  at: Date;
}

/** Everything choosePool needs. */
export interface PoolChoiceInput {
  /** The pool being left; never chosen. Null when unknown (e.g. an on-demand instance). */
  failingPoolId: string | null;
  /** Pools of the same type and region; may include the failing pool (it is skipped). */
  candidates: PoolCandidate[];
  /** Recent termination notices of these pools (include the current one when there is one). */
  notices: PoolNotice[];
  now: Date;
}

/** Tunables of the choice; every one has a default in DEFAULT_POOL_CHOICE_OPTIONS. */
export interface PoolChoiceOptions {
  correlationWindowDays: number;
  coincidenceMinutes: number;
  correlatedShare: number;
  riskStep: number;
  unknownRisk: number;
  /** Candidates with a risk above this are excluded (POOL_RISK_HIGH_THRESHOLD). */
  maxRisk: number;
}

/** The defaults (see the module documentation for the why). */
export const DEFAULT_POOL_CHOICE_OPTIONS: Readonly<PoolChoiceOptions> = Object.freeze({
  correlationWindowDays: 7,
  coincidenceMinutes: 30,
  correlatedShare: 0.5,
  riskStep: 0.05,
  unknownRisk: 0.45,
  maxRisk: 0.70,
});

/** A candidate with what the ranking used. */
export interface RankedPool extends PoolCandidate {
  /** riskScore, or unknownRisk when the pool was never analysed. */
  effectiveRisk: number;
  riskKnown: boolean;
  /** Share of the failing pool's notices that coincide with a notice here (0..1). */
  correlation: number;
}

/** Why a candidate was not eligible. */
export type ExclusionReason = "failing_pool" | "correlated" | "too_risky";

/** The outcome: the chosen pool (null when none qualifies), the ranking and the exclusions. */
export interface PoolChoice {
  chosen: RankedPool | null;
  ranked: RankedPool[];
  excluded: { poolId: string; reason: ExclusionReason; correlation: number }[];
  reason: string;
}

const MINUTE_MS = 60_000;

/** Chooses the target pool: lowest risk band, then price, outside the failing pool's cluster. */
export function choosePool(
  input: PoolChoiceInput,
  opts: Partial<PoolChoiceOptions> = {},
): PoolChoice {
  const o: PoolChoiceOptions = { ...DEFAULT_POOL_CHOICE_OPTIONS, ...opts };
  const now = input.now.getTime();
  const from = now - o.correlationWindowDays * 24 * 60 * MINUTE_MS;
  const recent = input.notices.filter((n) => n.at.getTime() >= from && n.at.getTime() <= now);
  const failing = input.failingPoolId === null
    ? []
    : recent.filter((n) => n.poolId === input.failingPoolId).map((n) => n.at.getTime());

  const ranked: RankedPool[] = [];
  const excluded: PoolChoice["excluded"] = [];
  const seen = new Set<string>();
  for (const c of input.candidates) {
    if (seen.has(c.poolId)) continue;
    seen.add(c.poolId);
    const correlation = c.poolId === input.failingPoolId ? 1 : correlationWith(
      failing,
      recent.filter((n) => n.poolId === c.poolId).map((n) => n.at.getTime()),
      o.coincidenceMinutes * MINUTE_MS,
    );
    if (c.poolId === input.failingPoolId) {
      excluded.push({ poolId: c.poolId, reason: "failing_pool", correlation });
      continue;
    }
    if (correlation > 0 && correlation >= o.correlatedShare) {
      excluded.push({ poolId: c.poolId, reason: "correlated", correlation });
      continue;
    }
    const riskKnown = c.riskScore !== null && Number.isFinite(c.riskScore);
    const effectiveRisk = riskKnown ? c.riskScore! : o.unknownRisk;
    if (effectiveRisk > o.maxRisk) {
      excluded.push({ poolId: c.poolId, reason: "too_risky", correlation });
      continue;
    }
    ranked.push({ ...c, effectiveRisk, riskKnown, correlation });
  }

  const band = (r: number) => Math.floor(r / o.riskStep + 1e-9);
  ranked.sort((a, b) =>
    band(a.effectiveRisk) - band(b.effectiveRisk) ||
    (a.price ?? Infinity) - (b.price ?? Infinity) ||
    a.effectiveRisk - b.effectiveRisk ||
    (a.poolId < b.poolId ? -1 : a.poolId > b.poolId ? 1 : 0)
  );
  const chosen = ranked[0] ?? null;
  const reason = chosen
    ? `${chosen.poolId}: risk ${chosen.effectiveRisk}${chosen.riskKnown ? "" : " (unknown)"}, ` +
      `price ${chosen.price ?? "unknown"}`
    : `no eligible pool (${excluded.length} excluded: ${
      excluded.map((e) => `${e.poolId} ${e.reason}`).join(", ") || "no other AZ known"
    })`;
  return { chosen, ranked, excluded, reason };
}

/** Share of `failing` notice times that have a notice in `other` within ±`windowMs`. */
export function correlationWith(failing: number[], other: number[], windowMs: number): number {
  if (failing.length === 0 || other.length === 0) return 0;
  let hits = 0;
  for (const f of failing) if (other.some((t) => Math.abs(t - f) <= windowMs)) hits++;
  return Math.round((hits / failing.length) * 10_000) / 10_000;
}

/** Why the server does not ask the agent for an emergency replica. */
export type NoReplicaReason =
  | "auto_create_disabled"
  | "agent_deleted"
  | "agent_disabled"
  | "not_primary"
  | "manual_replica_ready"
  | "no_pool";

/** The facts the emergency-replica gate looks at. */
export interface ReplicaGateInput {
  /** TERMINATION_REPLICA_AUTO_CREATE. */
  autoCreate: boolean;
  agentEnabled: boolean;
  agentDeleted: boolean;
  /** The noticed instance is the agent's current primary (not a switched-away or replica one). */
  instanceIsPrimary: boolean;
  manualReplicaEnabled: boolean;
  /** Active replicas of the agent in status ready. */
  readyReplicas: number;
}

/**
 * Whether a termination notice may ask the agent for an emergency replica. In manual replica
 * mode the user's hot standby exists for exactly this case: promote it instead of a second one.
 */
export function emergencyReplicaGate(
  g: ReplicaGateInput,
): { allowed: true } | { allowed: false; reason: NoReplicaReason } {
  if (!g.autoCreate) return { allowed: false, reason: "auto_create_disabled" };
  if (g.agentDeleted) return { allowed: false, reason: "agent_deleted" };
  if (!g.agentEnabled) return { allowed: false, reason: "agent_disabled" };
  if (!g.instanceIsPrimary) return { allowed: false, reason: "not_primary" };
  if (g.manualReplicaEnabled && g.readyReplicas > 0) {
    return { allowed: false, reason: "manual_replica_ready" };
  }
  return { allowed: true };
}

/** What decideRebalance needs. */
export interface RebalanceInput {
  /** Risk of the current pool (0..1). */
  currentRisk: number;
  /** POOL_RISK_MEDIUM_THRESHOLD: at or below it the pool is "safe". */
  mediumThreshold: number;
  choice: PoolChoice;
  /** A target must be at least this much less risky to be worth a switch (default 0.10). */
  margin?: number;
}

/** A rebalance answer: switch to a pool, or stay. */
export type RebalanceDecision =
  | { action: "switch"; target: RankedPool; code: "risky_pool_safer_target"; reason: string }
  | {
    action: "stay";
    target: null;
    code: "low_risk" | "no_safer_pool";
    reason: string;
  };

/**
 * Rebalance recommendations are early and noisy (often no interruption follows), so the answer
 * is "switch" only when the current pool is above the medium threshold AND a pool exists that is
 * meaningfully (margin) less risky; otherwise "stay".
 */
export function decideRebalance(input: RebalanceInput): RebalanceDecision {
  const margin = input.margin ?? 0.10;
  const risk = input.currentRisk;
  if (!(risk > input.mediumThreshold)) {
    return {
      action: "stay",
      target: null,
      code: "low_risk",
      reason: `Current pool risk ${risk} is at or below ${input.mediumThreshold}: ` +
        "rebalance signals are noisy, staying",
    };
  }
  const t = input.choice.chosen;
  if (!t || t.effectiveRisk > risk - margin) {
    return {
      action: "stay",
      target: null,
      code: "no_safer_pool",
      reason: `Current pool risk ${risk} is elevated but no pool is safer by ${margin} (` +
        `${t ? `best ${t.poolId} at ${t.effectiveRisk}` : input.choice.reason})`,
    };
  }
  return {
    action: "switch",
    target: t,
    code: "risky_pool_safer_target",
    reason: `Current pool has elevated interruption risk ${risk}; ${t.poolId} is safer ` +
      `(risk ${t.effectiveRisk}, price ${t.price ?? "unknown"})`,
  };
}
