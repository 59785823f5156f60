/**
 * Agent lists of one client for the dashboards, and the batched reads behind the decisions page:
 * a fixed number of statements for any number of agents (the predecessor ran 4 per agent, B-19).
 */
import type { Queryable } from "./client.ts";
import { bool, num } from "./client.ts";
import { EFFECTIVE_STATUS_SQL } from "./dashboard.ts";
import type { AgentPlacement, AgentPlacementRow } from "./agents.ts";
import { toAgentPlacement } from "./agents.ts";

/** An agent as the dashboard lists show it (status already derived from the heartbeat). */
export interface AgentListItem extends AgentPlacement {
  id: string;
  clientId: string;
  logicalAgentId: string;
  hostname: string | null;
  status: string;
  storedStatus: string;
  enabled: boolean;
  lastHeartbeatAt: string | null;
  autoSwitchEnabled: boolean;
  autoTerminateEnabled: boolean;
  manualReplicaEnabled: boolean;
  replicaEnabled: boolean;
  terminateWaitSeconds: number;
  agentVersion: string | null;
  lastDecisionAction: string | null;
  lastDecisionAt: string | null;
  createdAt: string;
  updatedAt: string;
  installedAt: string | null;
  terminatedAt: string | null;
  deletedAt: string | null;
  instanceCount: number;
  replicaCount: number;
}

interface AgentListRow extends AgentPlacementRow {
  id: string;
  client_id: string;
  logical_agent_id: string;
  hostname: string | null;
  status: string;
  stored_status: string;
  enabled: number;
  last_heartbeat_at: string | null;
  auto_switch_enabled: number;
  auto_terminate_enabled: number;
  manual_replica_enabled: number;
  replica_enabled: number;
  terminate_wait_seconds: number;
  agent_version: string | null;
  last_decision_action: string | null;
  last_decision_at: string | null;
  created_at: string;
  updated_at: string;
  installed_at: string | null;
  terminated_at: string | null;
  deleted_at: string | null;
  instance_count: number | null;
  replica_count: number | null;
}

function toItem(r: AgentListRow): AgentListItem {
  return {
    id: r.id,
    clientId: r.client_id,
    logicalAgentId: r.logical_agent_id,
    hostname: r.hostname,
    ...toAgentPlacement(r),
    status: r.status,
    storedStatus: r.stored_status,
    enabled: bool(r.enabled),
    lastHeartbeatAt: r.last_heartbeat_at,
    autoSwitchEnabled: bool(r.auto_switch_enabled),
    autoTerminateEnabled: bool(r.auto_terminate_enabled),
    manualReplicaEnabled: bool(r.manual_replica_enabled),
    replicaEnabled: bool(r.replica_enabled),
    terminateWaitSeconds: num(r.terminate_wait_seconds) ?? 0,
    agentVersion: r.agent_version,
    lastDecisionAction: r.last_decision_action,
    lastDecisionAt: r.last_decision_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    installedAt: r.installed_at,
    terminatedAt: r.terminated_at,
    deletedAt: r.deleted_at,
    instanceCount: num(r.instance_count) ?? 0,
    replicaCount: num(r.replica_count) ?? 0,
  };
}

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
  const r = await db.execute<AgentListRow>(
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

/** One row of agent_decision_history. */
export interface DecisionItem {
  agentId: string;
  decisionType: string;
  recommendedAction: string | null;
  riskScore: number | null;
  expectedSavings: number | null;
  currentMode: string | null;
  reason: string | null;
  time: string;
  /** Decisions of this agent in the window (not only the returned ones). */
  windowCount: number;
}

interface DecisionRow {
  agent_id: string;
  decision_type: string;
  recommended_action: string | null;
  risk_score: number | null;
  expected_savings: number | null;
  current_mode: string | null;
  reason: string | null;
  decision_time: string;
  window_count: number;
}

/** The newest `perAgent` decisions since `since` of each agent, in one statement. */
export async function recentDecisions(
  db: Queryable,
  opts: { agentIds: string[]; since: Date; perAgent: number },
): Promise<DecisionItem[]> {
  if (opts.agentIds.length === 0) return [];
  const r = await db.execute<DecisionRow>(
    `SELECT * FROM (
       SELECT d.agent_id, d.decision_type, d.recommended_action, d.risk_score, d.expected_savings,
         d.current_mode, d.reason, d.decision_time,
         ROW_NUMBER() OVER (PARTITION BY d.agent_id ORDER BY d.decision_time DESC, d.id DESC) AS rn,
         COUNT(*) OVER (PARTITION BY d.agent_id) AS window_count
       FROM agent_decision_history d WHERE d.agent_id IN (?) AND d.decision_time >= ?
     ) x WHERE x.rn <= ? ORDER BY x.agent_id, x.rn`,
    [opts.agentIds, opts.since, opts.perAgent],
  );
  return r.rows.map((d) => ({
    agentId: d.agent_id,
    decisionType: d.decision_type,
    recommendedAction: d.recommended_action,
    riskScore: num(d.risk_score),
    expectedSavings: num(d.expected_savings),
    currentMode: d.current_mode,
    reason: d.reason,
    time: d.decision_time,
    windowCount: num(d.window_count) ?? 0,
  }));
}

/** One pricing report as the decisions page shows it. */
export interface PricingReportItem {
  agentId: string;
  onDemandPrice: number | null;
  spotPrice: number | null;
  receivedAt: string;
}

/** The newest `perAgent` pricing reports received since `since` of each agent, in one statement. */
export async function recentPricingReports(
  db: Queryable,
  opts: { agentIds: string[]; since: Date; perAgent: number },
): Promise<PricingReportItem[]> {
  if (opts.agentIds.length === 0) return [];
  const r = await db.execute<{
    agent_id: string;
    on_demand_price: number | null;
    spot_price: number | null;
    received_at: string;
  }>(
    `SELECT * FROM (
       SELECT p.agent_id, p.on_demand_price, COALESCE(p.current_spot_price, p.cheapest_pool_price) AS spot_price,
         p.received_at, ROW_NUMBER() OVER (PARTITION BY p.agent_id ORDER BY p.received_at DESC, p.id) AS rn
       FROM pricing_reports p WHERE p.agent_id IN (?) AND p.received_at >= ?
     ) x WHERE x.rn <= ? ORDER BY x.agent_id, x.rn`,
    [opts.agentIds, opts.since, opts.perAgent],
  );
  return r.rows.map((p) => ({
    agentId: p.agent_id,
    onDemandPrice: num(p.on_demand_price),
    spotPrice: num(p.spot_price),
    receivedAt: p.received_at,
  }));
}

/** One system event of an agent. */
export interface AgentEventItem {
  agentId: string;
  type: string;
  severity: string;
  message: string | null;
  time: string;
}

/** The newest `perAgent` system events since `since` of each agent, in one statement. */
export async function recentAgentEvents(
  db: Queryable,
  opts: { agentIds: string[]; since: Date; perAgent: number },
): Promise<AgentEventItem[]> {
  if (opts.agentIds.length === 0) return [];
  const r = await db.execute<{
    agent_id: string;
    event_type: string;
    severity: string;
    message: string | null;
    created_at: string;
  }>(
    `SELECT * FROM (
       SELECT e.agent_id, e.event_type, e.severity, e.message, e.created_at,
         ROW_NUMBER() OVER (PARTITION BY e.agent_id ORDER BY e.created_at DESC, e.id DESC) AS rn
       FROM system_events e WHERE e.agent_id IN (?) AND e.created_at >= ?
     ) x WHERE x.rn <= ? ORDER BY x.agent_id, x.rn`,
    [opts.agentIds, opts.since, opts.perAgent],
  );
  return r.rows.map((e) => ({
    agentId: e.agent_id,
    type: e.event_type,
    severity: e.severity,
    message: e.message,
    time: e.created_at,
  }));
}
