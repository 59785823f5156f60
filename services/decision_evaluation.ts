/**
 * The decision engine wired to the server: `evaluateAgent` assesses an agent (decision_assess.ts)
 * and acts on the decision: queues one switch command when it auto-executes, and records the
 * evaluation in agent_decision_history when it changed (or as an hourly sample).
 * `evaluateAfterPricingReport` is the hook for pricing reports (AppServices.onPricingReport).
 */
import type { AppDeps } from "./types.ts";
import { Conflict, DomainError } from "../core/errors.ts";
import type { ReportedInstance, ReportedPrices } from "../core/decision_input.ts";
import {
  type CommandPlan,
  type DecisionView,
  planEngineCommand,
  recordReasonFor,
} from "../core/decision_wire.ts";
import { claimDecisionRecord, insertDecisionHistory } from "../db/decision_history.ts";
import { queueSwitchCommand } from "../db/commands.ts";
import { insertNotification } from "../db/events.ts";
import { assessAgent } from "./decision_assess.ts";
import type { PricingReportEvent } from "./types.ts";
import type { NormalizedPricing } from "../core/pricing_report.ts";

/** What one evaluation did. */
export interface Evaluation {
  /** Null when the engine did not run (no such agent, disabled or deleted, instance unknown). */
  decision: DecisionView | null;
  commandId: string | null;
  recorded: boolean;
  plan?: CommandPlan;
}

/**
 * Evaluates one agent and acts: at most one engine command (only when the decision auto-executes
 * and the agent has no open command), and a history row when the decision changed, a command was
 * queued, or the last row is an hour old. Statements: 2 reads; +2 (CAS + history) when recorded;
 * + queueSwitchCommand's transaction and one notification when a command is queued.
 */
export async function evaluateAgent(
  deps: AppDeps,
  opts: {
    clientId: string;
    agentId: string;
    now: Date;
    pricesFromReport?: ReportedPrices | null;
    instanceFromReport?: ReportedInstance | null;
  },
): Promise<Evaluation> {
  const { db, log, config } = deps;
  const { now } = opts;
  const a = await assessAgent(deps, {
    clientId: opts.clientId,
    agentId: opts.agentId,
    now,
    instance: opts.instanceFromReport,
    prices: opts.pricesFromReport,
  });
  if (!a || !a.input) return { decision: null, commandId: null, recorded: false };
  const { agent, decision: d, input } = a;
  const reporter = opts.instanceFromReport?.instanceId;
  if (reporter && agent.instanceId && reporter !== agent.instanceId) {
    // A report from an instance that no longer owns the agent (switched away, T-09) describes a
    // state that is gone: nothing to act on or record.
    return { decision: d, commandId: null, recorded: false };
  }
  const plan = planEngineCommand(d, {
    open: agent.openCommand,
    lastFailure: agent.lastEngineFailure,
    now,
  });
  const why = recordReasonFor(d, { last: agent.last, commandQueued: plan.queue, now });
  if (why === null) return { decision: d, commandId: null, recorded: false, plan };
  // Compare-and-set first: of two concurrent evaluations only one records (and queues).
  const won = await claimDecisionRecord(db, {
    clientId: agent.clientId,
    agentId: agent.id,
    expect: agent.last,
    next: { action: d.action, code: d.reasonCode, poolId: d.targetPoolId, at: now },
  });
  if (!won) return { decision: d, commandId: null, recorded: false, plan };
  let commandId: string | null = null;
  let commandError: string | null = null;
  if (plan.queue && d.targetMode) {
    try {
      const q = await queueSwitchCommand(db, {
        clientId: agent.clientId,
        agentId: agent.id,
        targetMode: d.targetMode,
        targetPoolId: d.targetPoolId,
        priority: plan.priority,
        createdBy: "engine",
        triggerType: "model",
        reason: `${d.reasonCode}: ${d.reason}`,
        now,
        pendingTtlSeconds: config.COMMAND_PENDING_TTL,
        // Checked inside the queue transaction: a command queued since the engine's read wins.
        onlyIfNoneOpen: true,
      });
      commandId = q.id;
    } catch (err) {
      // A command in flight (or one queued meanwhile) wins; the engine retries on the next report.
      if (!(err instanceof DomainError)) throw err;
      if (!(err instanceof Conflict)) {
        log.warn("engine command refused", {
          agentId: agent.id,
          code: err.code,
          error: err.message,
        });
      }
      commandError = err.code;
    }
  }
  const cur = input.instance;
  const curPrice = cur.mode === "spot"
    ? input.pools.find((p) => p.poolId === cur.poolId)?.price ?? null
    : input.onDemand?.price ?? null;
  await insertDecisionHistory(db, {
    agentId: agent.id,
    clientId: agent.clientId,
    decisionType: d.decisionType,
    action: d.action,
    recommendedMode: d.targetMode,
    recommendedPoolId: d.targetPoolId,
    riskScore: d.riskScore,
    expectedSavings: d.expectedSavingsPerHour,
    currentMode: cur.mode,
    currentPoolId: cur.poolId,
    currentPrice: curPrice,
    reasonCode: d.reasonCode,
    reason: d.reason,
    inputs: {
      source: opts.pricesFromReport ? "pricing_report" : "stored",
      input,
      plan,
      command_error: commandError,
      confidence: d.confidence,
      allowed: d.allowed,
      switch_cost: d.switchCost,
      payback_hours: d.paybackHours,
      current_cost_per_hour: d.currentCostPerHour,
      target_cost_per_hour: d.targetCostPerHour,
      blocked: d.blocked,
      rules: d.rules,
    },
    commandId,
    recordReason: why,
    at: now,
  });
  if (commandId) {
    const target = d.targetMode === "spot" ? `spot pool ${d.targetPoolId}` : "on-demand";
    await insertNotification(db, {
      clientId: agent.clientId,
      agentId: agent.id,
      type: "switch_command",
      severity: d.reasonCode === "risk_exit" ? "warning" : "info",
      message: `Decision engine queued a switch of ${
        agent.hostname ?? agent.id
      } to ${target}: ${d.reason}`,
    });
  }
  return { decision: d, commandId, recorded: true, plan };
}

/** A normalised pricing report's instance and prices in the engine's terms. */
export function reportInputs(
  event: NormalizedPricing,
): { instance: ReportedInstance; prices: ReportedPrices } {
  return {
    instance: {
      instanceId: event.instanceId,
      mode: event.mode,
      poolId: event.poolId,
      instanceType: event.instanceType,
      region: event.region,
      az: event.az,
    },
    prices: {
      onDemand: event.onDemandPrice !== null
        ? { price: event.onDemandPrice, at: event.collectedAt, estimated: event.onDemandEstimated }
        : null,
      currentSpotPrice: event.currentSpotPrice,
      pools: event.pools,
      collectedAt: event.collectedAt,
    },
  };
}

/** The pricing-report hook (AppServices.onPricingReport): evaluates the reporting agent. */
export async function evaluateAfterPricingReport(
  deps: AppDeps,
  event: PricingReportEvent,
): Promise<void> {
  const { instance, prices } = reportInputs(event);
  const r = await evaluateAgent(deps, {
    clientId: event.clientId,
    agentId: event.agentId,
    now: deps.clock(),
    pricesFromReport: prices,
    instanceFromReport: instance,
  });
  if (r.commandId) {
    deps.log.info("engine queued a switch command", {
      agentId: event.agentId,
      commandId: r.commandId,
      reasonCode: r.decision?.reasonCode,
    });
  }
}
