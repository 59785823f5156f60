/**
 * Fleet health reads (CONTRACT E66 pools statistics, E67 agents health summary). An agent is
 * `stale` when its last heartbeat is older than the timeout (or it never sent one), `degraded` when
 * its heartbeat is late or its recent health metrics show errors, failed checks, long heartbeat
 * gaps or slow heartbeats, else `healthy`. The class is computed in SQL so the counts cover every
 * agent while only one page of agents is returned.
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";
import { bool, col, type Decoded, decoder, nnum, num0, opt, str } from "./_rows.ts";

/** Thresholds of the health classes. */
export interface HealthThresholds {
  /** Heartbeat older than this: stale. */
  staleBefore: Date;
  /** Heartbeat older than this (but not stale): degraded. */
  lateBefore: Date;
  /** Metrics newer than this are "recent". */
  metricsSince: Date;
  /** Largest acceptable gap between heartbeats, ms. */
  maxGapMs: number;
  /** Largest acceptable average heartbeat latency, ms. */
  maxLatencyMs: number;
}

const METRICS_JOIN = `LEFT JOIN (
  SELECT agent_id, COUNT(*) AS samples, SUM(COALESCE(error_count, 0)) AS errors,
    SUM(COALESCE(warning_count, 0)) AS warnings, SUM(pricing_fetch_success = 0) AS pricing_failures,
    SUM(termination_check_success = 0) AS termination_failures,
    SUM(rebalance_check_success = 0) AS rebalance_failures, AVG(heartbeat_latency_ms) AS avg_latency_ms,
    MAX(max_heartbeat_gap_ms) AS max_gap_ms
  FROM agent_health_metrics WHERE metric_time >= ? GROUP BY agent_id) m ON m.agent_id = a.id`;

const CLASS_SQL = `CASE
  WHEN a.last_heartbeat_at IS NULL OR a.last_heartbeat_at < ? THEN 'stale'
  WHEN a.last_heartbeat_at < ? OR COALESCE(m.errors, 0) > 0 OR COALESCE(m.pricing_failures, 0) > 0
    OR COALESCE(m.termination_failures, 0) > 0 OR COALESCE(m.rebalance_failures, 0) > 0
    OR COALESCE(m.max_gap_ms, 0) > ? OR COALESCE(m.avg_latency_ms, 0) > ? THEN 'degraded'
  ELSE 'healthy' END`;

const classArgs = (
  t: HealthThresholds,
) => [t.staleBefore, t.lateBefore, t.maxGapMs, t.maxLatencyMs];

const AGENT_HEALTH_ROW = {
  agentId: col("id", str),
  logicalAgentId: str,
  clientId: str,
  clientName: str,
  status: str,
  enabled: bool,
  lastHeartbeatAt: opt,
  health: (v: unknown) => v as "healthy" | "degraded" | "stale",
  samples: num0,
  errors: num0,
  warnings: num0,
  pricingFailures: num0,
  terminationFailures: num0,
  rebalanceFailures: num0,
  avgLatencyMs: nnum,
  maxGapMs: nnum,
};

/** One agent with its health class and recent metric aggregates. */
export type AgentHealthRow = Decoded<typeof AGENT_HEALTH_ROW>;

/** A page of (non-deleted) agents with their health, worst first. */
export async function agentHealthPage(
  db: Queryable,
  opts: { thresholds: HealthThresholds; limit: number; offset: number },
): Promise<AgentHealthRow[]> {
  const r = await db.execute<Record<string, unknown>>(
    `SELECT * FROM (
       SELECT a.id, a.logical_agent_id, a.client_id, c.name AS client_name, a.status, a.enabled,
         a.last_heartbeat_at, ${CLASS_SQL} AS health, m.samples, m.errors, m.warnings,
         m.pricing_failures, m.termination_failures, m.rebalance_failures, m.avg_latency_ms, m.max_gap_ms
       FROM agents a JOIN clients c ON c.id = a.client_id ${METRICS_JOIN}
       WHERE a.status <> 'deleted'
     ) x ORDER BY FIELD(x.health, 'stale', 'degraded', 'healthy'), x.last_heartbeat_at, x.id LIMIT ? OFFSET ?`,
    [...classArgs(opts.thresholds), opts.thresholds.metricsSince, opts.limit, opts.offset],
  );
  return r.rows.map(decoder(AGENT_HEALTH_ROW));
}

/** Agent counts per health class, per client (at most `limit` rows, biggest clients first). */
export async function agentHealthCounts(
  db: Queryable,
  opts: { thresholds: HealthThresholds; now: Date; limit: number },
): Promise<{
  total: {
    health: string;
    agents: number;
    enabled: number;
    delaySum: number;
    withHeartbeat: number;
  }[];
  byClient: { clientId: string; clientName: string; health: string; agents: number }[];
}> {
  const inner = `SELECT a.client_id, a.enabled, a.last_heartbeat_at, ${CLASS_SQL} AS health
    FROM agents a ${METRICS_JOIN} WHERE a.status <> 'deleted'`;
  const args = [...classArgs(opts.thresholds), opts.thresholds.metricsSince];
  const t = await db.execute<Record<string, unknown>>(
    `SELECT x.health, COUNT(*) AS agents, SUM(x.enabled) AS enabled,
       SUM(TIMESTAMPDIFF(SECOND, x.last_heartbeat_at, ?)) AS delay_sum, COUNT(x.last_heartbeat_at) AS with_hb
     FROM (${inner}) x GROUP BY x.health`,
    [opts.now, ...args],
  );
  const b = await db.execute<Record<string, unknown>>(
    `SELECT x.client_id, c.name AS client_name, x.health, COUNT(*) AS agents
     FROM (${inner}) x JOIN clients c ON c.id = x.client_id
     GROUP BY x.client_id, c.name, x.health ORDER BY COUNT(*) DESC, x.client_id LIMIT ?`,
    [...args, opts.limit],
  );
  return {
    total: t.rows.map((x) => ({
      health: String(x.health),
      agents: num(x.agents) ?? 0,
      enabled: num(x.enabled) ?? 0,
      delaySum: num(x.delay_sum) ?? 0,
      withHeartbeat: num(x.with_hb) ?? 0,
    })),
    byClient: b.rows.map((x) => ({
      clientId: String(x.client_id),
      clientName: String(x.client_name),
      health: String(x.health),
      agents: num(x.agents) ?? 0,
    })),
  };
}

/** Pool coverage: pools per region and instance type, active instances, recent interruptions. */
export async function poolStatistics(
  db: Queryable,
  opts: { since: Date; limit: number },
): Promise<{
  overall: Record<string, number>;
  byRegion: { region: string; pools: number; zones: number; types: number; instances: number }[];
  byType: { instanceType: string; pools: number; regions: number; instances: number }[];
  interruptions: {
    poolId: string;
    terminationNotices: number;
    rebalanceRecommendations: number;
    riskScore: number | null;
  }[];
}> {
  const o = await db.execute<Record<string, number | null>>(
    `SELECT (SELECT COUNT(*) FROM instances WHERE is_active = 1) AS instances,
       (SELECT COUNT(*) FROM spot_pools WHERE is_active = 1) AS pools,
       (SELECT COUNT(DISTINCT region) FROM spot_pools WHERE is_active = 1) AS regions,
       (SELECT COUNT(DISTINCT az) FROM spot_pools WHERE is_active = 1) AS zones,
       (SELECT COUNT(DISTINCT instance_type) FROM spot_pools WHERE is_active = 1) AS types`,
  );
  const reg = await db.execute<Record<string, unknown>>(
    `SELECT p.region, p.pools, p.zones, p.types, COALESCE(i.n, 0) AS instances FROM
       (SELECT region, COUNT(*) AS pools, COUNT(DISTINCT az) AS zones, COUNT(DISTINCT instance_type) AS types
        FROM spot_pools WHERE is_active = 1 GROUP BY region) p
     LEFT JOIN (SELECT region, COUNT(*) AS n FROM instances WHERE is_active = 1 GROUP BY region) i ON i.region = p.region
     ORDER BY instances DESC, p.region LIMIT ?`,
    [opts.limit],
  );
  const typ = await db.execute<Record<string, unknown>>(
    `SELECT p.instance_type, p.pools, p.regions, COALESCE(i.n, 0) AS instances FROM
       (SELECT instance_type, COUNT(*) AS pools, COUNT(DISTINCT region) AS regions
        FROM spot_pools WHERE is_active = 1 GROUP BY instance_type) p
     LEFT JOIN (SELECT instance_type, COUNT(*) AS n FROM instances WHERE is_active = 1 GROUP BY instance_type) i ON i.instance_type = p.instance_type
     ORDER BY instances DESC, p.instance_type LIMIT ?`,
    [opts.limit],
  );
  const intr = await db.execute<Record<string, unknown>>(
    `SELECT t.pool_id, t.notices, t.rebalances, p.risk_score FROM
       (SELECT pool_id, SUM(event_type = 'termination_notice') AS notices,
          SUM(event_type = 'rebalance_recommendation') AS rebalances
        FROM termination_events WHERE detected_at >= ? AND pool_id IS NOT NULL GROUP BY pool_id) t
     LEFT JOIN spot_pools p ON p.id = t.pool_id
     ORDER BY t.notices DESC, t.rebalances DESC, t.pool_id LIMIT ?`,
    [opts.since, opts.limit],
  );
  const x = o.rows[0] ?? {};
  return {
    overall: {
      totalInstances: num(x.instances) ?? 0,
      totalPools: num(x.pools) ?? 0,
      totalRegions: num(x.regions) ?? 0,
      totalZones: num(x.zones) ?? 0,
      totalTypes: num(x.types) ?? 0,
    },
    byRegion: reg.rows.map((r) => ({
      region: String(r.region),
      pools: num(r.pools) ?? 0,
      zones: num(r.zones) ?? 0,
      types: num(r.types) ?? 0,
      instances: num(r.instances) ?? 0,
    })),
    byType: typ.rows.map((r) => ({
      instanceType: String(r.instance_type),
      pools: num(r.pools) ?? 0,
      regions: num(r.regions) ?? 0,
      instances: num(r.instances) ?? 0,
    })),
    interruptions: intr.rows.map((r) => ({
      poolId: String(r.pool_id),
      terminationNotices: num(r.notices) ?? 0,
      rebalanceRecommendations: num(r.rebalances) ?? 0,
      riskScore: num(r.risk_score),
    })),
  };
}
