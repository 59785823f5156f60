/**
 * E24 POST /api/agents/{agent_id}/decide, E25 GET /api/agents/{agent_id}/switch-recommendation and
 * E26 POST /api/agents/{agent_id}/issue-switch-command. E24 and E25 only explain (no command, no
 * history row: the engine acts after pricing reports). E26 queues a user's manual command.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute, scopeClient } from "../_app.ts";
import { BadRequestError, ConflictError, NotFoundError } from "../_errors.ts";
import { normalizePricing } from "./extra_schemas.ts";
import {
  DecideBody,
  DecideResponse,
  DecisionError,
  DecisionParams,
  IssueSwitchBody,
  IssueSwitchResponse,
  RecommendationResponse,
} from "./decision_schemas.ts";
import { assessAgent } from "../../services/decision_assess.ts";
import { reportInputs } from "../../services/decision_evaluation.ts";
import { PRIORITY, toDecideWire, toRecommendationWire } from "../../core/decision_wire.ts";
import { checkManualTarget } from "../../core/manual_switch.ts";
import { findAgentForClient } from "../../db/agents.ts";
import { queueSwitchCommand } from "../../db/commands.ts";
import { insertNotification } from "../../db/events.ts";
import { json, jsonRequest } from "../_openapi.ts";

const notFound = json(DecisionError, "Agent not found (or another client's)");

const decideRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/decide",
  tags: ["decisions"],
  summary: "The engine's current decision for this agent, with its explanation",
  description:
    "Evaluates the agent with its stored instance and prices, or with `instance`/`pricing` given in the pricing report's shape (a what-if). Queues nothing and records nothing: the engine acts after each pricing report. A disabled agent answers a stay with reason_code agent_disabled.",
  request: {
    params: DecisionParams,
    body: jsonRequest(DecideBody),
  },
  responses: {
    200: json(DecideResponse, "The decision"),
    400: json(DecisionError, "Malformed instance or pricing"),
    404: notFound,
  },
});

const recommendationRoute = defineRoute("agent", {
  method: "get",
  path: "/api/agents/{agent_id}/switch-recommendation",
  tags: ["decisions"],
  summary: "Recommendation from the stored prices, with the alternative pools",
  description:
    "No side effects. `will_auto_execute` is true when the engine would queue this move itself (auto switching on, move allowed by dwell time and limits). `alternative_pools` are the other pools of the instance's type and region priced within the last day, cheapest first.",
  request: { params: DecisionParams },
  responses: { 200: json(RecommendationResponse, "The recommendation"), 404: notFound },
});

const issueRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/issue-switch-command",
  tags: ["decisions"],
  summary: "Queue a user's manual switch command (priority 75)",
  description:
    "Answers 200 (the client dashboard treats anything else as failure). Guard rails: 409 agent_disabled when the agent is disabled or deleted; 400 pool_required for a spot target without `target_pool_id` (`<instance_type>.<az>`, the agent would otherwise launch on-demand); 409 already_in_target; 409 command_in_flight while a delivered command runs. A second click supersedes the pending command instead of queueing a duplicate. Unlike the predecessor, auto_switch_enabled=false does NOT block a user's manual command (CONTRACT T-39): manual mode is exactly when users switch by hand.",
  request: {
    params: DecisionParams,
    body: jsonRequest(IssueSwitchBody),
  },
  responses: {
    200: json(IssueSwitchResponse, "Queued"),
    400: json(DecisionError, "No or invalid pool for a spot target"),
    404: notFound,
    409: json(DecisionError, "Disabled, already in target, or a command in flight"),
  },
});

/** Registers E24-E26. */
export function registerDecisionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(decideRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const body = c.req.valid("json");
    const now = deps.clock();
    const hasPrices = body.pricing != null || body.spot_pools != null ||
      body.on_demand_price != null;
    let given = null;
    if (body.instance != null || hasPrices) {
      const n = normalizePricing({ ...body, instance: body.instance ?? {} }, now);
      if ("error" in n) throw new BadRequestError(n.error, "validation_failed");
      given = reportInputs(n);
    }
    const a = await assessAgent(deps, {
      clientId: scopeClient(c),
      agentId,
      now,
      instance: body.instance != null ? given?.instance : null,
      prices: hasPrices ? given?.prices : null,
    });
    if (!a) throw new NotFoundError("Agent not found", "agent_not_found");
    const inst = a.input?.instance;
    return c.json(
      toDecideWire(a.decision, {
        instanceId: body.instance?.instance_id ?? a.agent.instanceId,
        mode: inst?.mode ?? a.agent.currentMode,
        poolId: inst ? inst.poolId : a.agent.currentPoolId,
      }),
      200,
    );
  });

  app.openapi(recommendationRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const a = await assessAgent(deps, { clientId: scopeClient(c), agentId, now: deps.clock() });
    if (!a) throw new NotFoundError("Agent not found", "agent_not_found");
    const inst = a.input?.instance;
    const pools = a.pools.filter((p) => p.price !== null).map((p) => ({
      poolId: p.poolId,
      name: p.name,
      az: p.az,
      price: p.price as number,
    }));
    return c.json(
      toRecommendationWire(a.decision, {
        agentId: a.agent.id,
        autoSwitchEnabled: a.agent.autoSwitchEnabled,
        current: {
          instanceId: a.agent.instanceId,
          mode: inst?.mode ?? a.agent.currentMode,
          poolId: inst ? inst.poolId : a.agent.currentPoolId,
        },
        currentAz: inst?.az || a.agent.az,
        pools,
      }),
      200,
    );
  });

  app.openapi(issueRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const body = c.req.valid("json");
    const clientId = scopeClient(c);
    const agent = await findAgentForClient(deps.db, { clientId, agentId });
    if (!agent) throw new NotFoundError("Agent not found", "agent_not_found");
    const check = checkManualTarget(
      { mode: body.target_mode, poolId: body.target_pool_id },
      {
        enabled: agent.enabled,
        deleted: agent.status === "deleted" || agent.deletedAt !== null,
        currentMode: agent.mode,
        currentPoolId: agent.poolId,
        instanceType: agent.instanceType,
      },
    );
    if (!check.ok) {
      if (check.status === 400) throw new BadRequestError(check.message, check.code);
      throw new ConflictError(check.message, check.code, {
        current_mode: agent.mode,
        current_pool_id: agent.poolId,
      });
    }
    const priority = body.priority ?? PRIORITY.manual;
    const reason = body.reason?.trim() || null;
    const q = await queueSwitchCommand(deps.db, {
      clientId,
      agentId,
      targetMode: body.target_mode,
      targetPoolId: check.poolId,
      priority,
      createdBy: "manual",
      triggerType: "manual",
      reason: reason ?? "Manual switch from the dashboard",
      now: deps.clock(),
      pendingTtlSeconds: deps.config.COMMAND_PENDING_TTL,
    });
    const target = body.target_mode === "spot" ? `spot pool ${check.poolId}` : "on-demand";
    const name = agent.hostname ?? agent.logicalAgentId;
    await insertNotification(deps.db, {
      clientId,
      agentId,
      type: "switch_command",
      message: `Switch command issued to ${name}: ${target}`,
    });
    const superseded = q.supersededIds.length > 0
      ? ` (supersedes pending command ${q.supersededIds.join(", ")})`
      : "";
    return c.json({
      success: true as const,
      command_id: q.id,
      agent_id: agentId,
      target_mode: body.target_mode,
      target_pool_id: check.poolId,
      reason,
      message: `Switch to ${target} queued${superseded}; the agent picks it up within 15 s`,
      priority,
      auto_switch_enabled: agent.autoSwitchEnabled,
      superseded_command_ids: q.supersededIds,
    }, 200);
  });
}
