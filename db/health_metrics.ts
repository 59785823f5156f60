/**
 * Agent health metrics (the seed's agent_health_metrics): rows an agent posts (source 'agent')
 * and the per-agent heartbeat aggregates the server flushes (source 'server'). Unique per
 * (agent, source, metric_time): a retried post overwrites itself, and server rows of the same
 * time bucket from several processes merge.
 */
import type { Queryable } from "./client.ts";
import { bool, json, num } from "./client.ts";

/** A metric an agent measured itself. */
export interface AgentMetricInput {
  agentId: string;
  clientId: string;
  metricTime: Date;
  heartbeatLatencyMs: number | null;
  commandExecutionTimeMs: number | null;
  pricingFetchSuccess: boolean | null;
  terminationCheckSuccess: boolean | null;
  rebalanceCheckSuccess: boolean | null;
  errorCount: number;
  warningCount: number;
  metadata: Record<string, unknown> | null;
}

const b = (v: boolean | null): number | null => (v === null ? null : v ? 1 : 0);

/** Stores one agent-measured metric (a retry with the same metric_time replaces it). */
export async function insertAgentMetric(db: Queryable, m: AgentMetricInput): Promise<void> {
  await db.execute(
    "INSERT INTO agent_health_metrics (agent_id, client_id, source, metric_time, heartbeat_latency_ms, command_execution_time_ms, pricing_fetch_success, termination_check_success, rebalance_check_success, error_count, warning_count, metadata) VALUES (?, ?, 'agent', ?, ?, ?, ?, ?, ?, ?, ?, ?) " +
      "ON DUPLICATE KEY UPDATE heartbeat_latency_ms = VALUES(heartbeat_latency_ms), command_execution_time_ms = VALUES(command_execution_time_ms), pricing_fetch_success = VALUES(pricing_fetch_success), termination_check_success = VALUES(termination_check_success), rebalance_check_success = VALUES(rebalance_check_success), error_count = VALUES(error_count), warning_count = VALUES(warning_count), metadata = VALUES(metadata)",
    [
      m.agentId,
      m.clientId,
      m.metricTime,
      m.heartbeatLatencyMs,
      m.commandExecutionTimeMs,
      b(m.pricingFetchSuccess),
      b(m.terminationCheckSuccess),
      b(m.rebalanceCheckSuccess),
      m.errorCount,
      m.warningCount,
      m.metadata ? JSON.stringify(m.metadata) : null,
    ],
  );
}

/** The server's heartbeat aggregate of one agent over one flush window. */
export interface ServerMetricInput {
  agentId: string;
  clientId: string;
  beats: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  /** Longest time between two beats seen by this process; null with fewer than two. */
  maxGapMs: number | null;
}

const SERVER_ROWS_PER_STATEMENT = 500;

/**
 * Writes server aggregates as multi-row INSERTs (500 rows per statement) at `metricTime`; a row
 * that already exists for that time (another process) is merged: counts add, maxima take the
 * larger, the average is weighted by beats. Returns the number of statements sent.
 */
export async function mergeServerMetrics(
  db: Queryable,
  metricTime: Date,
  rows: ServerMetricInput[],
): Promise<number> {
  let statements = 0;
  for (let i = 0; i < rows.length; i += SERVER_ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + SERVER_ROWS_PER_STATEMENT);
    await db.execute(
      `INSERT INTO agent_health_metrics (agent_id, client_id, source, metric_time, heartbeat_count, heartbeat_latency_ms, max_heartbeat_latency_ms, max_heartbeat_gap_ms, error_count, warning_count) VALUES ${
        chunk.map(() => "(?, ?, 'server', ?, ?, ?, ?, ?, 0, 0)").join(", ")
      } ON DUPLICATE KEY UPDATE ` +
        // heartbeat_count last: the weighted average reads the old count.
        "heartbeat_latency_ms = ROUND((COALESCE(heartbeat_latency_ms, 0) * COALESCE(heartbeat_count, 0) + VALUES(heartbeat_latency_ms) * VALUES(heartbeat_count)) / GREATEST(COALESCE(heartbeat_count, 0) + VALUES(heartbeat_count), 1)), " +
        "max_heartbeat_latency_ms = GREATEST(COALESCE(max_heartbeat_latency_ms, 0), VALUES(max_heartbeat_latency_ms)), " +
        "max_heartbeat_gap_ms = CASE WHEN max_heartbeat_gap_ms IS NULL THEN VALUES(max_heartbeat_gap_ms) WHEN VALUES(max_heartbeat_gap_ms) IS NULL THEN max_heartbeat_gap_ms ELSE GREATEST(max_heartbeat_gap_ms, VALUES(max_heartbeat_gap_ms)) END, " +
        "heartbeat_count = COALESCE(heartbeat_count, 0) + VALUES(heartbeat_count)",
      chunk.flatMap((r) => [
        r.agentId,
        r.clientId,
        metricTime,
        r.beats,
        Math.round(r.avgLatencyMs),
        Math.round(r.maxLatencyMs),
        r.maxGapMs === null ? null : Math.round(r.maxGapMs),
      ]),
    );
    statements++;
  }
  return statements;
}

/** An agent_health_metrics row as the driver returns it. */
export interface HealthMetricRow {
  id: number;
  agent_id: string;
  metric_time: string;
  source: string;
  heartbeat_latency_ms: number | null;
  max_heartbeat_latency_ms: number | null;
  heartbeat_count: number | null;
  max_heartbeat_gap_ms: number | null;
  command_execution_time_ms: number | null;
  pricing_fetch_success: number | null;
  termination_check_success: number | null;
  rebalance_check_success: number | null;
  error_count: number | null;
  warning_count: number | null;
  metadata: unknown;
  created_at: string | null;
}

/** A health metric as the API returns it (wire names). */
export interface HealthMetric extends
  Omit<
    HealthMetricRow,
    | "pricing_fetch_success"
    | "termination_check_success"
    | "rebalance_check_success"
    | "error_count"
    | "warning_count"
  > {
  pricing_fetch_success: boolean | null;
  termination_check_success: boolean | null;
  rebalance_check_success: boolean | null;
  error_count: number;
  warning_count: number;
}

const optBool = (v: number | null): boolean | null => (v === null ? null : bool(v));

/** Maps a row to the wire shape. */
export function toHealthMetric(r: HealthMetricRow): HealthMetric {
  return {
    id: num(r.id) ?? 0,
    agent_id: r.agent_id,
    metric_time: r.metric_time,
    source: r.source,
    heartbeat_latency_ms: num(r.heartbeat_latency_ms),
    max_heartbeat_latency_ms: num(r.max_heartbeat_latency_ms),
    heartbeat_count: num(r.heartbeat_count),
    max_heartbeat_gap_ms: num(r.max_heartbeat_gap_ms),
    command_execution_time_ms: num(r.command_execution_time_ms),
    pricing_fetch_success: optBool(r.pricing_fetch_success),
    termination_check_success: optBool(r.termination_check_success),
    rebalance_check_success: optBool(r.rebalance_check_success),
    error_count: num(r.error_count) ?? 0,
    warning_count: num(r.warning_count) ?? 0,
    metadata: json(r.metadata),
    created_at: r.created_at,
  };
}

/** An agent's metrics at or after `since`, newest first, at most `limit`. */
export async function listHealthMetrics(
  db: Queryable,
  agentId: string,
  opts: { since: Date | null; limit: number },
): Promise<HealthMetric[]> {
  const r = await db.execute<HealthMetricRow>(
    "SELECT id, agent_id, metric_time, source, heartbeat_latency_ms, max_heartbeat_latency_ms, heartbeat_count, max_heartbeat_gap_ms, command_execution_time_ms, pricing_fetch_success, termination_check_success, rebalance_check_success, error_count, warning_count, metadata, created_at FROM agent_health_metrics " +
      `WHERE agent_id = ?${
        opts.since ? " AND metric_time >= ?" : ""
      } ORDER BY metric_time DESC, id DESC LIMIT ?`,
    [
      agentId,
      ...(opts.since ? [opts.since] : []),
      Math.min(Math.max(Math.trunc(opts.limit), 1), 1000),
    ],
  );
  return r.rows.map(toHealthMetric);
}
