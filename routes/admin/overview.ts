/** Admin overview routes: stats, instances, agents, activity feed (CONTRACT E58, E61–E63). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { wellFormedText } from "../_validators.ts";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { LIMITS, pageQuery } from "../_pagination.ts";
import { adminAgents, adminInstances, adminStats, recentActivity } from "../../db/admin.ts";
import { heartbeatCutoff } from "../../db/dashboard.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { unsettledSavings } from "../client/_savings.ts";
import { money } from "../client/_display.ts";
import {
  ActivityItem,
  ADMIN_AUTH,
  AdminAgentsResponse,
  AdminInstancesResponse,
  StatsResponse,
} from "./schemas.ts";

const statsRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/stats",
  tags: ["admin"],
  summary: "Global counters",
  description:
    `${ADMIN_AUTH} One statement with one subquery per table, so no total is multiplied by a join (B-17). agentsOnline counts heartbeats within AGENT_HEARTBEAT_TIMEOUT. totalSavings is what the client views add up to: the opening balances, every settled ledger day, and each client's unsettled days (yesterday until the daily job stores it, and today so far) computed the same way.`,
  responses: { 200: json(StatsResponse, "Counters"), ...COMMON_ERRORS },
});

const instancesRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/instances",
  tags: ["admin"],
  summary: "Instances of every client",
  description:
    `${ADMIN_AUTH} Filters \`status\` active|terminated, \`mode\`, \`region\`, \`search\` (substring of id or type, matched literally). Newest first.`,
  request: {
    query: z.object({
      status: z.enum(["active", "terminated"]).optional(),
      mode: z.enum(["spot", "ondemand"]).optional(),
      region: wellFormedText(32).optional(),
      search: wellFormedText(100).optional(),
      ...pageQuery(LIMITS.admin),
    }),
  },
  responses: { 200: json(AdminInstancesResponse, "Instances"), ...COMMON_ERRORS },
});

const agentsRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/agents",
  tags: ["admin"],
  summary: "Agents of every client",
  description:
    `${ADMIN_AUTH} Optional \`status\` filter on the displayed status (online only while the heartbeat is fresh). Newest heartbeat first.`,
  request: {
    query: z.object({
      status: z.enum(["online", "offline", "disabled", "deleted"]).optional(),
      ...pageQuery(LIMITS.admin),
    }),
  },
  responses: { 200: json(AdminAgentsResponse, "Agents"), ...COMMON_ERRORS },
});

const activityRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/activity",
  tags: ["admin"],
  summary: "Activity feed (info and warning system events)",
  description:
    `${ADMIN_AUTH} Newest first, 50 by default. \`type\` maps switch events to \`switch\`, registrations to \`agent\`, everything else to \`event\`; \`id\` is the event id.`,
  request: { query: z.object(pageQuery({ defaultLimit: 50, maxLimit: 500 })) },
  responses: { 200: json(z.array(ActivityItem), "Events"), ...COMMON_ERRORS },
});

const SWITCH_EVENTS = new Set(["switch_completed", "switch_detected", "manual_switch_requested"]);

/** Registers E58 and E61–E63. */
export function registerAdminOverviewRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(statsRoute, async (c) => {
    const { db, clock, config } = c.get("deps");
    const now = clock();
    const s = await adminStats(db, heartbeatCutoff(now, config.AGENT_HEARTBEAT_TIMEOUT));
    const live = await unsettledSavings(db, { now, clientIds: null });
    return c.json({
      ...s,
      totalSavings: money(s.totalSavings + [...live.values()].reduce((a, b) => a + b, 0)),
      modelSwitches: s.totalSwitches - s.manualSwitches,
      backendHealth: "Healthy",
      decisionEngineLoaded: true,
      mlModelsLoaded: false,
    }, 200);
  });

  app.openapi(instancesRoute, async (c) => {
    const { db } = c.get("deps");
    const q = c.req.valid("query");
    const search = q.search?.trim() || undefined;
    const { rows, total } = await adminInstances(db, { ...q, search });
    return c.json({
      instances: rows,
      total,
      limit: q.limit,
      offset: q.offset,
      filters: {
        status: q.status ?? null,
        mode: q.mode ?? null,
        region: q.region ?? null,
        search: search ?? null,
      },
    }, 200);
  });

  app.openapi(agentsRoute, async (c) => {
    const { db, clock, config } = c.get("deps");
    const q = c.req.valid("query");
    const { rows, total } = await adminAgents(db, {
      status: q.status,
      heartbeatCutoff: heartbeatCutoff(clock(), config.AGENT_HEARTBEAT_TIMEOUT),
      limit: q.limit,
      offset: q.offset,
    });
    return c.json({
      agents: rows,
      total,
      limit: q.limit,
      offset: q.offset,
      filters: { status: q.status ?? null },
    }, 200);
  });

  app.openapi(activityRoute, async (c) => {
    const { db } = c.get("deps");
    const events = await recentActivity(db, c.req.valid("query"));
    return c.json(
      events.map((e) => ({
        id: e.id,
        type: SWITCH_EVENTS.has(e.eventType)
          ? "switch" as const
          : e.eventType.startsWith("agent_registered")
          ? "agent" as const
          : "event" as const,
        text: e.message ?? e.eventType,
        time: e.time,
        eventType: e.eventType,
        severity: e.severity,
        clientId: e.clientId,
      })),
      200,
    );
  });
}
