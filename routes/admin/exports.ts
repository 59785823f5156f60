/** GET /api/admin/export/global-stats (CONTRACT E68): active clients as a CSV attachment. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { csvHeaders, toCsv } from "../_csv.ts";
import { LIMITS, pageQuery } from "../_pagination.ts";
import { activeClientStats } from "../../db/admin.ts";
import { COMMON_ERRORS, csv } from "../_openapi.ts";
import { unsettledSavings } from "../client/_savings.ts";
import { money } from "../client/_display.ts";
import { ADMIN_AUTH } from "./schemas.ts";

/** Header row of the global-stats export. */
export const GLOBAL_STATS_CSV_HEADER = [
  "Client ID",
  "Name",
  "Email",
  "Total Savings",
  "Active Instances",
  "Enabled Agents",
  "Created At",
] as const;

const route = defineRoute("admin", {
  method: "get",
  path: "/api/admin/export/global-stats",
  tags: ["admin", "exports"],
  summary: "Active clients as CSV (global_stats_<date>.csv)",
  description:
    `${ADMIN_AUTH} One row per active client, oldest first: savings (opening balance + settled ledger + unsettled days, as the client view shows them), active instances, enabled agents — each aggregated per table. RFC 4180 quoting; text cells starting with = + - @ TAB or CR get a leading single quote (formula injection). \`window.open\` cannot send the Authorization header: fetch with it and save the response.`,
  request: { query: z.object(pageQuery(LIMITS.export)) },
  responses: {
    200: csv("CSV attachment"),
    ...COMMON_ERRORS,
  },
});

/** Registers E68. */
export function registerAdminExportRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(route, async (c) => {
    const { db, clock } = c.get("deps");
    const rows = await activeClientStats(db, c.req.valid("query"));
    const live = await unsettledSavings(db, { now: clock(), clientIds: rows.map((r) => r.id) });
    const csv = toCsv(
      GLOBAL_STATS_CSV_HEADER,
      rows.map((r) => [
        r.id,
        r.name,
        r.email,
        money(r.totalSavings + (live.get(r.id) ?? 0)),
        r.activeInstances,
        r.enabledAgents,
        r.createdAt,
      ]),
    );
    const day = clock().toISOString().slice(0, 10);
    return c.body(csv, 200, csvHeaders(`global_stats_${day}.csv`));
  });
}
