/**
 * Agent endpoints no v4.0.0 code path calls, kept for older agents and tools, each scoped to the
 * token's client (the predecessor's were not, bugs B-05/B-06): E20 termination, E21
 * instances-to-terminate, E22 termination-report, E23 register-instance, E27 statistics and the
 * v3.2 agent's M3 mark-command-executed.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../_app.ts";
import { defineRoute, scopeClient } from "../_app.ts";
import { BadRequestError, NotFoundError } from "../_errors.ts";
import type { OwnedAgent } from "../../db/agent_reports.ts";
import {
  agentStatistics,
  findOwnedAgent,
  markAgentTerminated,
  markCommandExecuted,
} from "../../db/agent_reports.ts";
import { findCommandForAgent } from "../../db/commands.ts";
import {
  listTerminationCandidates,
  recordTerminationReport,
  registerAgentInstance,
} from "../../db/agent_instances.ts";
import {
  AgentParams,
  InstancesToTerminateResponse,
  MarkExecutedBody,
  parseAgentTime,
  RegisterInstanceBody,
  RegisterInstanceResponse,
  StatisticsResponse,
  SuccessBody,
  TerminationBody,
  TerminationReportBody,
} from "./extra_schemas.ts";
import { z } from "@hono/zod-openapi";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const notFound = errorResponse("Agent not found");
const bad = errorResponse("Malformed");
const ok = <T extends z.ZodType>(schema: T) => json(schema, "Done");

const terminationRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/termination",
  tags: ["agent"],
  summary: "Legacy: the agent's instance is being terminated",
  request: {
    params: AgentParams,
    body: jsonRequest(TerminationBody),
  },
  responses: { 200: ok(SuccessBody), 400: bad, 404: notFound },
});
const reportRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/termination-report",
  tags: ["agent"],
  summary: "Outcome of a termination the agent attempted",
  request: {
    params: AgentParams,
    body: jsonRequest(TerminationReportBody),
  },
  responses: {
    200: ok(z.object({ success: z.literal(true), message: z.string() })),
    400: bad,
    404: errorResponse("Agent or instance not found"),
  },
});
const registerInstanceRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/register-instance",
  tags: ["agent"],
  summary: "Registers an instance of the agent (primary or replica)",
  request: {
    params: AgentParams,
    body: jsonRequest(RegisterInstanceBody),
  },
  responses: {
    200: ok(RegisterInstanceResponse),
    400: bad,
    404: notFound,
  },
});
const markExecutedRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/mark-command-executed",
  tags: ["agent"],
  summary: "Legacy v3.2: a command was executed",
  request: {
    params: AgentParams,
    body: jsonRequest(MarkExecutedBody),
  },
  responses: {
    200: ok(SuccessBody),
    400: bad,
    404: errorResponse("Agent or command not found"),
  },
});
const toTerminateRoute = defineRoute("agent", {
  method: "get",
  path: "/api/agents/{agent_id}/instances-to-terminate",
  tags: ["agent"],
  summary: "Instances of the agent's client it may terminate",
  request: { params: AgentParams },
  responses: {
    200: json(InstancesToTerminateResponse, "Candidates"),
    404: notFound,
  },
});
const statisticsRoute = defineRoute("agent", {
  method: "get",
  path: "/api/agents/{agent_id}/statistics",
  tags: ["agent"],
  summary: "Decision and switch statistics of the agent",
  request: { params: AgentParams },
  responses: {
    200: json(StatisticsResponse, "Statistics"),
    404: notFound,
  },
});

async function ownedAgent(c: AppContext, agentId: string): Promise<OwnedAgent> {
  const agent = await findOwnedAgent(c.get("deps").db, scopeClient(c), agentId);
  if (!agent) throw new NotFoundError("Agent not found", "agent_not_found");
  return agent;
}

const REQUIRED_INSTANCE_FIELDS = ["instance_id", "instance_type", "region", "az", "mode"] as const;

/** Registers E20, E21, E22, E23, E27 and M3. */
export function registerLegacyRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(terminationRoute, async (c) => {
    const deps = c.get("deps");
    const agent = await ownedAgent(c, c.req.valid("param").agent_id);
    const { reason, ...metadata } = c.req.valid("json");
    // Repeated notice for a termination already recorded (no heartbeat since): no second alert.
    const repeat = agent.status === "offline" && agent.terminatedAt !== null &&
      (agent.lastHeartbeatAt === null || agent.terminatedAt >= agent.lastHeartbeatAt);
    await markAgentTerminated(deps.db, {
      agent,
      reason: reason?.trim() || "Unknown",
      metadata,
      repeat,
      now: deps.clock(),
      requestId: c.get("requestId"),
    });
    return c.json({ success: true as const }, 200);
  });

  app.openapi(toTerminateRoute, async (c) => {
    const deps = c.get("deps");
    const agent = await ownedAgent(c, c.req.valid("param").agent_id);
    const candidates = agent.autoTerminateEnabled
      ? await listTerminationCandidates(deps.db, {
        clientId: agent.clientId,
        agentId: agent.id,
        region: agent.region,
        waitSeconds: agent.terminateWaitSeconds,
        now: deps.clock(),
      })
      : [];
    return c.json({
      instances: candidates.map((x) => ({
        instance_id: x.instanceId,
        instance_type: x.instanceType,
        az: x.az,
        reason: x.reason,
        ...(x.reason === "zombie_timeout"
          ? { seconds_waiting: x.seconds }
          : { seconds_since_marked: x.seconds }),
      })),
      auto_terminate_enabled: agent.autoTerminateEnabled,
      terminate_wait_seconds: agent.terminateWaitSeconds,
    }, 200);
  });

  app.openapi(reportRoute, async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    const agent = await ownedAgent(c, c.req.valid("param").agent_id);
    const now = deps.clock();
    let terminatedAt = now;
    if (body.terminated_at) {
      const t = parseAgentTime(body.terminated_at);
      if (!t) {
        throw new BadRequestError(
          "terminated_at is not an ISO-8601 timestamp",
          "validation_failed",
        );
      }
      terminatedAt = t;
    }
    const outcome = await recordTerminationReport(deps.db, {
      clientId: agent.clientId,
      agentId: agent.id,
      instanceId: body.instance_id,
      success: body.success,
      error: body.error ?? null,
      terminatedAt,
      now,
      requestId: c.get("requestId"),
    });
    if (!outcome.found) throw new NotFoundError("Instance not found", "instance_not_found");
    return c.json({ success: true as const, message: "Termination report recorded" }, 200);
  });

  app.openapi(registerInstanceRoute, async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    const missing = REQUIRED_INSTANCE_FIELDS.filter((f) => !body[f]);
    if (missing.length > 0) {
      throw new BadRequestError(
        `Missing required fields: ${missing.join(", ")}`,
        "missing_fields",
        {
          missing,
        },
      );
    }
    const mode = body.mode === "spot" ? "spot" : body.mode === "ondemand" ? "ondemand" : null;
    if (!mode) throw new BadRequestError("mode must be spot or ondemand", "validation_failed");
    const agent = await ownedAgent(c, c.req.valid("param").agent_id);
    const instanceId = body.instance_id!;
    const instanceType = body.instance_type!;
    const az = body.az!;
    const poolId = mode === "spot" ? (body.pool_id || `${instanceType}.${az}`) : null;
    await registerAgentInstance(deps.db, {
      clientId: agent.clientId,
      agentId: agent.id,
      instanceId,
      instanceType,
      region: body.region!,
      az,
      mode,
      poolId,
      amiId: body.ami_id ?? null,
      isPrimary: body.is_primary,
      spotPrice: body.spot_price ?? null,
      ondemandPrice: body.ondemand_price ?? null,
      now: deps.clock(),
      requestId: c.get("requestId"),
    });
    return c.json({
      success: true as const,
      message: `Instance registered as ${body.is_primary ? "primary" : "replica"}`,
      instance_id: instanceId,
      is_primary: body.is_primary,
    }, 200);
  });

  app.openapi(statisticsRoute, async (c) => {
    const agent = await ownedAgent(c, c.req.valid("param").agent_id);
    const s = await agentStatistics(c.get("deps").db, agent.id);
    const switches = s.successfulSwitches + s.failedSwitches;
    return c.json({
      totalDecisions: s.totalDecisions,
      successfulSwitches: s.successfulSwitches,
      failedSwitches: s.failedSwitches,
      // Percent of switches that succeeded; 0 while the agent has none.
      successRate: switches === 0 ? 0 : Math.round((s.successfulSwitches / switches) * 10000) / 100,
      averageConfidence: s.averageConfidence === null
        ? null
        : Math.round(s.averageConfidence * 1000) / 1000,
    }, 200);
  });

  app.openapi(markExecutedRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const body = c.req.valid("json");
    const clientId = scopeClient(c);
    const closed = await markCommandExecuted(deps.db, {
      clientId,
      agentId,
      commandId: String(body.command_id),
      success: body.success,
      message: body.message ?? (body.success ? "Switch completed" : "Switch failed"),
      now: deps.clock(),
    });
    // Nothing open under that id: a retry (already closed) answers 200 like the first call, as
    // E05 does; a foreign agent or an unknown command is 404.
    if (!closed) {
      await ownedAgent(c, agentId);
      const known = await findCommandForAgent(deps.db, {
        clientId,
        agentId,
        commandId: String(body.command_id),
      });
      if (!known) throw new NotFoundError("Command not found", "command_not_found");
    }
    return c.json({ success: true as const }, 200);
  });
}
