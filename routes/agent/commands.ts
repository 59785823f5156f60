/**
 * E04 GET /api/agents/{agent_id}/pending-commands (no statement when an empty answer is memoised,
 * db/commands_poll_cache.ts; else one when nothing is pending; a pending command is delivered
 * once, bound to the agent's current instance, T-04/T-06),
 * and E05 POST .../commands/{command_id}/executed (idempotent).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../_app.ts";
import { defineRoute, principalOf } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import { sourceAddress } from "../_middleware/auth.ts";
import type { CommandRecord } from "../../db/commands.ts";
import { expirePendingCommand, markDelivered, pollCommand } from "../../db/commands.ts";
import { insertSystemEvent } from "../../db/events.ts";
import { pollCacheOf } from "../../db/commands_poll_cache.ts";
import { recordCommandExecuted } from "../../services/command_executed.ts";
import {
  AgentIdParam,
  CommandIdParams,
  ExecutedBody,
  known,
  PendingCommand,
  PendingCommandsResponse,
  SuccessBody,
} from "./schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const pendingRoute = defineRoute("agent", {
  method: "get",
  path: "/api/agents/{agent_id}/pending-commands",
  tags: ["agent"],
  summary: "Commands for the agent to run (E04)",
  description:
    "A bare array, priority DESC then age. A command is returned by exactly one poll (it becomes `delivered`); a disabled or deleted agent gets [].",
  request: { params: AgentIdParam },
  responses: {
    200: json(PendingCommandsResponse, "Commands"),
    404: errorResponse("Not this client's agent"),
  },
});

const executedRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/commands/{command_id}/executed",
  tags: ["agent"],
  summary: "The agent ran a command (E05)",
  description:
    "Idempotent: a repeated call, or one after the command was closed otherwise, changes nothing.",
  request: {
    params: CommandIdParams,
    body: jsonRequest(ExecutedBody),
  },
  responses: {
    200: json(SuccessBody, "Recorded"),
    404: errorResponse("Not this agent's command"),
  },
});

/** The wire form of a command (T-04: string id, spot|ondemand, pool `<type>.<az>`). */
export function commandItem(c: CommandRecord): z.infer<typeof PendingCommand> {
  return {
    id: c.id,
    agent_id: c.agentId,
    instance_id: c.instanceId,
    target_mode: c.targetMode,
    target_pool_id: c.targetPoolId,
    priority: c.priority,
    terminate_wait_seconds: c.terminateWaitSeconds,
    created_at: c.createdAt,
  };
}

function clientOf(c: AppContext): string {
  const p = principalOf(c);
  return p.kind === "client" ? p.clientId : "";
}

/** The caller's address from trusted hops only (TRUSTED_PROXIES), null when unknown. */
function callerIp(c: AppContext): string | null {
  const ip = sourceAddress(c);
  return ip === "unknown" ? null : ip;
}

/** Registers E04 and E05. */
export function registerCommandRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(pendingRoute, async (c) => {
    const { db, clock, config } = c.get("deps");
    const agentId = c.req.valid("param").agent_id;
    const clientId = clientOf(c);
    const cache = pollCacheOf(db, config.COMMAND_POLL_CACHE_SECONDS * 1000);
    const started = clock().getTime();
    if (cache.isEmpty(clientId, agentId, started)) return c.json([], 200);
    const token = cache.begin(agentId);
    const poll = await pollCommand(db, { clientId, agentId });
    if (!poll) throw new NotFoundError("Agent not found", "agent_not_found");
    const cmd = poll.command;
    const deleted = poll.agentStatus === "deleted";
    if (!cmd || cmd.status !== "pending" || !poll.agentEnabled || deleted) {
      // Stays [] until a command is queued (which invalidates), unless a pending command waits
      // for the agent to be enabled again.
      if (!(cmd?.status === "pending" && !poll.agentEnabled && !deleted)) {
        cache.remember(token, clientId, started);
      }
      return c.json([], 200);
    }
    const now = clock();
    if (cmd.expiresAt && Date.parse(cmd.expiresAt) <= now.getTime()) {
      if (await expirePendingCommand(db, { commandId: cmd.id, now })) {
        await insertSystemEvent(db, {
          type: "command_expired",
          severity: "warning",
          clientId,
          agentId,
          message: `Command ${cmd.id} expired: never picked up`,
          metadata: { command_id: cmd.id, previous_status: "pending" },
          requestId: c.get("requestId"),
        });
      }
      return c.json([], 200);
    }
    const won = await markDelivered(db, {
      commandId: cmd.id,
      instanceId: poll.agentInstanceId,
      ip: callerIp(c),
      now,
      deliveryTimeoutSeconds: config.COMMAND_DELIVERY_TIMEOUT,
    });
    return c.json(won ? [commandItem(cmd)] : [], 200);
  });

  app.openapi(executedRoute, async (c) => {
    const { agent_id, command_id } = c.req.valid("param");
    const body = c.req.valid("json");
    const success = body.success ?? true;
    await recordCommandExecuted(c.get("deps"), {
      clientId: clientOf(c),
      agentId: agent_id,
      commandId: command_id,
      success,
      message: known(body.message, 1024) ?? (success ? "Switch completed" : "Switch failed"),
    });
    return c.json({ success: true as const }, 200);
  });
}
