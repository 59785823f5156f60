/**
 * Reads behind the console's interruptions and pool-risk page: each termination notice or
 * rebalance signal of a client with its timeline (notice -> replica requested -> registered ->
 * ready -> promoted), and the risk of the pools the client's agents can use with the evidence the
 * pool-risk job stored (volatility, 24 h prices, interruption frequency).
 */
import type { Queryable } from "./client.ts";
import { json, num } from "./client.ts";

/** One interruption signal and what happened after it. */
export interface InterruptionItem {
  id: number;
  agentId: string;
  agentName: string | null;
  instanceId: string;
  eventType: string;
  poolId: string | null;
  status: string;
  actionTaken: string | null;
  noReplicaReason: string | null;
  detectedAt: string;
  terminationTime: string | null;
  replicaRequestedAt: string | null;
  replicaRegisteredAt: string | null;
  replicaReadyAt: string | null;
  promotedAt: string | null;
}

interface InterruptionRow {
  id: number;
  agent_id: string;
  logical_agent_id: string | null;
  instance_id: string;
  event_type: string;
  pool_id: string | null;
  status: string;
  action_taken: string | null;
  no_replica_reason: string | null;
  detected_at: string;
  termination_time: string | null;
  replica_requested_at: string | null;
  replica_registered_at: string | null;
  replica_ready_at: string | null;
  promoted_at: string | null;
}

/** A client's interruption signals, newest first (optionally of one agent). */
export async function listInterruptions(
  db: Queryable,
  opts: { clientId: string; agentId?: string; limit: number },
): Promise<InterruptionItem[]> {
  const r = await db.execute<InterruptionRow>(
    `SELECT t.id, t.agent_id, a.logical_agent_id, t.instance_id, t.event_type, t.pool_id, t.status, t.action_taken, t.no_replica_reason, t.detected_at, t.termination_time, t.replica_requested_at, t.replica_registered_at, t.replica_ready_at, t.promoted_at FROM termination_events t JOIN agents a ON a.id = t.agent_id AND a.client_id = ?${
      opts.agentId ? " WHERE t.agent_id = ?" : ""
    } ORDER BY t.detected_at DESC, t.id DESC LIMIT ?`,
    opts.agentId ? [opts.clientId, opts.agentId, opts.limit] : [opts.clientId, opts.limit],
  );
  return r.rows.map((row) => ({
    id: Number(row.id),
    agentId: row.agent_id,
    agentName: row.logical_agent_id,
    instanceId: row.instance_id,
    eventType: row.event_type,
    poolId: row.pool_id,
    status: row.status,
    actionTaken: row.action_taken,
    noReplicaReason: row.no_replica_reason,
    detectedAt: row.detected_at,
    terminationTime: row.termination_time,
    replicaRequestedAt: row.replica_requested_at,
    replicaRegisteredAt: row.replica_registered_at,
    replicaReadyAt: row.replica_ready_at,
    promotedAt: row.promoted_at,
  }));
}

/** A pool's current risk and the evidence of its latest analysis. */
export interface PoolRiskItem {
  poolId: string;
  instanceType: string;
  region: string;
  az: string;
  riskScore: number | null;
  recommendation: string | null;
  analyzedAt: string | null;
  priceVolatility: number | null;
  avgPrice24h: number | null;
  minPrice24h: number | null;
  maxPrice24h: number | null;
  interruptionFrequency: number | null;
  metadata: Record<string, unknown> | null;
}

interface PoolRiskRow {
  id: string;
  instance_type: string;
  region: string;
  az: string;
  risk_score: number | null;
  risk_recommendation: string | null;
  risk_analyzed_at: string | null;
  price_volatility: number | null;
  avg_price_24h: number | null;
  min_price_24h: number | null;
  max_price_24h: number | null;
  interruption_frequency: number | null;
  metadata: unknown;
}

/** Active pools of the instance types and regions the client's agents run in, riskiest first. */
export async function listClientPoolRisk(
  db: Queryable,
  opts: { clientId: string; limit: number },
): Promise<PoolRiskItem[]> {
  const r = await db.execute<PoolRiskRow>(
    "SELECT p.id, p.instance_type, p.region, p.az, p.risk_score, p.risk_recommendation, p.risk_analyzed_at, ra.price_volatility, ra.avg_price_24h, ra.min_price_24h, ra.max_price_24h, ra.interruption_frequency, ra.metadata FROM spot_pools p LEFT JOIN pool_risk_analysis ra ON ra.id = (SELECT r2.id FROM pool_risk_analysis r2 WHERE r2.pool_id = p.id ORDER BY r2.analysis_time DESC, r2.id DESC LIMIT 1) WHERE p.is_active = 1 AND EXISTS (SELECT 1 FROM agents a WHERE a.client_id = ? AND a.status <> 'deleted' AND a.instance_type = p.instance_type AND a.region = p.region) ORDER BY p.risk_score IS NULL, p.risk_score DESC, p.id LIMIT ?",
    [opts.clientId, opts.limit],
  );
  return r.rows.map((row) => ({
    poolId: row.id,
    instanceType: row.instance_type,
    region: row.region,
    az: row.az,
    riskScore: num(row.risk_score),
    recommendation: row.risk_recommendation,
    analyzedAt: row.risk_analyzed_at,
    priceVolatility: num(row.price_volatility),
    avgPrice24h: num(row.avg_price_24h),
    minPrice24h: num(row.min_price_24h),
    maxPrice24h: num(row.max_price_24h),
    interruptionFrequency: num(row.interruption_frequency),
    metadata: json<Record<string, unknown>>(row.metadata),
  }));
}
