/**
 * Interruption signals of agent v4: E08 termination-imminent, E09 rebalance-recommendation, E11
 * create-emergency-replica, plus the admin route GET /api/admin/interruptions/stats. All agent
 * routes require the client token (the predecessor left E08/E11 open, B-03); the agent sends it on
 * every request. Answers are 200 JSON and fast: the webhook runs after the answer.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv, ClientPrincipal } from "../_app.ts";
import { defineRoute, principalOf } from "../_app.ts";
import { ForbiddenError } from "../_errors.ts";
import { plausibleAgentTime } from "../_validators.ts";
import { AgentParams } from "./extra_schemas.ts";
import {
  EmergencyReplicaAnswer,
  EmergencyReplicaBody,
  RebalanceAnswer,
  RebalanceBody,
  TerminationAnswer,
  TerminationBody,
} from "./interruption_schemas.ts";
import { handleTerminationNotice } from "../../services/termination.ts";
import { handleEmergencyRequest } from "../../services/emergency_replica.ts";
import { handleRebalance } from "../../services/rebalance.ts";
import { registerInterruptionStats } from "./interruption_stats.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const errors = {
  400: errorResponse("Validation failed"),
  401: errorResponse("Missing or invalid client token"),
  403: errorResponse("Not a client token, or the client is inactive"),
  404: errorResponse("Not this client's agent"),
};

const terminationRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/termination-imminent",
  tags: ["agent"],
  summary: "Spot termination notice (E08), called every 5 s for about 2 minutes",
  description:
    "Idempotent per notice: one termination_events row, repeats counted. The first call answers " +
    "`create_emergency_replica: true` (with the target pool) when TERMINATION_REPLICA_AUTO_CREATE " +
    "is on and the agent's mode allows it; later calls answer false ('replica already requested'). " +
    "The notice raises the pool's risk at once; the webhook is sent once, after the answer.",
  request: { params: AgentParams, body: jsonRequest(TerminationBody) },
  responses: { 200: json(TerminationAnswer, "Recorded"), ...errors },
});

const rebalanceRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/rebalance-recommendation",
  tags: ["agent"],
  summary: "EC2 rebalance recommendation (E09), called every 30 s while it lasts",
  description:
    "One termination_events row per rebalance window. Answers `switch` with a safer pool only " +
    "when the current pool's risk is above POOL_RISK_MEDIUM_THRESHOLD (rebalance signals are noisy); " +
    "in auto-switch mode it queues one switch command (priority 50) per window, never a second " +
    "open command.",
  request: { params: AgentParams, body: jsonRequest(RebalanceBody) },
  responses: { 200: json(RebalanceAnswer, "Analysed"), ...errors },
});

const emergencyRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/create-emergency-replica",
  tags: ["agent"],
  summary: "Request an emergency replica (E11): records the request and answers the pool",
  description:
    "The server cannot launch EC2 instances: it records the request on the signal's event and " +
    "answers the pool to launch in (never the failing pool or a correlated one). No replica row " +
    "is written until the agent registers the real instance with POST /replicas. 200, not 201.",
  request: { params: AgentParams, body: jsonRequest(EmergencyReplicaBody) },
  responses: {
    200: json(EmergencyReplicaAnswer, "Request recorded"),
    ...errors,
    409: errorResponse("Agent disabled, or no suitable pool"),
  },
});

function clientOf(c: AppContext): ClientPrincipal {
  const p = principalOf(c);
  if (p.kind !== "client") {
    throw new ForbiddenError("This route requires a client token", "client_token_required");
  }
  return p;
}

/** Registers E08, E09, E11 and the admin interruption stats. */
export function registerInterruptionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(terminationRoute, async (c) => {
    const { agent_id } = c.req.valid("param");
    const body = c.req.valid("json");
    const now = c.get("deps").clock();
    plausibleAgentTime(body.termination_time ?? body.time, now, "termination_time");
    plausibleAgentTime(body.detected_at, now, "detected_at");
    const answer = await handleTerminationNotice(c.get("deps"), clientOf(c), {
      agentId: agent_id,
      instanceId: body.instance_id,
      terminationTime: body.termination_time ?? body.time,
      action: body.action,
      detectedAt: body.detected_at,
    });
    return c.json(answer, 200);
  });

  app.openapi(rebalanceRoute, async (c) => {
    const { agent_id } = c.req.valid("param");
    const body = c.req.valid("json");
    plausibleAgentTime(body.detected_at, c.get("deps").clock(), "detected_at");
    const answer = await handleRebalance(c.get("deps"), clientOf(c), {
      agentId: agent_id,
      instanceId: body.instance_id,
      detectedAt: body.detected_at,
    });
    return c.json(answer, 200);
  });

  app.openapi(emergencyRoute, async (c) => {
    const { agent_id } = c.req.valid("param");
    const body = c.req.valid("json");
    plausibleAgentTime(body.termination_time, c.get("deps").clock(), "termination_time");
    const answer = await handleEmergencyRequest(c.get("deps"), clientOf(c), {
      agentId: agent_id,
      signal: body.signal_type === "rebalance-recommendation"
        ? "rebalance_recommendation"
        : "termination_notice",
      instanceId: body.instance_id,
      terminationTime: body.termination_time,
      poolId: body.pool_id,
      preferredZones: body.preferred_zones,
      excludeZones: body.exclude_zones,
    });
    return c.json(answer, 200);
  });

  registerInterruptionStats(app);
}
