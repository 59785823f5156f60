/**
 * agent_decision_history and the agent's last-decision summary (agents.last_decision_*), written
 * with a compare-and-set so concurrent evaluations of one agent record (and act) once.
 */
import type { Queryable } from "./client.ts";
import type { LastDecision, RecordReason } from "../core/decision_wire.ts";

/** The summary columns of the latest recorded decision. */
export interface DecisionSummary {
  action: string;
  code: string;
  poolId: string | null;
  at: Date;
}

/**
 * Sets agents.last_decision_* to `next` only if they still hold `expect` (compare-and-set); false
 * when another evaluation recorded first, so concurrent evaluations write one history row.
 */
export async function claimDecisionRecord(
  db: Queryable,
  opts: { clientId: string; agentId: string; expect: LastDecision; next: DecisionSummary },
): Promise<boolean> {
  const { expect: e, next: n } = opts;
  const r = await db.execute(
    "UPDATE agents SET last_decision_action = ?, last_decision_code = ?, last_decision_pool_id = ?, last_decision_at = ? " +
      "WHERE id = ? AND client_id = ? AND last_decision_action <=> ? AND last_decision_code <=> ? " +
      "AND last_decision_pool_id <=> ? AND last_decision_at <=> ?",
    [
      n.action,
      n.code,
      n.poolId,
      n.at,
      opts.agentId,
      opts.clientId,
      e.action,
      e.code,
      e.poolId,
      e.at,
    ],
  );
  return r.rowsAffected === 1;
}

/** One agent_decision_history row. */
export interface DecisionHistoryInput {
  agentId: string;
  clientId: string;
  decisionType: string;
  action: string;
  recommendedMode: string | null;
  recommendedPoolId: string | null;
  riskScore: number;
  expectedSavings: number;
  currentMode: string;
  currentPoolId: string | null;
  currentPrice: number | null;
  reasonCode: string;
  reason: string;
  inputs: unknown;
  commandId: string | null;
  recordReason: RecordReason;
  at: Date;
}

/** Inserts one decision history row. */
export async function insertDecisionHistory(
  db: Queryable,
  h: DecisionHistoryInput,
): Promise<void> {
  await db.execute(
    "INSERT INTO agent_decision_history (agent_id, client_id, decision_type, recommended_action, recommended_mode, recommended_pool_id, risk_score, expected_savings, current_mode, current_pool_id, current_price, reason_code, reason, inputs, command_id, record_reason, decision_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [
      h.agentId,
      h.clientId,
      h.decisionType,
      h.action,
      h.recommendedMode,
      h.recommendedPoolId,
      Math.min(Math.max(h.riskScore, 0), 1),
      h.expectedSavings,
      h.currentMode,
      h.currentPoolId,
      h.currentPrice,
      h.reasonCode,
      h.reason,
      JSON.stringify(h.inputs),
      h.commandId,
      h.recordReason,
      h.at,
    ],
  );
}
