/** Fleet views of the admin: pool statistics and agent health (CONTRACT E66, E67). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { decimalInt } from "../_validators.ts";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { LIMITS, pageQuery } from "../_pagination.ts";
import { agentHealthCounts, agentHealthPage, poolStatistics } from "../../db/admin_health.ts";
import type { AgentHealthRow, HealthThresholds } from "../../db/admin_health.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { ADMIN_AUTH, HealthSummaryResponse, PoolStatsResponse } from "./schemas.ts";

/** Agent v4.0.0 heartbeats every 30 s; three missed beats make a heartbeat "late". */
const LATE_AFTER_SECONDS = 90;
const METRICS_WINDOW_SECONDS = 3600;
const MAX_GAP_MS = 90_000;
const MAX_LATENCY_MS = 2000;

const poolsRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/pools/statistics",
  tags: ["admin"],
  summary: "Spot pool coverage and interruptions",
  description:
    `${ADMIN_AUTH} Active pools per region and instance type with active instances; interruption signals per pool over \`days\` (default 30) from termination_events. Each list holds at most \`limit\` rows.`,
  request: {
    query: z.object({
      days: decimalInt(1, 365, 30),
      limit: decimalInt(1, 500, 100),
    }),
  },
  responses: { 200: json(PoolStatsResponse, "Statistics"), ...COMMON_ERRORS },
});

const healthRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/agents/health-summary",
  tags: ["admin"],
  summary: "Agent health: healthy, degraded or stale, with reasons",
  description:
    `${ADMIN_AUTH} From heartbeats and agent_health_metrics of the last hour. stale: no heartbeat within AGENT_HEARTBEAT_TIMEOUT (or never); degraded: heartbeat later than 90 s, or errors, failed pricing/termination/rebalance checks, a heartbeat gap over 90 s or an average heartbeat latency over 2 s in the last hour; else healthy. Counts cover every agent; \`agents\` is one page, worst first.`,
  request: { query: z.object(pageQuery(LIMITS.admin)) },
  responses: { 200: json(HealthSummaryResponse, "Summary"), ...COMMON_ERRORS },
});

function reasonsOf(a: AgentHealthRow, now: Date, timeoutSeconds: number): string[] {
  if (a.lastHeartbeatAt === null) return ["never sent a heartbeat"];
  const age = Math.round((now.getTime() - Date.parse(a.lastHeartbeatAt)) / 1000);
  if (a.health === "stale") return [`no heartbeat for ${age} s (timeout ${timeoutSeconds} s)`];
  const r: string[] = [];
  if (age > Math.min(LATE_AFTER_SECONDS, timeoutSeconds)) r.push(`last heartbeat ${age} s ago`);
  if (a.errors > 0) r.push(`${a.errors} error(s) reported in the last hour`);
  if (a.pricingFailures > 0) r.push(`pricing fetch failed ${a.pricingFailures} time(s)`);
  if (a.terminationFailures > 0) {
    r.push(`termination check failed ${a.terminationFailures} time(s)`);
  }
  if (a.rebalanceFailures > 0) r.push(`rebalance check failed ${a.rebalanceFailures} time(s)`);
  if ((a.maxGapMs ?? 0) > MAX_GAP_MS) {
    r.push(`heartbeat gap of ${Math.round(a.maxGapMs! / 1000)} s`);
  }
  if ((a.avgLatencyMs ?? 0) > MAX_LATENCY_MS) {
    r.push(`average heartbeat latency ${Math.round(a.avgLatencyMs!)} ms`);
  }
  return r;
}

/** Registers E66 and E67. */
export function registerAdminFleetRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(poolsRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const { days, limit } = c.req.valid("query");
    const s = await poolStatistics(db, {
      since: new Date(clock().getTime() - days * 86_400_000),
      limit,
    });
    return c.json({
      overall: {
        totalInstances: s.overall.totalInstances ?? 0,
        totalPools: s.overall.totalPools ?? 0,
        totalRegions: s.overall.totalRegions ?? 0,
        totalZones: s.overall.totalZones ?? 0,
        totalTypes: s.overall.totalTypes ?? 0,
      },
      byRegion: s.byRegion,
      byInstanceType: s.byType,
      interruptions: s.interruptions,
    }, 200);
  });

  app.openapi(healthRoute, async (c) => {
    const { db, clock, config } = c.get("deps");
    const { limit, offset } = c.req.valid("query");
    const now = clock();
    const timeout = config.AGENT_HEARTBEAT_TIMEOUT;
    const late = Math.min(LATE_AFTER_SECONDS, timeout);
    const thresholds: HealthThresholds = {
      staleBefore: new Date(now.getTime() - timeout * 1000),
      lateBefore: new Date(now.getTime() - late * 1000),
      metricsSince: new Date(now.getTime() - METRICS_WINDOW_SECONDS * 1000),
      maxGapMs: MAX_GAP_MS,
      maxLatencyMs: MAX_LATENCY_MS,
    };
    const page = await agentHealthPage(db, { thresholds, limit, offset });
    const counts = await agentHealthCounts(db, { thresholds, now, limit: 300 });
    const count = (h: string) => counts.total.find((x) => x.health === h)?.agents ?? 0;
    const total = counts.total.reduce((s, x) => s + x.agents, 0);
    const withHb = counts.total.reduce((s, x) => s + x.withHeartbeat, 0);
    const delay = counts.total.reduce((s, x) => s + x.delaySum, 0);
    const clients = new Map<
      string,
      {
        clientId: string;
        clientName: string;
        healthy: number;
        degraded: number;
        stale: number;
        total: number;
      }
    >();
    for (const b of counts.byClient) {
      const e = clients.get(b.clientId) ??
        {
          clientId: b.clientId,
          clientName: b.clientName,
          healthy: 0,
          degraded: 0,
          stale: 0,
          total: 0,
        };
      if (b.health === "healthy" || b.health === "degraded" || b.health === "stale") {
        e[b.health] += b.agents;
      }
      e.total += b.agents;
      clients.set(b.clientId, e);
    }
    return c.json({
      totalAgents: total,
      activeAgents: counts.total.reduce((s, x) => s + x.enabled, 0),
      healthyAgents: count("healthy"),
      warningAgents: count("degraded"),
      criticalAgents: count("stale"),
      counts: { healthy: count("healthy"), degraded: count("degraded"), stale: count("stale") },
      healthPercentage: total === 0 ? 0 : Math.round(count("healthy") / total * 10_000) / 100,
      averageHeartbeatDelay: withHb === 0 ? 0 : Math.round(delay / withHb * 10) / 10,
      thresholds: {
        staleAfterSeconds: timeout,
        lateAfterSeconds: late,
        metricsWindowSeconds: METRICS_WINDOW_SECONDS,
        maxHeartbeatGapMs: MAX_GAP_MS,
        maxHeartbeatLatencyMs: MAX_LATENCY_MS,
      },
      agents: page.map((a) => ({
        agentId: a.agentId,
        agentName: a.logicalAgentId,
        clientId: a.clientId,
        clientName: a.clientName,
        status: a.status,
        health: a.health,
        reasons: reasonsOf(a, now, timeout),
        lastHeartbeat: a.lastHeartbeatAt,
        heartbeatAgeSeconds: a.lastHeartbeatAt
          ? Math.round((now.getTime() - Date.parse(a.lastHeartbeatAt)) / 1000)
          : null,
        metrics: {
          samples: a.samples,
          errors: a.errors,
          warnings: a.warnings,
          avgHeartbeatLatencyMs: a.avgLatencyMs,
          maxHeartbeatGapMs: a.maxGapMs,
        },
      })),
      clientBreakdown: [...clients.values()].sort((a, b) => b.total - a.total).slice(0, 100),
      limit,
      offset,
    }, 200);
  });
}
