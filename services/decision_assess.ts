/**
 * One read-only assessment of an agent: reads what the engine needs (two statements) and runs
 * decide(). Used by the pricing-report hook (decision_evaluation.ts) and by E24/E25, which only explain.
 */
import type { Config } from "../config.ts";
import type { AppDeps } from "./types.ts";
import { decide, type DecisionInput } from "../core/decisions.ts";
import {
  buildDecisionInput,
  effectiveInstance,
  type ReportedInstance,
  type ReportedPrices,
  type StoredPool,
} from "../core/decision_input.ts";
import { type DecisionView, type HeldCode, heldDecision } from "../core/decision_wire.ts";
import { type DecisionAgent, loadDecisionAgent, loadPoolMarket } from "../db/decisions.ts";
import { loadReportedMarket } from "../db/pricing.ts";
import { listOwnNotices, loadPoolRisksForClient } from "../db/risk.ts";
import { clientMarket } from "../core/market.ts";
import { DEFAULT_RISK_OPTIONS } from "../core/risk.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Switches counted against the limits (the week limit's window). */
const SWITCH_WINDOW_MS = 7 * DAY_MS;
/** Pools (and on-demand quotes) not priced within a day are not offered at all. */
const MARKET_WINDOW_MS = DAY_MS;
/** The client's own reports read for prices (older ones are stale to the engine anyway). */
const OWN_PRICES_WINDOW_MS = HOUR_MS;
/** Other clients' reports read for the pools the client has no price of. */
const PEER_PRICES_WINDOW_MS = 30 * 60_000;

/**
 * A pool risk analysed longer ago than this is unknown: four missed runs of the risk job, and never
 * less than 6 h, so a slow job schedule does not blind the engine.
 */
function riskMaxAgeMs(config: Config): number {
  return Math.max(6 * HOUR_MS, 4 * config.POOL_RISK_ANALYSIS_INTERVAL * 1000);
}

/** The outcome of one assessment (no writes). */
export interface Assessment {
  agent: DecisionAgent;
  /** Null when the engine did not run (agent disabled or deleted, instance unknown). */
  input: DecisionInput | null;
  decision: DecisionView;
  /** The pools read for this assessment (with stored prices unless the report brought its own). */
  pools: StoredPool[];
}

/** Reads one agent's state and market and runs the engine; null when the agent is not the client's. */
export async function assessAgent(
  deps: AppDeps,
  opts: {
    clientId: string;
    agentId: string;
    now: Date;
    instance?: ReportedInstance | null;
    prices?: ReportedPrices | null;
  },
): Promise<Assessment | null> {
  const { db, config } = deps;
  const { now } = opts;
  // DECISION_POLICY, parsed and completed with the defaults by the config schema.
  const policy = config.DECISION_POLICY;
  const priceMaxAgeMs = policy.maxPriceAgeMinutes * 60_000;
  const readAgent = loadDecisionAgent(db, {
    clientId: opts.clientId,
    agentId: opts.agentId,
    onDemandSince: new Date(now.getTime() - MARKET_WINDOW_MS),
    onDemandFreshSince: new Date(now.getTime() - priceMaxAgeMs),
    failuresSince: new Date(now.getTime() - DAY_MS),
    switchesSince: new Date(now.getTime() - SWITCH_WINDOW_MS),
  });
  let agent: DecisionAgent | null;
  let pools: StoredPool[];
  if (opts.prices) {
    // The report brings the prices: only the pools' risk is read, in parallel with the agent.
    const ids = [...new Set(opts.prices.pools.map((p) => p.poolId))];
    const inst = opts.instance;
    if (inst?.mode === "spot" && inst.poolId && !ids.includes(inst.poolId)) ids.push(inst.poolId);
    [agent, pools] = await Promise.all([
      readAgent,
      loadPoolRisksForClient(db, {
        poolIds: ids,
        clientId: opts.clientId,
        since: new Date(now.getTime() - DEFAULT_RISK_OPTIONS.freshNoticeMinutes * 60_000),
      }),
    ]);
  } else {
    agent = await readAgent;
    pools = [];
  }
  if (!agent) return null;
  const found = agent;
  const held = (code: HeldCode): Assessment => ({
    agent: found,
    input: null,
    decision: heldDecision(code, { mode: found.currentMode }),
    pools,
  });
  const stored = {
    mode: agent.currentMode,
    poolId: agent.currentPoolId,
    instanceType: agent.instanceType,
    region: agent.region,
    az: agent.az,
    poolSince: agent.poolSince,
  };
  if (agent.deleted || !agent.enabled) return held("agent_disabled");
  const inst = effectiveInstance(stored, opts.instance);
  if (!inst) return held("instance_unknown");
  if (!opts.prices) {
    // Prices the client's own agents reported; other tenants' only for pools it has none of. The
    // client's own notices count in full (the shared score caps other tenants').
    const [stored, reported, own] = await Promise.all([
      loadPoolMarket(db, {
        instanceType: inst.instanceType,
        region: inst.region,
        since: new Date(now.getTime() - MARKET_WINDOW_MS),
      }),
      loadReportedMarket(db, {
        clientId: agent.clientId,
        instanceType: inst.instanceType,
        region: inst.region,
        ownSince: new Date(now.getTime() - OWN_PRICES_WINDOW_MS),
        peerSince: new Date(now.getTime() - PEER_PRICES_WINDOW_MS),
        now,
      }),
      listOwnNotices(db, {
        clientId: agent.clientId,
        since: new Date(now.getTime() - DEFAULT_RISK_OPTIONS.freshNoticeMinutes * 60_000),
      }),
    ]);
    const market = clientMarket(reported, agent.clientId);
    pools = stored.map((s) => {
      const q = market.get(s.poolId);
      return { ...s, price: q?.price ?? null, at: q?.at ?? null };
    });
    pools = pools.map((p) => ({ ...p, ownNoticeAt: own.get(p.poolId) ?? null }));
  }
  const input = buildDecisionInput({
    stored,
    reportedInstance: opts.instance,
    reportedPrices: opts.prices,
    storedOnDemand: agent.onDemand,
    pools,
    // Manual replica mode turns engine switching off (CONTRACT 5.3).
    config: {
      ...agent.config,
      autoSwitchEnabled: agent.autoSwitchEnabled && !agent.manualReplicaEnabled,
    },
    switches: agent.switches,
    downtimeWeight: agent.downtimeWeight,
    riskMaxAgeMs: riskMaxAgeMs(config),
    priceMaxAgeMs,
    now,
  });
  if (!input) return held("instance_unknown");
  return { agent, input, decision: decide(input, policy), pools };
}
