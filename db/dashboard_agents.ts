/**
 * Agent lists of one client for the dashboards, and the batched reads behind the decisions page:
 * a fixed number of statements for any number of agents (the predecessor ran 4 per agent, B-19).
 */
import type { Queryable } from "./client.ts";
import { EFFECTIVE_STATUS_SQL } from "./dashboard.ts";
import { bool, type Decoded, decoder, nnum, num0, opt, str } from "./_rows.ts";

const AGENT_LIST_ITEM = {
  id: str,
  clientId: str,
  logicalAgentId: str,
  hostname: opt,
  instanceId: opt,
  instanceType: opt,
  region: opt,
  az: opt,
  currentMode: str,
  currentPoolId: opt,
  status: str,
  storedStatus: str,
  enabled: bool,
  lastHeartbeatAt: opt,
  autoSwitchEnabled: bool,
  autoTerminateEnabled: bool,
  manualReplicaEnabled: bool,
  replicaEnabled: bool,
  terminateWaitSeconds: num0,
  agentVersion: opt,
  lastDecisionAction: opt,
  lastDecisionAt: opt,
  createdAt: str,
  updatedAt: str,
  installedAt: opt,
  terminatedAt: opt,
  deletedAt: opt,
  instanceCount: num0,
  replicaCount: num0,
};

/** An agent as the dashboard lists show it (status already derived from the heartbeat). */
export type AgentListItem = Decoded<typeof AGENT_LIST_ITEM>;
const toItem = decoder(AGENT_LIST_ITEM);

/** Active replica states (not promoted, terminated or failed). */
export const ACTIVE_REPLICA_SQL =
  "r.is_active = 1 AND r.status NOT IN ('promoted', 'terminated', 'failed')";

/**
 * A page of a client's agents with their active instance and replica counts (grouped subqueries,
 * no per-agent query). `history` includes deleted agents, ordered online, offline, deleted, others.
 */
export async function listClientAgents(
  db: Queryable,
  opts: {
    clientId: string;
    heartbeatCutoff: Date;
    history?: boolean;
    limit: number;
    offset: number;
  },
): Promise<AgentListItem[]> {
  const where = opts.history ? "" : "AND a.status <> 'deleted'";
  const order = opts.history
    ? `CASE ${EFFECTIVE_STATUS_SQL} WHEN 'online' THEN 0 WHEN 'offline' THEN 1 WHEN 'deleted' THEN 2 ELSE 3 END, a.last_heartbeat_at DESC, a.id`
    : "a.last_heartbeat_at DESC, a.created_at DESC, a.id";
  const r = await db.execute(
    `SELECT a.id, a.client_id, a.logical_agent_id, a.hostname, a.instance_id, a.instance_type, a.region, a.az,
       a.current_mode, a.current_pool_id, ${EFFECTIVE_STATUS_SQL} AS status, a.status AS stored_status,
       a.enabled, a.last_heartbeat_at, a.auto_switch_enabled, a.auto_terminate_enabled,
       a.manual_replica_enabled, a.replica_enabled, a.terminate_wait_seconds, a.agent_version,
       a.last_decision_action, a.last_decision_at, a.created_at, a.updated_at, a.installed_at,
       COALESCE(i.terminated_at, a.terminated_at) AS terminated_at, a.deleted_at,
       ic.n AS instance_count, rc.n AS replica_count
     FROM agents a
     LEFT JOIN instances i ON i.client_id = a.client_id AND i.id = a.instance_id
     LEFT JOIN (SELECT agent_id, COUNT(*) AS n FROM instances WHERE client_id = ? AND is_active = 1 GROUP BY agent_id) ic ON ic.agent_id = a.id
     LEFT JOIN (SELECT r.agent_id, COUNT(*) AS n FROM replica_instances r JOIN agents ra ON ra.id = r.agent_id
                WHERE ra.client_id = ? AND ${ACTIVE_REPLICA_SQL} GROUP BY r.agent_id) rc ON rc.agent_id = a.id
     WHERE a.client_id = ? ${where}
     ORDER BY ${order} LIMIT ? OFFSET ?`,
    [
      opts.heartbeatCutoff,
      opts.clientId,
      opts.clientId,
      opts.clientId,
      ...(opts.history ? [opts.heartbeatCutoff] : []),
      opts.limit,
      opts.offset,
    ],
  );
  return r.rows.map(toItem);
}

const DECISION_ITEM = {
  agentId: str,
  decisionType: str,
  recommendedAction: opt,
  riskScore: nnum,
  expectedSavings: nnum,
  currentMode: opt,
  reason: opt,
  time: str,
  /** Decisions of this agent in the window (not only the returned ones). */
  windowCount: num0,
};

/** One row of agent_decision_history. */
export type DecisionItem = Decoded<typeof DECISION_ITEM>;
const toDecision = decoder(DECISION_ITEM);

/** The newest `perAgent` decisions since `since` of each agent, in one statement. */
export async function recentDecisions(
  db: Queryable,
  opts: { agentIds: string[]; since: Date; perAgent: number },
): Promise<DecisionItem[]> {
  if (opts.agentIds.length === 0) return [];
  const r = await db.execute(
    `SELECT * FROM (
       SELECT d.agent_id, d.decision_type, d.recommended_action, d.risk_score, d.expected_savings,
         d.current_mode, d.reason, d.decision_time AS time,
         ROW_NUMBER() OVER (PARTITION BY d.agent_id ORDER BY d.decision_time DESC, d.id DESC) AS rn,
         COUNT(*) OVER (PARTITION BY d.agent_id) AS window_count
       FROM agent_decision_history d WHERE d.agent_id IN (?) AND d.decision_time >= ?
     ) x WHERE x.rn <= ? ORDER BY x.agent_id, x.rn`,
    [opts.agentIds, opts.since, opts.perAgent],
  );
  return r.rows.map(toDecision);
}

const PRICING_REPORT_ITEM = { agentId: str, onDemandPrice: nnum, spotPrice: nnum, receivedAt: str };

/** One pricing report as the decisions page shows it. */
export type PricingReportItem = Decoded<typeof PRICING_REPORT_ITEM>;
const toReport = decoder(PRICING_REPORT_ITEM);

/** The newest `perAgent` pricing reports received since `since` of each agent, in one statement. */
export async function recentPricingReports(
  db: Queryable,
  opts: { agentIds: string[]; since: Date; perAgent: number },
): Promise<PricingReportItem[]> {
  if (opts.agentIds.length === 0) return [];
  const r = await db.execute(
    `SELECT * FROM (
       SELECT p.agent_id, p.on_demand_price, COALESCE(p.current_spot_price, p.cheapest_pool_price) AS spot_price,
         p.received_at, ROW_NUMBER() OVER (PARTITION BY p.agent_id ORDER BY p.received_at DESC, p.id) AS rn
       FROM pricing_reports p WHERE p.agent_id IN (?) AND p.received_at >= ?
     ) x WHERE x.rn <= ? ORDER BY x.agent_id, x.rn`,
    [opts.agentIds, opts.since, opts.perAgent],
  );
  return r.rows.map(toReport);
}

const AGENT_EVENT_ITEM = { agentId: str, type: str, severity: str, message: opt, time: str };

/** One system event of an agent. */
export type AgentEventItem = Decoded<typeof AGENT_EVENT_ITEM>;
const toEvent = decoder(AGENT_EVENT_ITEM);

/** The newest `perAgent` system events since `since` of each agent, in one statement. */
export async function recentAgentEvents(
  db: Queryable,
  opts: { agentIds: string[]; since: Date; perAgent: number },
): Promise<AgentEventItem[]> {
  if (opts.agentIds.length === 0) return [];
  const r = await db.execute(
    `SELECT * FROM (
       SELECT e.agent_id, e.event_type AS type, e.severity, e.message, e.created_at AS time,
         ROW_NUMBER() OVER (PARTITION BY e.agent_id ORDER BY e.created_at DESC, e.id DESC) AS rn
       FROM system_events e WHERE e.agent_id IN (?) AND e.created_at >= ?
     ) x WHERE x.rn <= ? ORDER BY x.agent_id, x.rn`,
    [opts.agentIds, opts.since, opts.perAgent],
  );
  return r.rows.map(toEvent);
}
