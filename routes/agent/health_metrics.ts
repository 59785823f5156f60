/**
 * Agent health metrics (the seed's missing endpoint): POST what an agent measured (all seed
 * columns optional, source 'agent'), GET the agent's metrics, including the heartbeat aggregates
 * the server records itself (source 'server', see health_buffer.ts).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute, scopeClient } from "../_app.ts";
import { BadRequestError, NotFoundError } from "../_errors.ts";
import { plausibleAgentTime } from "../_validators.ts";
import { findOwnedAgent } from "../../db/agent_reports.ts";
import { insertAgentMetric, listHealthMetrics } from "../../db/health_metrics.ts";
import {
  AgentParams,
  HealthMetricBody,
  HealthMetricList,
  HealthMetricQuery,
  parseAgentTime,
  SuccessBody,
} from "./extra_schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const postRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/health-metrics",
  tags: ["agent"],
  summary: "Report agent health metrics",
  description:
    "Every field is optional; `metric_time` defaults to now and must lie within 30 days before and 1 day after the server's clock (else 400 `time_out_of_window`). A retry with the same metric_time replaces the earlier row.",
  request: {
    params: AgentParams,
    body: jsonRequest(HealthMetricBody),
  },
  responses: {
    200: json(SuccessBody, "Stored"),
    400: errorResponse("Malformed"),
    404: errorResponse("Agent not found"),
  },
});

const getRoute = defineRoute("agent", {
  method: "get",
  path: "/api/agents/{agent_id}/health-metrics",
  tags: ["agent"],
  summary: "An agent's health metrics, newest first",
  description:
    "Rows posted by the agent (source `agent`) and the server's heartbeat aggregates (source `server`: heartbeat_count, average and max heartbeat latency, longest gap between beats). `since` is ISO-8601; `limit` 1-1000 (default 100).",
  request: { params: AgentParams, query: HealthMetricQuery },
  responses: {
    200: json(HealthMetricList, "Metrics"),
    400: errorResponse("Malformed"),
    404: errorResponse("Agent not found"),
  },
});

/** Registers POST and GET health-metrics. */
export function registerHealthMetricRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(postRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const body = c.req.valid("json");
    const clientId = scopeClient(c);
    const now = deps.clock();
    const metricTime = plausibleAgentTime(body.metric_time, now, "metric_time") ?? now;
    if (!await findOwnedAgent(deps.db, clientId, agentId)) {
      throw new NotFoundError("Agent not found", "agent_not_found");
    }
    await insertAgentMetric(deps.db, {
      agentId,
      clientId,
      metricTime,
      heartbeatLatencyMs: body.heartbeat_latency_ms ?? null,
      commandExecutionTimeMs: body.command_execution_time_ms ?? null,
      pricingFetchSuccess: body.pricing_fetch_success ?? null,
      terminationCheckSuccess: body.termination_check_success ?? null,
      rebalanceCheckSuccess: body.rebalance_check_success ?? null,
      errorCount: body.error_count ?? 0,
      warningCount: body.warning_count ?? 0,
      metadata: body.metadata ?? null,
    });
    return c.json({ success: true as const }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const q = c.req.valid("query");
    const clientId = scopeClient(c);
    let since: Date | null = null;
    if (q.since) {
      since = parseAgentTime(q.since);
      if (!since) {
        throw new BadRequestError("since is not an ISO-8601 timestamp", "validation_failed");
      }
    }
    if (!await findOwnedAgent(deps.db, clientId, agentId)) {
      throw new NotFoundError("Agent not found", "agent_not_found");
    }
    const metrics = await listHealthMetrics(deps.db, agentId, { since, limit: q.limit });
    return c.json({ agent_id: agentId, metrics, count: metrics.length }, 200);
  });
}
