/** Zod schemas of the client overview, savings, switches and charts routes (E29, E45–E48, M1). */
import { z } from "@hono/zod-openapi";
import { decimalInt, identifier } from "../_validators.ts";
import { Timestamp } from "./schemas.ts";

const nstr = z.string().nullable();

/** E29: both dashboards' key sets in one object (T-20). */
export const OverviewResponse = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(["active", "inactive"]),
  agentsOnline: z.number().int(),
  agentsTotal: z.number().int(),
  instances: z.number().int(),
  totalSavings: z.number(),
  totalDowntimeSeconds: z.number(),
  totalSwitches: z.number().int(),
  averageDowntimeSeconds: z.number(),
  lastSync: Timestamp.nullable().describe("Newest heartbeat of the client's agents"),
  client_id: z.string(),
  client_name: z.string(),
  total_agents: z.number().int(),
  online_agents: z.number().int(),
  active_instances: z.number().int(),
  spot_instances: z.number().int(),
  total_switches: z.number().int(),
  switches_today: z.number().int(),
  total_savings: z.number(),
  monthly_savings: z.number(),
  weekly_savings: z.number(),
  today_savings: z.number(),
  recent_switches: z.array(z.object({
    id: z.string(),
    agent_id: z.string(),
    old_instance_id: nstr,
    new_instance_id: z.string(),
    old_mode: nstr,
    new_mode: nstr,
    savings_impact: z.number(),
    initiated_at: Timestamp,
  })),
  active_agents: z.array(z.object({
    id: z.string(),
    status: z.string(),
    hostname: nstr,
    instance_id: nstr,
    instance_type: nstr,
    region: nstr,
    current_mode: z.string(),
    last_heartbeat_at: Timestamp.nullable(),
  })),
});

/** E46 query. */
export const SavingsQuery = z.object({
  range: z.enum(["monthly", "weekly", "daily", "yearly"]).default("monthly").describe(
    "Admin credential: `monthly` (the admin dashboard's value) answers the month array; the other ranges an empty array (as the predecessor); anything else is a 400",
  ),
  months: decimalInt(1, 36, 12),
});

/** E46 for the admin credential: months oldest first. */
export const AdSavingsMonth = z.object({
  name: z.string(),
  year: z.number().int(),
  month: z.number().int(),
  savings: z.number(),
  onDemandCost: z.number(),
  modelCost: z.number(),
});

/** E46 for a client token. */
export const CdSavings = z.object({
  total_savings: z.number().describe("Opening balance + every ledger day + the live days"),
  monthly_savings: z.number().describe(
    "Days since today − 30 (the view's window) plus the live days",
  ),
  weekly_savings: z.number().describe(
    "Days since today − 7 (the view's window) plus the live days",
  ),
  today_savings: z.number(),
  average_savings_percent: z.number(),
  last_settled_day: z.string().nullable().describe("Newest day the daily job stored"),
  live_days: z.array(z.string()).describe("Days computed on the fly (not yet stored)"),
  savings_by_month: z.array(z.object({
    year: z.number().int(),
    month: z.number().int(),
    name: z.string(),
    savings: z.number(),
    on_demand_cost: z.number(),
    actual_cost: z.number(),
    switch_count: z.number().int(),
  })),
});

/** E46 response. */
export const SavingsResponse = z.union([CdSavings, z.array(AdSavingsMonth)]);

/** M1 item (client dashboard switches page). */
export const CdSwitch = z.object({
  id: z.string(),
  agent_id: z.string(),
  initiated_at: Timestamp,
  old_instance_id: nstr,
  old_mode: nstr,
  old_az: nstr,
  old_pool_id: nstr,
  new_instance_id: z.string(),
  new_mode: nstr,
  new_az: nstr,
  new_pool_id: nstr,
  trigger_type: z.string().describe("manual | model | emergency ..."),
  savings_impact: z.number().describe("$ per hour saved by the switch (negative = costlier)"),
  downtime_seconds: z.number().nullable(),
  success: z.boolean(),
});

/** M1 response. */
export const SwitchesResponse = z.object({
  switches: z.array(CdSwitch),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/** E47 item for the admin dashboard. */
export const AdSwitch = z.object({
  id: z.string(),
  agentId: z.string(),
  instanceId: z.string().describe("The new instance (T-21)"),
  oldInstanceId: nstr,
  newInstanceId: z.string(),
  timestamp: Timestamp,
  fromMode: nstr,
  toMode: nstr,
  fromPool: z.string(),
  toPool: z.string(),
  trigger: z.string(),
  price: z.number(),
  savingsImpact: z.number(),
});

/** E47 response. */
export const SwitchHistoryResponse = z.union([
  z.object({ switches: z.array(CdSwitch), limit: z.number().int(), offset: z.number().int() }),
  z.array(AdSwitch),
]);

/** E48 response. */
export const ChartsResponse = z.object({
  savingsTrend: z.array(z.object({
    month: z.string(),
    year: z.number().int(),
    savings: z.number(),
    baseline: z.number(),
    actual: z.number(),
  })),
  modeDistribution: z.array(z.object({ mode: z.string(), count: z.number().int() })),
  switchFrequency: z.array(z.object({ date: z.string(), switches: z.number().int() })),
});

/** E45 query. */
export const PricingHistoryQuery = z.object({
  days: decimalInt(1, 30, 7),
  agent_id: identifier(64).optional().describe(
    "Default: the client's most recently seen agent (required with the admin credential)",
  ),
  interval: z.enum(["hour", "day"]).default("hour"),
});

/** E45 response. */
export const PricingHistoryResponse = z.object({
  history: z.array(z.object({
    timestamp: Timestamp,
    ondemand_price: z.number().nullable(),
    spot_pools: z.array(z.object({ pool_id: z.string(), az: z.string(), price: z.number() })),
  })),
  days: z.number().int(),
  data_points: z.number().int(),
  agent_id: z.string(),
  instance_type: nstr,
  region: nstr,
});
