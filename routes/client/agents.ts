/** Agent lists of one client (CONTRACT E30 agents, E31 decisions, E32 history). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { LIMITS, pageQuery } from "../_pagination.ts";
import { heartbeatCutoff } from "../../db/dashboard.ts";
import type { AgentListItem } from "../../db/dashboard_agents.ts";
import {
  listClientAgents,
  recentAgentEvents,
  recentDecisions,
  recentPricingReports,
} from "../../db/dashboard_agents.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { CLIENT_AUTH, ClientParams, SHAPE_BY_CREDENTIAL } from "./schemas.ts";
import {
  Agent,
  AgentHistory,
  AgentHistoryResponse,
  AgentsResponse,
  DecisionsResponse,
} from "./schemas_agents.ts";
import { round } from "../../core/round.ts";
import type { AgentDecisions } from "./schemas_agents.ts";
import { isAdmin, resolveClientId } from "./_scope.ts";
import { dashboardDecisionType, elapsedSince, groupBy, relativeText } from "./_display.ts";

const PageQuery = z.object(pageQuery(LIMITS.fleet));

const agentsRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/agents",
  tags: ["client"],
  summary: "Agents of a client (not deleted), newest heartbeat first",
  description: `${CLIENT_AUTH} ${SHAPE_BY_CREDENTIAL}`,
  request: { params: ClientParams, query: PageQuery },
  responses: { 200: json(AgentsResponse, "The agents"), ...COMMON_ERRORS },
});

const decisionsRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/agents/decisions",
  tags: ["client"],
  summary: "Latest decisions, pricing health and recent activity per agent",
  description:
    `${CLIENT_AUTH} The admin credential gets a bare array; a client token gets \`{agents: [...]}\` with the same items. Four queries for any number of agents.`,
  request: { params: ClientParams, query: PageQuery },
  responses: { 200: json(DecisionsResponse, "Per-agent decisions"), ...COMMON_ERRORS },
});

const historyRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/agents/history",
  tags: ["client"],
  summary: "All agents including deleted ones (online, offline, deleted, others)",
  description: `${CLIENT_AUTH} ${SHAPE_BY_CREDENTIAL}`,
  request: { params: ClientParams, query: PageQuery },
  responses: { 200: json(AgentHistoryResponse, "Agent history"), ...COMMON_ERRORS },
});

/** Pricing reports in this window count as "recent" (two 5-minute report intervals). */
const PRICING_FRESH_MS = 10 * 60_000;

/** Registers E30–E32. */
export function registerAgentListRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(decisionsRoute, async (c) => {
    const { db, clock, config } = c.get("deps");
    const { limit, offset } = c.req.valid("query");
    const now = clock();
    const agents = await agentPage(c, {
      clientId: c.req.valid("param").client_id,
      limit,
      offset,
      now,
    });
    const ids = agents.map((a) => a.id);
    const hour = new Date(now.getTime() - 3600_000);
    const decisions = await recentDecisions(db, {
      agentIds: ids,
      since: new Date(now.getTime() - 30 * 86400_000),
      perAgent: 5,
    });
    const reports = await recentPricingReports(db, { agentIds: ids, since: hour, perAgent: 12 });
    const events = await recentAgentEvents(db, {
      agentIds: ids,
      since: new Date(now.getTime() - 7 * 86400_000),
      perAgent: 5,
    });
    const byAgent = {
      decisions: groupBy(decisions, (d) => d.agentId),
      reports: groupBy(reports, (r) => r.agentId),
      events: groupBy(events, (e) => e.agentId),
    };
    const items = agents.map((a) =>
      decisionItem(a, {
        decisions: byAgent.decisions.get(a.id) ?? [],
        reports: byAgent.reports.get(a.id) ?? [],
        events: byAgent.events.get(a.id) ?? [],
        now,
        timeoutSeconds: config.AGENT_HEARTBEAT_TIMEOUT,
      })
    );
    return c.json(isAdmin(c) ? items : { agents: items, limit, offset }, 200);
  });

  app.openapi(historyRoute, async (c) => {
    const { limit, offset } = c.req.valid("query");
    const agents = await agentPage(c, {
      clientId: c.req.valid("param").client_id,
      limit,
      offset,
      now: c.get("deps").clock(),
      history: true,
    });
    return c.json(
      isAdmin(c)
        ? agents.map(AgentHistory.toAdmin)
        : { agents: agents.map(AgentHistory.toClient), limit, offset },
      200,
    );
  });

  app.openapi(agentsRoute, async (c) => {
    const { limit, offset } = c.req.valid("query");
    const agents = await agentPage(c, {
      clientId: c.req.valid("param").client_id,
      limit,
      offset,
      now: c.get("deps").clock(),
    });
    const items = agents.map(agentItem);
    return c.json(
      isAdmin(c) ? items.map(Agent.toAdmin) : { agents: items.map(Agent.toClient), limit, offset },
      200,
    );
  });
}

/**
 * A page of the agents of the path's client (resolved in the caller's scope; 404 when foreign),
 * status derived from the heartbeat as of `now`; `history` includes deleted agents.
 */
async function agentPage(
  c: AppContext,
  opts: { clientId: string; limit: number; offset: number; now: Date; history?: boolean },
): Promise<AgentListItem[]> {
  const { db, config } = c.get("deps");
  return await listClientAgents(db, {
    clientId: await resolveClientId(c, opts.clientId),
    heartbeatCutoff: heartbeatCutoff(opts.now, config.AGENT_HEARTBEAT_TIMEOUT),
    history: opts.history,
    limit: opts.limit,
    offset: opts.offset,
  });
}

/** E30's item: the agent plus its terminate wait in minutes (the admin dashboard's unit). */
function agentItem(a: AgentListItem): z.infer<typeof Agent.item> {
  return { ...a, terminateWaitMinutes: round(a.terminateWaitSeconds / 60, 2) };
}

function decisionItem(
  a: AgentListItem,
  ctx: {
    decisions: Awaited<ReturnType<typeof recentDecisions>>;
    reports: Awaited<ReturnType<typeof recentPricingReports>>;
    events: Awaited<ReturnType<typeof recentAgentEvents>>;
    now: Date;
    timeoutSeconds: number;
  },
): z.infer<typeof AgentDecisions> {
  const { now } = ctx;
  const points = ctx.reports.map((r) => ({
    time: r.receivedAt,
    onDemandPrice: r.onDemandPrice ?? 0,
    spotPrice: r.spotPrice ?? 0,
  }));
  const fresh = points.filter((p) => now.getTime() - Date.parse(p.time) <= PRICING_FRESH_MS);
  const pricingStatus = fresh.length > 0 ? "healthy" : points.length > 0 ? "stale" : "missing";
  const hbAge = a.lastHeartbeatAt ? now.getTime() - Date.parse(a.lastHeartbeatAt) : null;
  const heartbeat = hbAge === null
    ? "never"
    : hbAge <= ctx.timeoutSeconds * 1000
    ? "fresh"
    : "stale";
  const latest = ctx.decisions[0];
  const lastTime = latest?.time ?? a.lastDecisionAt;
  const lastAction = latest?.recommendedAction ?? latest?.decisionType ?? a.lastDecisionAction;
  const decisionCount = latest?.windowCount ?? 0;
  const active = fresh.length > 0 || decisionCount > 0;
  const healthy = heartbeat === "fresh" && a.status === "online" && active;
  return {
    agentId: a.id,
    agentName: a.logicalAgentId,
    status: a.status,
    currentMode: a.currentMode,
    currentPoolId: a.currentPoolId,
    isHealthy: healthy,
    lastHeartbeat: relativeText(a.lastHeartbeatAt, now),
    lastHeartbeatAt: a.lastHeartbeatAt,
    lastDecision: lastTime
      ? {
        type: dashboardDecisionType(latest?.decisionType ?? null, lastAction ?? null),
        action: lastAction ?? "stay",
        time: lastTime,
        reason: latest?.reason ?? null,
        elapsed: elapsedSince(new Date(lastTime), now),
      }
      : null,
    decisionHistory: ctx.decisions.map((d) => ({
      type: dashboardDecisionType(d.decisionType, d.recommendedAction),
      action: d.recommendedAction ?? d.decisionType,
      riskScore: d.riskScore,
      expectedSavings: d.expectedSavings,
      currentMode: d.currentMode,
      reason: d.reason,
      time: d.time,
    })),
    recentActivity: {
      pricingReports: points,
      systemEvents: ctx.events.map((e) => ({
        type: e.type,
        severity: e.severity,
        message: e.message,
        time: e.time,
      })),
      healthStatus: {
        overall: healthy ? "healthy" : "unhealthy",
        heartbeat,
        activity: active ? "active" : "idle",
        recentReportsCount: fresh.length,
        decisionCount,
      },
    },
    pricingHealth: {
      status: pricingStatus,
      recentReportsCount: fresh.length,
      lastReportAt: points[0]?.time ?? null,
      recentReports: fresh,
    },
  };
}
