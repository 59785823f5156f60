/**
 * Zod schemas of the decision endpoints: E24 decide, E25 switch-recommendation and E26
 * issue-switch-command. Field names are the predecessor's (CONTRACT E24-E26) plus the explanation.
 */
import { z } from "@hono/zod-openapi";
import { PricingReportBody } from "./extra_schemas.ts";

/** Path parameter. */
export const DecisionParams = z.object({ agent_id: z.string().min(1).max(64) });

/** Error body (`error` is what the dashboards show). */
export const DecisionError = z.object({ error: z.string(), code: z.string() }).loose();

/**
 * E24 request: optional `instance` and `pricing` in the pricing report's shape (E06, v4 or legacy).
 * Without them the stored instance and prices are used.
 */
export const DecideBody = PricingReportBody.partial({ instance: true }).openapi("DecideRequest");

const Rule = z.object({ rule: z.string(), passed: z.boolean(), detail: z.string() });

/** E24 answer. */
export const DecideResponse = z.object({
  instance_id: z.string().nullable(),
  risk_score: z.number(),
  recommended_action: z.enum(["stay", "switch_to_spot", "switch_pool", "switch_to_ondemand"]),
  recommended_mode: z.string(),
  recommended_pool_id: z.string().nullable(),
  expected_savings_per_hour: z.number(),
  allowed: z.boolean(),
  reason: z.string(),
  decision_type: z.enum(["stay_spot", "stay_ondemand", "switch_to_spot", "switch_to_ondemand"]),
  reason_code: z.string(),
  switch_cost: z.number(),
  payback_hours: z.number().nullable(),
  confidence: z.number(),
  risk_known: z.boolean(),
  will_auto_execute: z.boolean(),
  rules: z.array(Rule),
}).openapi("DecideResponse");

const Pool = z.object({ id: z.string(), name: z.string(), az: z.string(), spot_price: z.number() });

/** E25 answer. */
export const RecommendationResponse = z.object({
  agent_id: z.string(),
  decision_type: z.enum(["stay_spot", "stay_ondemand", "switch_to_spot", "switch_to_ondemand"]),
  recommended_action: z.enum(["stay", "switch_to_spot", "switch_pool", "switch_to_ondemand"]),
  recommended_mode: z.string(),
  recommended_pool_id: z.string().nullable(),
  risk_score: z.number(),
  expected_savings: z.number(),
  confidence: z.number(),
  reason: z.string(),
  reason_code: z.string(),
  switch_cost: z.number(),
  payback_hours: z.number().nullable(),
  auto_switch_enabled: z.boolean(),
  will_auto_execute: z.boolean(),
  current_pool: z.object({ id: z.string(), name: z.string(), az: z.string() }).nullable(),
  alternative_pools: z.array(Pool),
}).openapi("SwitchRecommendation");

/** E26 request (CD sends `{target_mode, target_pool_id: ""}`). */
export const IssueSwitchBody = z.object({
  target_mode: z.enum(["spot", "ondemand"]),
  target_pool_id: z.string().max(128).nullish(),
  reason: z.string().max(500).nullish(),
  /** 50-75: a user's command is reported by the agent as `manual` only at priority >= 50. */
  priority: z.number().int().min(50).max(75).nullish(),
}).openapi("IssueSwitchCommandRequest");

/** E26 answer (200, CONTRACT T-23). */
export const IssueSwitchResponse = z.object({
  success: z.literal(true),
  command_id: z.string(),
  agent_id: z.string(),
  target_mode: z.enum(["spot", "ondemand"]),
  target_pool_id: z.string().nullable(),
  reason: z.string().nullable(),
  message: z.string(),
  priority: z.number(),
  auto_switch_enabled: z.boolean(),
  superseded_command_ids: z.array(z.string()),
}).openapi("IssueSwitchCommandResponse");
