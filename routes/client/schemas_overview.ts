/** Zod schemas of the client overview, savings, switches and charts routes (E29, E45–E48, M1). */
import { z } from "@hono/zod-openapi";
import { decimalInt, identifier } from "../_validators.ts";
import { Timestamp } from "./schemas.ts";
import { dialects, listResponse, withBothKeySets } from "../_dialect.ts";

const nstr = z.string().nullable();

/** E29: both dashboards' key sets in one object (T-20). */
export const Overview = withBothKeySets(dialects({
  id: z.string(),
  name: z.string(),
  status: z.enum(["active", "inactive"]),
  agentsOnline: z.number().int(),
  agentsTotal: z.number().int(),
  activeInstances: z.number().int(),
  spotInstances: z.number().int(),
  totalSavings: z.number(),
  monthlySavings: z.number(),
  weeklySavings: z.number(),
  todaySavings: z.number(),
  totalDowntimeSeconds: z.number(),
  totalSwitches: z.number().int(),
  switchesToday: z.number().int(),
  averageDowntimeSeconds: z.number(),
  lastSync: Timestamp.nullable().describe("Newest heartbeat of the client's agents"),
  recentSwitches: z.array(z.object({
    id: z.string(),
    agent_id: z.string(),
    old_instance_id: nstr,
    new_instance_id: z.string(),
    old_mode: nstr,
    new_mode: nstr,
    savings_impact: z.number(),
    initiated_at: Timestamp,
  })),
  activeAgents: z.array(z.object({
    id: z.string(),
    status: z.string(),
    hostname: nstr,
    instance_id: nstr,
    instance_type: nstr,
    region: nstr,
    current_mode: z.string(),
    last_heartbeat_at: Timestamp.nullable(),
  })),
}, {
  adminOnly: ["status", "totalDowntimeSeconds", "averageDowntimeSeconds", "lastSync"],
  clientOnly: [
    "spotInstances",
    "monthlySavings",
    "weeklySavings",
    "todaySavings",
    "switchesToday",
    "recentSwitches",
    "activeAgents",
  ],
  adminNames: { activeInstances: "instances" },
  clientNames: {
    id: "client_id",
    name: "client_name",
    agentsOnline: "online_agents",
    agentsTotal: "total_agents",
  },
}));

/** E46 query. */
export const SavingsQuery = z.object({
  range: z.enum(["monthly", "weekly", "daily", "yearly"]).default("monthly").describe(
    "Admin credential: `monthly` (the admin dashboard's value) answers the month array; the other ranges an empty array (as the predecessor); anything else is a 400",
  ),
  months: decimalInt(1, 36, 12),
});

/** E46 month in both dialects (the admin credential gets them as a bare array, oldest first). */
export const SavingsMonth = dialects({
  name: z.string(),
  year: z.number().int(),
  month: z.number().int(),
  savings: z.number(),
  onDemandCost: z.number(),
  actualCost: z.number(),
  switchCount: z.number().int(),
}, { clientOnly: ["switchCount"], adminNames: { actualCost: "modelCost" } });

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
  savings_by_month: z.array(SavingsMonth.client),
});

/** E46 response. */
export const SavingsResponse = z.union([CdSavings, z.array(SavingsMonth.admin)]);

/** M1/E47 switch in both dialects (`timestamp` for the admin is when the new instance came up). */
export const Switch = dialects({
  id: z.string(),
  agentId: z.string(),
  instanceId: z.string().describe("The new instance (T-21)"),
  initiatedAt: Timestamp,
  timestamp: Timestamp,
  oldInstanceId: nstr,
  oldMode: nstr,
  oldAz: nstr,
  oldPoolId: nstr,
  newInstanceId: z.string(),
  newMode: nstr,
  newAz: nstr,
  newPoolId: nstr,
  fromPool: z.string(),
  toPool: z.string(),
  trigger: z.string(),
  triggerType: z.string().describe("manual | model | emergency ..."),
  price: z.number(),
  savingsImpact: z.number().describe("$ per hour saved by the switch (negative = costlier)"),
  downtimeSeconds: z.number().nullable(),
  success: z.boolean(),
}, {
  adminOnly: ["instanceId", "timestamp", "fromPool", "toPool", "trigger", "price"],
  clientOnly: [
    "initiatedAt",
    "oldAz",
    "oldPoolId",
    "newAz",
    "newPoolId",
    "triggerType",
    "downtimeSeconds",
    "success",
  ],
  adminNames: { oldMode: "fromMode", newMode: "toMode" },
});

/** M1 response. */
export const SwitchesResponse = z.object({
  switches: z.array(Switch.client),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/** E47 response. */
export const SwitchHistoryResponse = listResponse("switches", Switch);

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
