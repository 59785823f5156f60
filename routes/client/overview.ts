/** Client overview and charts (CONTRACT E29, E48). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import {
  clientOverview,
  heartbeatCutoff,
  modeDistribution,
  overviewAgents,
  switchesPerDay,
} from "../../db/dashboard.ts";
import { listSwitches } from "../../db/dashboard_switches.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { CLIENT_AUTH, ClientParams } from "./schemas.ts";
import { ChartsResponse, Overview } from "./schemas_overview.ts";
import { resolveClientId } from "./_scope.ts";
import { clientSavings } from "./_savings.ts";
import { money, utcDay, utcDayStart } from "./_display.ts";

const DAY = 86_400_000;

const overviewRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}",
  tags: ["client"],
  summary: "Client overview (both dashboards' key sets)",
  description:
    `${CLIENT_AUTH} One object with the admin dashboard's camelCase keys and the client dashboard's snake_case keys (T-20). Counters are aggregated per table (no join inflation); \`agentsOnline\` counts agents whose heartbeat is within AGENT_HEARTBEAT_TIMEOUT; \`lastSync\` is the newest heartbeat; savings come from the daily ledger plus today's figures computed on the fly. \`totalSwitches\` counts every recorded switch.`,
  request: { params: ClientParams },
  responses: { 200: json(Overview.admin, "Overview"), ...COMMON_ERRORS },
});

const chartsRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/stats/charts",
  tags: ["client"],
  summary: "Chart series: monthly savings, mode distribution, switches per day",
  description:
    `${CLIENT_AUTH} savingsTrend: the last 12 months of the ledger (oldest first); modeDistribution: active instances per mode; switchFrequency: switches per UTC day over the last 30 days (days without switches included as 0).`,
  request: { params: ClientParams },
  responses: { 200: json(ChartsResponse, "Chart series"), ...COMMON_ERRORS },
});

const SHORT_MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** Registers E29 and E48 (E29 last among the client routes: it is the widest pattern). */
export function registerOverviewRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(chartsRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const now = clock();
    const savings = await clientSavings(db, { clientId, now, months: 12 });
    const modes = await modeDistribution(db, clientId);
    const since = new Date(utcDayStart(now).getTime() - 29 * DAY);
    const perDay = new Map(
      (await switchesPerDay(db, { clientId, since })).map((d) => [d.date, d.switches]),
    );
    const days = Array.from({ length: 30 }, (_, i) => utcDay(new Date(since.getTime() + i * DAY)));
    return c.json({
      savingsTrend: (savings?.months ?? []).map((m) => ({
        month: SHORT_MONTHS[m.month - 1] ?? String(m.month),
        year: m.year,
        savings: m.savings,
        baseline: m.baseline,
        actual: m.actual,
      })),
      modeDistribution: modes,
      switchFrequency: days.map((date) => ({ date, switches: perDay.get(date) ?? 0 })),
    }, 200);
  });
}

/** Registers E29 (must come after every other `/api/client/{x}` literal route). */
export function registerOverviewRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(overviewRoute, async (c) => {
    const { db, clock, config } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const now = clock();
    const cutoff = heartbeatCutoff(now, config.AGENT_HEARTBEAT_TIMEOUT);
    const o = await clientOverview(db, {
      clientId,
      heartbeatCutoff: cutoff,
      dayStart: utcDayStart(now),
    });
    if (!o) throw new NotFoundError("Client not found", "client_not_found");
    const savings = await clientSavings(db, { clientId, now, months: 1 });
    const recent = await listSwitches(db, { clientId, limit: 5, offset: 0 });
    const agents = await overviewAgents(db, { clientId, heartbeatCutoff: cutoff, limit: 20 });
    return c.json(
      Overview.toAdmin({
        ...o,
        status: o.isActive && o.status === "active" ? "active" : "inactive",
        totalSavings: savings?.totalSavings ?? 0,
        monthlySavings: savings?.monthlySavings ?? 0,
        weeklySavings: savings?.weeklySavings ?? 0,
        todaySavings: savings?.todaySavings ?? 0,
        averageDowntimeSeconds: o.switchesWithDowntime > 0
          ? money(o.totalDowntimeSeconds / o.switchesWithDowntime)
          : 0,
        recentSwitches: recent.map((s) => ({
          id: s.id,
          agent_id: s.agentId,
          old_instance_id: s.oldInstanceId,
          new_instance_id: s.newInstanceId,
          old_mode: s.oldMode,
          new_mode: s.newMode,
          savings_impact: s.savingsImpact ?? 0,
          initiated_at: s.initiatedAt,
        })),
        activeAgents: agents,
      }),
      200,
    );
  });
}
