/** Savings, switch history and the switches page (CONTRACT E46, E47, M1). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { identifier } from "../_validators.ts";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import { LIMITS, pageQuery } from "../_pagination.ts";
import { countSwitches, listSwitches } from "../../db/dashboard_switches.ts";
import type { SwitchItem } from "../../db/dashboard_switches.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { CLIENT_AUTH, ClientParams } from "./schemas.ts";
import {
  SavingsMonth,
  SavingsQuery,
  SavingsResponse,
  Switch,
  SwitchesResponse,
  SwitchHistoryResponse,
} from "./schemas_overview.ts";
import { isAdmin, resolveClientId } from "./_scope.ts";
import { clientSavings } from "./_savings.ts";

const savingsRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/savings",
  tags: ["client"],
  summary: "Savings from the daily ledger",
  description:
    `${CLIENT_AUTH} Admin credential: a bare array of months (oldest first, \`range=monthly\`) with \`name, savings, onDemandCost, modelCost\`; any other range answers []. Client token: \`{total_savings, monthly_savings, weekly_savings, average_savings_percent, savings_by_month}\`. Read from savings_snapshots and v_client_savings_summary; days the daily job has not stored yet (yesterday before it ran, and today) are computed on the fly with the same ledger code.`,
  request: { params: ClientParams, query: SavingsQuery },
  responses: { 200: json(SavingsResponse, "Savings"), ...COMMON_ERRORS },
});

const historyRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/switch-history",
  tags: ["client"],
  summary: "Switch history, newest first",
  description:
    `${CLIENT_AUTH} Optional \`instance_id\` (as old or new instance). Admin credential: a bare camelCase array (the admin dashboard; \`instanceId\` = the new instance, T-21). Client token: \`{switches: [...]}\` with the items of /switches.`,
  request: {
    params: ClientParams,
    query: z.object({ instance_id: identifier(64).optional(), ...pageQuery(LIMITS.history) }),
  },
  responses: { 200: json(SwitchHistoryResponse, "Switches"), ...COMMON_ERRORS },
});

const switchesRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/switches",
  tags: ["client"],
  summary: "Switches page of the client dashboard (with total)",
  description:
    `${CLIENT_AUTH} \`{switches, total}\` for both credentials (the seed's "Client Switches History", missing in the predecessor, T-22). \`savings_impact\` is a number ($/h).`,
  request: { params: ClientParams, query: z.object(pageQuery(LIMITS.history)) },
  responses: { 200: json(SwitchesResponse, "Switches"), ...COMMON_ERRORS },
});

/** A switch as both dialects read it (the admin's trigger defaults to manual, the client's to model). */
function switchItem(s: SwitchItem): z.infer<typeof Switch.item> {
  return {
    ...s,
    instanceId: s.newInstanceId,
    fromPool: s.oldPoolId ?? "n/a",
    toPool: s.newPoolId ?? "n/a",
    trigger: s.triggerType ?? "manual",
    triggerType: s.triggerType ?? "model",
    price: (s.newMode === "spot" ? s.newSpotPrice : s.onDemandPrice) ?? 0,
    savingsImpact: s.savingsImpact ?? 0,
  };
}

/** Registers E46, E47 and M1. */
export function registerSavingsRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(savingsRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const { range, months } = c.req.valid("query");
    if (isAdmin(c) && range !== "monthly") return c.json([], 200);
    const s = await clientSavings(db, { clientId, now: clock(), months });
    if (!s) throw new NotFoundError("Client not found", "client_not_found");
    const items = s.months.map((m) => ({
      ...m,
      onDemandCost: m.baseline,
      actualCost: m.actual,
      switchCount: m.switches,
    }));
    if (isAdmin(c)) return c.json(items.map(SavingsMonth.toAdmin), 200);
    return c.json({
      total_savings: s.totalSavings,
      monthly_savings: s.monthlySavings,
      weekly_savings: s.weeklySavings,
      today_savings: s.todaySavings,
      average_savings_percent: s.averageSavingsPercent,
      last_settled_day: s.lastSettledDay,
      live_days: s.liveDays,
      savings_by_month: items.map(SavingsMonth.toClient),
    }, 200);
  });

  app.openapi(historyRoute, async (c) => {
    const { db } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const q = c.req.valid("query");
    const rows = await listSwitches(db, {
      clientId,
      instanceId: q.instance_id,
      limit: q.limit,
      offset: q.offset,
    });
    const items = rows.map(switchItem);
    return c.json(
      isAdmin(c)
        ? items.map(Switch.toAdmin)
        : { switches: items.map(Switch.toClient), limit: q.limit, offset: q.offset },
      200,
    );
  });

  app.openapi(switchesRoute, async (c) => {
    const { db } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const { limit, offset } = c.req.valid("query");
    const rows = await listSwitches(db, { clientId, limit, offset });
    const total = await countSwitches(db, { clientId });
    return c.json(
      { switches: rows.map(switchItem).map(Switch.toClient), total, limit, offset },
      200,
    );
  });
}
