/**
 * Reads and writes of the decision engine: everything one evaluation needs in two statements (the
 * agent with its config, client weight, on-demand price, open command, last engine failure and
 * recent switches; then the pools of its type and region with risk and latest price). The history
 * writes are in decision_history.ts.
 */
import type { Queryable } from "./client.ts";
import { bool, json, num } from "./client.ts";
import type { AgentPlacement, AgentPlacementRow } from "./agents.ts";
import { toAgentPlacement } from "./agents.ts";
import type { AgentConfig } from "../core/decision_policy.ts";
import { DEFAULT_AGENT_CONFIG } from "../core/decision_policy.ts";
import type { OnDemandQuote, StoredPool } from "../core/decision_input.ts";
import type { CommandBrief, LastDecision } from "../core/decision_wire.ts";
import type { InstanceMode, SwitchRecord } from "../core/switch_limits.ts";

/** One row of loadDecisionAgent's statement: the agent joined with one recent switch (or none). */
export interface DecisionAgentRow extends AgentPlacementRow {
  id: string;
  client_id: string;
  hostname: string | null;
  status: string;
  enabled: number;
  deleted_at: string | null;
  auto_switch_enabled: number;
  manual_replica_enabled: number;
  pool_since: string | null;
  last_decision_action: string | null;
  last_decision_code: string | null;
  last_decision_pool_id: string | null;
  last_decision_at: string | null;
  min_savings_percent: number | null;
  risk_threshold: number | null;
  max_switches_per_day: number | null;
  max_switches_per_week: number | null;
  min_pool_duration_hours: number | null;
  downtime_weight: number | null;
  od_json: unknown;
  open_json: unknown;
  failed_json: unknown;
  s_at: string | null;
  s_old_mode: string | null;
  s_new_mode: string | null;
  s_old_pool: string | null;
  s_new_pool: string | null;
  s_downtime: number | null;
}

/** The agent as the decision engine sees it. */
export interface DecisionAgent extends AgentPlacement {
  id: string;
  clientId: string;
  hostname: string | null;
  status: string;
  enabled: boolean;
  deleted: boolean;
  autoSwitchEnabled: boolean;
  manualReplicaEnabled: boolean;
  poolSince: Date | null;
  /** agent_configs (schema defaults when the row is missing); autoSwitchEnabled from agents. */
  config: AgentConfig;
  downtimeWeight: number | null;
  last: LastDecision;
  /** Latest on-demand price of the agent's type and region: a fresh real one before an estimate. */
  onDemand: OnDemandQuote | null;
  openCommand: CommandBrief | null;
  /** The newest engine command that failed or expired since `failuresSince`. */
  lastEngineFailure: CommandBrief | null;
  /** Successful switches since `switchesSince`, oldest first. */
  switches: SwitchRecord[];
}

/** Parses a DATETIME that JSON_OBJECT rendered as text ('YYYY-MM-DD HH:MM:SS[.ffffff]'), as UTC. */
function jsonTime(v: unknown): Date | null {
  if (typeof v !== "string" || v === "") return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?/.exec(v);
  if (!m) return null;
  const d = new Date(`${m[1]}T${m[2]}${m[3] ? m[3].slice(0, 4) : ""}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

function date(v: string | null): Date | null {
  return v === null ? null : new Date(v);
}

function mode(v: string | null): InstanceMode {
  return v === "spot" ? "spot" : "ondemand";
}

function brief(v: unknown): CommandBrief | null {
  const o = json<Record<string, unknown>>(v);
  if (!o || typeof o.id !== "string") return null;
  return {
    id: o.id,
    status: String(o.status ?? ""),
    targetMode: String(o.target_mode ?? ""),
    targetPoolId: typeof o.target_pool_id === "string" ? o.target_pool_id : null,
    at: jsonTime(o.at),
  };
}

/** Maps the joined rows (one per switch, at least one) to the domain record. */
export function toDecisionAgent(rows: DecisionAgentRow[]): DecisionAgent {
  const r = rows[0];
  const od = json<{ price: unknown; at: unknown; estimated: unknown }>(r.od_json);
  const odPrice = od ? num(od.price) : null;
  const odAt = od ? jsonTime(od.at) : null;
  const d = DEFAULT_AGENT_CONFIG;
  const switches: SwitchRecord[] = rows.filter((x) => x.s_at !== null).map((x) => ({
    at: new Date(x.s_at as string),
    fromMode: mode(x.s_old_mode),
    toMode: mode(x.s_new_mode),
    fromPool: x.s_old_pool,
    toPool: x.s_new_pool,
    downtimeSeconds: num(x.s_downtime),
  })).sort((a, b) => a.at.getTime() - b.at.getTime());
  return {
    id: r.id,
    clientId: r.client_id,
    hostname: r.hostname,
    status: r.status,
    enabled: bool(r.enabled),
    deleted: r.status === "deleted" || r.deleted_at !== null,
    autoSwitchEnabled: bool(r.auto_switch_enabled),
    manualReplicaEnabled: bool(r.manual_replica_enabled),
    ...toAgentPlacement(r),
    poolSince: date(r.pool_since),
    config: {
      autoSwitchEnabled: bool(r.auto_switch_enabled),
      minSavingsPercent: num(r.min_savings_percent) ?? d.minSavingsPercent,
      riskThreshold: num(r.risk_threshold) ?? d.riskThreshold,
      maxSwitchesPerDay: num(r.max_switches_per_day) ?? d.maxSwitchesPerDay,
      maxSwitchesPerWeek: num(r.max_switches_per_week) ?? d.maxSwitchesPerWeek,
      minPoolDurationHours: num(r.min_pool_duration_hours) ?? d.minPoolDurationHours,
    },
    downtimeWeight: num(r.downtime_weight),
    last: {
      action: r.last_decision_action,
      code: r.last_decision_code,
      poolId: r.last_decision_pool_id,
      at: date(r.last_decision_at),
    },
    onDemand: odPrice !== null && odPrice > 0 && odAt !== null
      ? { price: odPrice, at: odAt, estimated: bool(od!.estimated) }
      : null,
    openCommand: brief(r.open_json),
    lastEngineFailure: brief(r.failed_json),
    switches,
  };
}

const AGENT_SQL = "SELECT a.id, a.client_id, a.hostname, a.status, a.enabled, a.deleted_at, " +
  "a.auto_switch_enabled, a.manual_replica_enabled, a.instance_id, a.instance_type, a.region, a.az, " +
  "a.current_mode, a.current_pool_id, a.pool_since, a.last_decision_action, a.last_decision_code, " +
  "a.last_decision_pool_id, a.last_decision_at, c.min_savings_percent, c.risk_threshold, " +
  "c.max_switches_per_day, c.max_switches_per_week, c.min_pool_duration_hours, cl.downtime_weight, " +
  // A real (not estimated) price inside the freshness window first, then the newest.
  "(SELECT JSON_OBJECT('price', o.price, 'at', o.captured_at, 'estimated', o.is_estimate) " +
  "FROM ondemand_price_snapshots o WHERE o.region = a.region AND o.instance_type = a.instance_type " +
  "AND o.bucket_start >= ? ORDER BY (o.bucket_start >= ?) DESC, o.is_estimate ASC, o.bucket_start DESC LIMIT 1) AS od_json, " +
  "(SELECT JSON_OBJECT('id', k.id, 'status', k.status, 'target_mode', k.target_mode, 'target_pool_id', k.target_pool_id) " +
  "FROM commands k WHERE k.open_agent_id = a.id LIMIT 1) AS open_json, " +
  "(SELECT JSON_OBJECT('id', f.id, 'status', f.status, 'target_mode', f.target_mode, 'target_pool_id', f.target_pool_id, 'at', COALESCE(f.completed_at, f.updated_at)) " +
  "FROM commands f WHERE f.agent_id = a.id AND f.status IN ('failed', 'expired') AND f.created_by = 'engine' " +
  "AND f.created_at >= ? ORDER BY f.created_at DESC LIMIT 1) AS failed_json, " +
  "COALESCE(s.initiated_at, s.created_at) AS s_at, s.old_mode AS s_old_mode, s.new_mode AS s_new_mode, " +
  "s.old_pool_id AS s_old_pool, s.new_pool_id AS s_new_pool, s.downtime_seconds AS s_downtime " +
  "FROM agents a LEFT JOIN agent_configs c ON c.agent_id = a.id LEFT JOIN clients cl ON cl.id = a.client_id " +
  "LEFT JOIN switches s ON s.agent_id = a.id AND s.success = 1 AND COALESCE(s.initiated_at, s.created_at) >= ? " +
  "WHERE a.id = ? AND a.client_id = ?";

/** Reads the agent (scoped by client) and everything about it the engine needs; null = none. */
export async function loadDecisionAgent(
  db: Queryable,
  opts: {
    clientId: string;
    agentId: string;
    /** Oldest on-demand bucket considered, and the start of its freshness window. */
    onDemandSince: Date;
    onDemandFreshSince: Date;
    failuresSince: Date;
    switchesSince: Date;
  },
): Promise<DecisionAgent | null> {
  const r = await db.execute<DecisionAgentRow>(AGENT_SQL, [
    opts.onDemandSince,
    opts.onDemandFreshSince,
    opts.failuresSince,
    opts.switchesSince,
    opts.agentId,
    opts.clientId,
  ]);
  return r.rows.length > 0 ? toDecisionAgent(r.rows) : null;
}

/** A spot_pools row with its latest snapshot (price/captured_at null when not read). */
export interface StoredPoolRow {
  id: string;
  pool_name: string | null;
  instance_type: string;
  az: string;
  risk_score: number | null;
  risk_analyzed_at: string | null;
  price: number | null;
  captured_at: string | null;
}

/** Maps a pool row to the engine's stored pool. */
export function toStoredPool(r: StoredPoolRow): StoredPool {
  return {
    poolId: r.id,
    name: r.pool_name,
    instanceType: r.instance_type,
    az: r.az,
    risk: num(r.risk_score),
    riskAt: date(r.risk_analyzed_at),
    price: num(r.price),
    at: date(r.captured_at),
  };
}

/** Active pools of a type and region with their risk and latest price since `since` (if any). */
export async function loadPoolMarket(
  db: Queryable,
  opts: { instanceType: string; region: string; since: Date },
): Promise<StoredPool[]> {
  const r = await db.execute<StoredPoolRow>(
    "SELECT p.id, p.pool_name, p.instance_type, p.az, p.risk_score, p.risk_analyzed_at, s.price, s.captured_at " +
      "FROM spot_pools p JOIN spot_price_snapshots s ON s.pool_id = p.id AND s.bucket_start = " +
      "(SELECT MAX(x.bucket_start) FROM spot_price_snapshots x WHERE x.pool_id = p.id AND x.bucket_start >= ?) " +
      "WHERE p.instance_type = ? AND p.region = ? AND p.is_active = 1 ORDER BY p.id",
    [opts.since, opts.instanceType, opts.region],
  );
  return r.rows.map(toStoredPool);
}

/** Risk (and names) of the given pools, without prices (a report brings its own). */
export async function loadPoolRisks(db: Queryable, poolIds: string[]): Promise<StoredPool[]> {
  if (poolIds.length === 0) return [];
  const r = await db.execute<StoredPoolRow>(
    "SELECT id, pool_name, instance_type, az, risk_score, risk_analyzed_at, NULL AS price, NULL AS captured_at FROM spot_pools WHERE id IN (?)",
    [poolIds],
  );
  return r.rows.map(toStoredPool);
}
