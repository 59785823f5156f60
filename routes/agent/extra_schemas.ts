/**
 * Zod schemas of the agent report endpoints (pricing, cleanup, health metrics) and of the legacy
 * agent endpoints (E20-E23, E27, M3), plus the normalisation of what the agent sends (naive UTC
 * timestamps, the v4 and the legacy pricing shapes) into plain values. Unknown extra fields are
 * accepted and ignored everywhere (the agent is a program we do not control).
 */
import { z } from "@hono/zod-openapi";
import { parseAgentTime } from "../../core/agent_time.ts";
import type { NormalizedPricing } from "../../core/pricing_report.ts";
import { isPlausibleAgentTime } from "../../core/text.ts";
import { agentMode, agentTime, decimalInt, identifier, wellFormedText } from "../_validators.ts";

// Moved to core/ (services use them too); re-exported for the route files.
export { parseAgentTime };
export type { NormalizedPricing };

/** Path parameter of every agent route. */
export const AgentParams = z.object({ agent_id: identifier(64) });

// The shared error and success bodies (routes/_schemas.ts).
export { ErrorBody, SuccessBody } from "../_schemas.ts";

const price = z.number().finite().nonnegative().max(9999);
const str = (max: number) => wellFormedText(max).nullish();
const time = agentTime({ allowEmpty: true }).nullish();
/** An instance id where the agent may also send "" or "unknown" (both read as not known). */
const instanceRef = z.union([z.literal(""), identifier(64)]).nullish();

// ---------------------------------------------------------------------------------------------
// E06 pricing report (v4 shape and the legacy v3.2 shape, CONTRACT E06 and T-18)

const PoolItem = z.object({
  pool_id: z.string().min(1).max(128),
  instance_type: str(64),
  az: str(32),
  price: price.nullish(),
  spot_price: price.nullish(),
});

const PricingInstance = z.object({
  instance_id: instanceRef,
  instance_type: str(64),
  region: str(32),
  az: str(32),
  mode: agentMode().nullish(),
  pool_id: str(128),
  current_mode: agentMode().nullish(),
  current_pool_id: str(128),
});

const PricingBlock = z.object({
  on_demand_price: price.nullish(),
  current_spot_price: price.nullish(),
  cheapest_pool: z.object({ pool_id: z.string().max(128), price: price.nullish() }).nullish(),
  spot_pools: z.array(PoolItem).max(1000).nullish(),
  collected_at: time,
});

/** E06 request body: `instance` + `pricing` (v4) or `instance` + top-level prices (legacy). */
export const PricingReportBody = z.object({
  instance: PricingInstance,
  pricing: PricingBlock.nullish(),
  on_demand_price: z.union([price, z.object({ price: price.nullish() })]).nullish(),
  current_spot_price: price.nullish(),
  spot_pools: z.array(PoolItem).max(1000).nullish(),
  collected_at: time,
});

function normMode(v: string | null | undefined): "spot" | "ondemand" | null {
  const m = (v ?? "").toLowerCase().replace(/[-_ ]/g, "");
  return m === "spot" ? "spot" : m === "ondemand" ? "ondemand" : null;
}

function known(v: string | null | undefined): string | null {
  return v && v.toLowerCase() !== "unknown" ? v : null;
}

/** Normalises both shapes; `collected_at` missing means now; an unparseable one is an error. */
export function normalizePricing(
  body: z.infer<typeof PricingReportBody>,
  now: Date,
): NormalizedPricing | { error: string } {
  const p = body.pricing ?? null;
  const legacy = p === null;
  const inst = body.instance;
  const rawCollected = p?.collected_at ?? body.collected_at ?? null;
  const collectedAt = rawCollected === null ? now : parseAgentTime(rawCollected);
  if (!collectedAt) return { error: "collected_at is not an ISO-8601 timestamp" };
  if (!isPlausibleAgentTime(collectedAt, now)) {
    return {
      error: "collected_at must lie between 30 days before and 1 day after the server's clock",
    };
  }
  const legacyOd = body.on_demand_price;
  const onDemandPrice = p?.on_demand_price ??
    (typeof legacyOd === "number" ? legacyOd : legacyOd?.price ?? null);
  const instanceType = known(inst.instance_type);
  const byId = new Map<string, NormalizedPricing["pools"][number]>();
  for (const item of (p?.spot_pools ?? body.spot_pools ?? [])) {
    const price = item.price ?? item.spot_price ?? null;
    if (price === null || price <= 0) continue;
    const dot = item.pool_id.lastIndexOf(".");
    const type = known(item.instance_type) ?? (dot > 0 ? item.pool_id.slice(0, dot) : instanceType);
    const az = known(item.az) ?? (dot > 0 ? item.pool_id.slice(dot + 1) : null);
    if (!type || !az) continue;
    byId.set(item.pool_id, { poolId: item.pool_id, instanceType: type, az, price });
  }
  const pools = [...byId.values()].sort((a, b) => (a.poolId < b.poolId ? -1 : 1));
  const mode = normMode(inst.mode ?? inst.current_mode);
  const poolId = known(inst.pool_id ?? inst.current_pool_id) ?? null;
  const mean = pools.length > 0 ? pools.reduce((s, x) => s + x.price, 0) / pools.length : null;
  const estimated = onDemandPrice !== null &&
    (onDemandPrice === 0.1 ||
      (mean !== null && Math.abs(onDemandPrice - 3 * mean) <= 1e-6 * Math.max(1, onDemandPrice)));
  return {
    shape: legacy ? "legacy" : "v4",
    instanceId: known(inst.instance_id),
    instanceType,
    region: known(inst.region),
    az: known(inst.az),
    mode,
    poolId: mode === "spot" ? poolId : null,
    onDemandPrice: onDemandPrice !== null && onDemandPrice > 0 ? onDemandPrice : null,
    onDemandEstimated: estimated,
    currentSpotPrice: p?.current_spot_price ?? body.current_spot_price ?? null,
    cheapestPool: p?.cheapest_pool
      ? { poolId: p.cheapest_pool.pool_id, price: p.cheapest_pool.price ?? null }
      : null,
    pools,
    collectedAt,
  };
}

// ---------------------------------------------------------------------------------------------
// E10 cleanup report (the seed's endpoint 1)

const Failed = z.array(z.object({ id: str(255), error: str(2000) })).max(10000);
const Ids = z.array(wellFormedText(255)).max(100000);

/** E10 request body, exactly the seed's (sections optional, at least one required). */
export const CleanupReportBody = z.object({
  timestamp: agentTime(),
  snapshots: z.object({
    type: z.enum(["snapshots", "amis", "full"]).nullish(),
    deleted: Ids.default([]),
    failed: Failed.default([]),
    cutoff_date: time,
    error: str(4000),
  }).nullish(),
  amis: z.object({
    type: z.enum(["snapshots", "amis", "full"]).nullish(),
    deleted_amis: Ids.default([]),
    deleted_snapshots: Ids.default([]),
    failed: Failed.default([]),
    cutoff_date: time,
    error: str(4000),
  }).nullish(),
});

/** E10 response. */
export const CleanupReportResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  deleted_snapshots: z.number().int(),
  deleted_amis: z.number().int(),
  failed_count: z.number().int(),
});

// ---------------------------------------------------------------------------------------------
// Agent health metrics (the seed's agent_health_metrics)

const ms = z.number().int().min(0).max(2_147_483_647);

/** POST health-metrics body: the seed's columns, all optional. */
export const HealthMetricBody = z.object({
  metric_time: time,
  heartbeat_latency_ms: ms.nullish(),
  command_execution_time_ms: ms.nullish(),
  pricing_fetch_success: z.boolean().nullish(),
  termination_check_success: z.boolean().nullish(),
  rebalance_check_success: z.boolean().nullish(),
  error_count: ms.nullish(),
  warning_count: ms.nullish(),
  metadata: z.record(wellFormedText(128), z.unknown()).nullish(),
});

/** GET health-metrics query. */
export const HealthMetricQuery = z.object({
  since: agentTime().optional(),
  limit: decimalInt(1, 1000, 100),
});

/** One stored health metric. */
export const HealthMetricItem = z.object({
  id: z.number(),
  agent_id: z.string(),
  metric_time: z.string(),
  source: z.string(),
  heartbeat_latency_ms: z.number().nullable(),
  max_heartbeat_latency_ms: z.number().nullable(),
  heartbeat_count: z.number().nullable(),
  max_heartbeat_gap_ms: z.number().nullable(),
  command_execution_time_ms: z.number().nullable(),
  pricing_fetch_success: z.boolean().nullable(),
  termination_check_success: z.boolean().nullable(),
  rebalance_check_success: z.boolean().nullable(),
  error_count: z.number(),
  warning_count: z.number(),
  metadata: z.unknown(),
  created_at: z.string().nullable(),
});

/** GET health-metrics response (newest first). */
export const HealthMetricList = z.object({
  agent_id: z.string(),
  metrics: z.array(HealthMetricItem),
  count: z.number(),
});

// ---------------------------------------------------------------------------------------------
// Legacy agent endpoints: E20, E21, E22, E23, E27, M3

/** E20 body: `reason` (default "Unknown"); every other field is kept as event metadata. */
export const TerminationBody = z.object({ reason: str(500) }).loose();

/** E21 item. */
export const TerminateCandidate = z.object({
  instance_id: z.string(),
  instance_type: z.string().nullable(),
  az: z.string().nullable(),
  reason: z.enum(["zombie_timeout", "replica_terminated"]),
  seconds_waiting: z.number().optional(),
  seconds_since_marked: z.number().optional(),
});

/** E21 response. */
export const InstancesToTerminateResponse = z.object({
  instances: z.array(TerminateCandidate),
  auto_terminate_enabled: z.boolean(),
  terminate_wait_seconds: z.number(),
});

/** E22 body. */
export const TerminationReportBody = z.object({
  instance_id: identifier(64),
  success: z.boolean().default(false),
  error: str(2000),
  terminated_at: time,
});

/** E23 body; the five required fields are checked by the handler so the 400 can list them. */
export const RegisterInstanceBody = z.object({
  instance_id: instanceRef,
  instance_type: str(64),
  region: str(32),
  az: str(32),
  mode: agentMode().nullish(),
  pool_id: str(128),
  ami_id: str(64),
  is_primary: z.boolean().default(true),
  spot_price: price.nullish(),
  ondemand_price: price.nullish(),
});

/** E23 response. */
export const RegisterInstanceResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  instance_id: z.string(),
  is_primary: z.boolean(),
});

/** E27 response (camelCase: read by the admin dashboard). */
export const StatisticsResponse = z.object({
  totalDecisions: z.number(),
  successfulSwitches: z.number(),
  failedSwitches: z.number(),
  successRate: z.number(),
  averageConfidence: z.number().nullable(),
});

/** M3 body (agent v3.2): the command id, numeric or string; `success` defaults to true. */
export const MarkExecutedBody = z.object({
  command_id: z.union([
    identifier(64),
    z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  ]),
  success: z.boolean().default(true),
  message: str(1024),
});
