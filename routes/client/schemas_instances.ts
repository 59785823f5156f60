/** Zod schemas of the client instance routes (CONTRACT E37–E44). */
import { z } from "@hono/zod-openapi";
import { decimalInt, wellFormedText } from "../_validators.ts";
import { Timestamp } from "./schemas.ts";
import { dialects, listResponse } from "../_dialect.ts";

const nstr = z.string().nullable();

/** E37 item in both dialects (prices are numbers: the client dashboard calls `.toFixed(4)`). */
export const Instance = dialects({
  id: z.string(),
  agentId: nstr,
  instanceType: z.string(),
  region: z.string(),
  az: z.string(),
  currentMode: z.string(),
  currentPoolId: nstr,
  poolId: z.string().describe('"n/a" when not on a spot pool'),
  spotPrice: z.number(),
  onDemandPrice: z.number(),
  isActive: z.boolean(),
  instanceStatus: z.string(),
  isPrimary: z.boolean(),
  installedAt: Timestamp.nullable(),
  lastSwitchAt: Timestamp.nullable(),
}, {
  adminOnly: ["poolId"],
  clientOnly: ["currentPoolId", "installedAt"],
  adminNames: { instanceType: "type", currentMode: "mode", lastSwitchAt: "lastSwitch" },
  clientNames: { onDemandPrice: "ondemand_price" },
});

/** E37 response. */
export const InstancesResponse = listResponse("instances", Instance);

/** E37 filters. */
export const InstanceFilterQuery = z.object({
  status: z.enum(["active", "terminated"]).optional(),
  mode: z.enum(["spot", "ondemand"]).optional(),
  search: wellFormedText(100).optional(),
});

/** E38 item for the client dashboard (flat). */
export const CdReplica = z.object({
  id: z.string(),
  agent_id: z.string(),
  instance_id: nstr,
  replica_type: z.string(),
  pool_id: nstr,
  status: z.string(),
  sync_status: nstr,
  state_transfer_progress: z.number(),
  hourly_cost: z.number(),
  total_cost: z.number(),
  created_at: Timestamp,
  ready_at: Timestamp.nullable(),
});

/** E38 item for the admin dashboard (nested). */
export const AdReplica = z.object({
  agentId: z.string(),
  primary: z.object({
    instanceId: nstr,
    instanceType: nstr,
    region: nstr,
    az: nstr,
    mode: z.string(),
  }),
  replica: z.object({
    id: z.string(),
    instanceId: nstr,
    type: z.string(),
    status: z.string(),
    sync_status: nstr,
    sync_latency_ms: z.number().nullable(),
    state_transfer_progress: z.number(),
    pool: z.object({
      id: z.string(),
      name: z.string(),
      instance_type: z.string(),
      region: z.string(),
      az: z.string(),
    }).nullable(),
    cost: z.object({ hourly: z.number(), total: z.number() }),
    created_by: nstr,
    created_at: Timestamp,
    ready_at: Timestamp.nullable(),
    terminated_at: Timestamp.nullable(),
    is_active: z.boolean(),
  }),
});

/** E38 response. */
export const ReplicasResponse = z.union([
  z.object({ replicas: z.array(CdReplica), limit: z.number().int(), offset: z.number().int() }),
  z.array(AdReplica),
]);

/** E39 response. */
export const PricingResponse = z.object({
  instanceId: nstr,
  instanceType: nstr,
  region: nstr,
  currentMode: z.string(),
  currentPool: z.object({ id: z.string(), name: z.string(), az: z.string() }).nullable(),
  onDemand: z.object({ name: z.literal("On-Demand"), price: z.number() }),
  pools: z.array(z.object({
    id: z.string(),
    name: z.string(),
    az: z.string(),
    price: z.number().describe("Latest price within 1 h, else 0"),
    savings: z.number().describe("% below on-demand (0 when unpriced)"),
    priceAt: Timestamp.nullable(),
  })),
});

/** E40 response. */
export const MetricsResponse = z.object({
  id: z.string(),
  instanceType: nstr,
  currentMode: z.string(),
  currentPoolId: nstr,
  spotPrice: z.number(),
  onDemandPrice: z.number(),
  baselineOnDemandPrice: z.number(),
  uptimeHours: z.number(),
  hoursSinceLastSwitch: z.number().nullable(),
  totalSwitches: z.number().int(),
  switchesLast7Days: z.number().int(),
  switchesLast30Days: z.number().int(),
  savingsLast30Days: z.number(),
  totalSavings: z.number(),
});

/** E41 query. */
export const PriceHistoryQuery = z.object({
  days: decimalInt(1, 90, 7).describe("1..90, default 7 (decimal digits only; outside is a 400)"),
  interval: z.enum(["hour", "day"]).default("hour"),
});

/** E41 response: one point per bucket with `onDemand` and one key per pool (see `pools[].key`). */
export const PriceHistoryResponse = z.object({
  data: z.array(
    z.object({ time: Timestamp, onDemand: z.number().nullable() }).catchall(
      z.union([z.number(), z.string(), z.null()]),
    ),
  ),
  pools: z.array(z.object({ id: z.string(), name: z.string(), az: z.string(), key: z.string() })),
  onDemandPrice: z.number(),
});

const OptionPool = z.object({
  id: z.string(),
  name: z.string(),
  az: z.string(),
  instanceType: z.string(),
  price: z.number(),
  savings: z.number().describe(
    "% below on-demand (0 when unpriced); the admin dashboard calls `savings.toFixed`",
  ),
});

/** E42 response (both the predecessor's and the admin dashboard's names, T-21). */
export const OptionsResponse = z.object({
  currentType: nstr,
  currentRegion: nstr,
  currentAz: nstr,
  currentMode: z.string(),
  currentPoolId: nstr,
  availablePools: z.array(OptionPool),
  pools: z.array(OptionPool),
  availableTypes: z.array(z.string()),
  instanceTypes: z.array(z.string()),
});

/** E43 body. */
export const ForceSwitchBody = z.strictObject({
  target: z.enum(["ondemand", "pool", "spot"]),
  pool_id: z.string().min(1).max(128).optional(),
  new_instance_type: z.string().max(50).optional().describe(
    "Logged only: the agent never changes instance type",
  ),
});

/** E43 response. */
export const ForceSwitchResponse = z.object({
  success: z.literal(true),
  command_id: z.string(),
  message: z.string(),
  status: z.string(),
  superseded_command_ids: z.array(z.string()),
});

/** E44 item in both dialects. */
export const LogEntry = dialects({
  eventType: z.string(),
  timestamp: Timestamp,
  status: z.string(),
  fromValue: nstr,
  toValue: nstr,
  savings: z.number(),
  price: z.number(),
  reason: nstr,
  instanceType: nstr,
});

/** E44 response. */
export const LogsResponse = listResponse("logs", LogEntry);
