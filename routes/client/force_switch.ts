/**
 * POST /api/client/instances/{instance_id}/force-switch (CONTRACT E43): a user-initiated switch,
 * queued through the command lifecycle with the predecessor's manual priority 75. Unlike the
 * predecessor (B-33) it refuses disabled or deleted agents, a target the agent is already in, and
 * a spot target without a pool (the agent would launch on-demand, T-07); a second click supersedes
 * the first pending command instead of queueing another.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { clientScopeOrAll, defineRoute } from "../_app.ts";
import { BadRequestError, ConflictError, NotFoundError } from "../_errors.ts";
import { findAgentInScope } from "../../db/agent_settings.ts";
import { queueSwitchCommand } from "../../db/commands.ts";
import { insertNotification, insertSystemEvent } from "../../db/events.ts";
import { COMMON_ERRORS, errorResponses, json, jsonRequest } from "../_openapi.ts";
import { CLIENT_AUTH, InstanceParams } from "./schemas.ts";
import { ForceSwitchBody, ForceSwitchResponse } from "./schemas_instances.ts";
import { instanceInScope } from "./_instance.ts";

/** Priority of user-initiated switches (CONTRACT 5.1: 75 = manual override). */
export const MANUAL_SWITCH_PRIORITY = 75;

const forceSwitchRoute = defineRoute("client", {
  method: "post",
  path: "/api/client/instances/{instance_id}/force-switch",
  tags: ["client"],
  summary: "Queue a manual switch to on-demand or to a spot pool",
  description:
    `${CLIENT_AUTH} Body \`{target:"ondemand"}\`, \`{target:"pool", pool_id}\` or \`{target:"spot", pool_id}\` (pool ids are \`<instance_type>.<az>\` of the agent's own type: the agent never changes type). Queued with priority 75, created_by \`manual\`; a pending command of the agent is superseded. Refused: unknown instance/agent 404; deleted agent 409 \`agent_deleted\`; disabled agent 409 \`agent_disabled\`; already in the target 409 \`already_in_target\`; a command already delivered to the agent 409 \`command_in_flight\`; spot without pool 400. Records a warning notification and the event \`manual_switch_requested\`.`,
  request: {
    params: InstanceParams,
    body: jsonRequest(ForceSwitchBody),
  },
  responses: {
    200: json(ForceSwitchResponse, "Queued"),
    ...COMMON_ERRORS,
    ...errorResponses(409),
  },
});

/** Registers E43. */
export function registerForceSwitchRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(forceSwitchRoute, async (c) => {
    const { db, clock, config } = c.get("deps");
    const pathId = c.req.valid("param").instance_id;
    const body = c.req.valid("json");
    const ctx = await instanceInScope(c, pathId);
    if (!ctx.agentId) throw new NotFoundError("No agent manages this instance", "agent_not_found");
    const agent = await findAgentInScope(db, {
      agentId: ctx.agentId,
      clientId: clientScopeOrAll(c),
    });
    if (!agent) throw new NotFoundError("No agent manages this instance", "agent_not_found");
    if (agent.status === "deleted") throw new ConflictError("Agent is deleted", "agent_deleted");
    if (!agent.enabled) {
      throw new ConflictError(
        "Agent is disabled: enable it before switching",
        "agent_disabled",
      );
    }
    const targetMode = body.target === "ondemand" ? "ondemand" : "spot";
    const poolId = targetMode === "spot" ? body.pool_id?.trim() || null : null;
    if (targetMode === "spot" && !poolId) {
      throw new BadRequestError(
        "A spot target needs pool_id (without it the agent would launch on-demand)",
        "pool_required",
      );
    }
    const inTarget = targetMode === "ondemand"
      ? agent.currentMode === "ondemand"
      : agent.currentMode === "spot" && agent.currentPoolId === poolId;
    if (inTarget) {
      throw new ConflictError(
        targetMode === "ondemand"
          ? "Agent is already on on-demand"
          : `Agent is already in ${poolId}`,
        "already_in_target",
      );
    }
    const now = clock();
    const target = poolId ?? "on-demand";
    const queued = await queueSwitchCommand(db, {
      clientId: agent.clientId,
      agentId: agent.id,
      targetMode,
      targetPoolId: poolId,
      priority: MANUAL_SWITCH_PRIORITY,
      createdBy: "manual",
      triggerType: "manual",
      reason: `Manual switch to ${target} requested from the dashboard${
        body.new_instance_type ? ` (requested type ${body.new_instance_type} ignored)` : ""
      }`,
      instanceId: ctx.instanceId ?? agent.instanceId,
      now,
      pendingTtlSeconds: config.COMMAND_PENDING_TTL,
    });
    const label = ctx.instanceId ?? agent.logicalAgentId;
    await insertNotification(db, {
      clientId: agent.clientId,
      agentId: agent.id,
      type: "manual_switch",
      message: `Manual switch queued for ${label} (to ${target})`,
      severity: "warning",
    });
    await insertSystemEvent(db, {
      type: "manual_switch_requested",
      severity: "warning",
      clientId: agent.clientId,
      agentId: agent.id,
      instanceId: ctx.instanceId,
      message: `Manual switch of ${label} to ${target} queued (command ${queued.id})`,
      metadata: {
        commandId: queued.id,
        targetMode,
        targetPoolId: poolId,
        supersededIds: queued.supersededIds,
        requestedInstanceType: body.new_instance_type ?? null,
      },
      requestId: c.get("requestId"),
    });
    return c.json({
      success: true as const,
      command_id: queued.id,
      message: `Switch to ${target} queued; the agent picks it up on its next command poll`,
      status: queued.status,
      superseded_command_ids: queued.supersededIds,
    }, 200);
  });
}
