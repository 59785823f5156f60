/**
 * CSV exports of one client (CONTRACT E49 savings, E50 switch history): a real `text/csv`
 * attachment with a header row, RFC 4180 quoting and spreadsheet-formula neutralisation
 * (routes/_csv.ts). The admin dashboard opened these with `window.open`, which cannot send the
 * Authorization header: it must now fetch them with the header and save the blob.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { decimalInt } from "../_validators.ts";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { csvHeaders, toCsv } from "../_csv.ts";
import { LIMITS, pageQuery } from "../_pagination.ts";
import { listSwitches } from "../../db/dashboard_switches.ts";
import { COMMON_ERRORS, csv } from "../_openapi.ts";
import { CLIENT_AUTH, ClientParams } from "./schemas.ts";
import { resolveClientId } from "./_scope.ts";
import { clientSavings } from "./_savings.ts";

const CSV_NOTE =
  "RFC 4180 (CRLF, quoted cells with doubled quotes); a text cell starting with = + - @ TAB or CR is prefixed with a single quote so spreadsheets never run it as a formula. Browsers cannot add the Authorization header to `window.open`: fetch with the header and save the response.";

const savingsRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/export/savings",
  tags: ["client", "exports"],
  summary: "Monthly savings as CSV (client_<id>_savings.csv)",
  description:
    `${CLIENT_AUTH} Columns: Year, Month, Month Name, On-Demand Cost, Actual Cost, Savings (one row per month of the ledger, oldest first, live days included). ${CSV_NOTE}`,
  request: {
    params: ClientParams,
    query: z.object({ months: decimalInt(1, 120, 120) }),
  },
  responses: { 200: csv("CSV attachment"), ...COMMON_ERRORS },
});

const switchesRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/export/switch-history",
  tags: ["client", "exports"],
  summary: "Switch history as CSV (client_<id>_switch_history.csv)",
  description:
    `${CLIENT_AUTH} Columns: Timestamp, Old Instance, New Instance, From Mode, To Mode, From Pool, To Pool, Trigger, Price, Savings Impact; newest first, \`limit\` rows (default and maximum 10000; page with \`offset\`). ${CSV_NOTE}`,
  request: { params: ClientParams, query: z.object(pageQuery(LIMITS.export)) },
  responses: { 200: csv("CSV attachment"), ...COMMON_ERRORS },
});

/** Header row of the savings export. */
export const SAVINGS_CSV_HEADER = [
  "Year",
  "Month",
  "Month Name",
  "On-Demand Cost",
  "Actual Cost",
  "Savings",
] as const;

/** Header row of the switch-history export. */
export const SWITCHES_CSV_HEADER = [
  "Timestamp",
  "Old Instance",
  "New Instance",
  "From Mode",
  "To Mode",
  "From Pool",
  "To Pool",
  "Trigger",
  "Price",
  "Savings Impact",
] as const;

/** Registers E49 and E50. */
export function registerExportRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(savingsRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const s = await clientSavings(db, {
      clientId,
      now: clock(),
      months: c.req.valid("query").months,
    });
    const rows = (s?.months ?? []).map((m) => [
      m.year,
      m.month,
      m.name,
      m.baseline,
      m.actual,
      m.savings,
    ]);
    return c.body(
      toCsv(SAVINGS_CSV_HEADER, rows),
      200,
      csvHeaders(`client_${clientId}_savings.csv`),
    );
  });

  app.openapi(switchesRoute, async (c) => {
    const { db } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const { limit, offset } = c.req.valid("query");
    const rows = (await listSwitches(db, { clientId, limit, offset })).map((s) => [
      s.timestamp,
      s.oldInstanceId,
      s.newInstanceId,
      s.oldMode,
      s.newMode,
      s.oldPoolId ?? "n/a",
      s.newPoolId ?? "n/a",
      s.triggerType ?? "manual",
      (s.newMode === "spot" ? s.newSpotPrice : s.onDemandPrice) ?? 0,
      s.savingsImpact ?? 0,
    ]);
    return c.body(
      toCsv(SWITCHES_CSV_HEADER, rows),
      200,
      csvHeaders(`client_${clientId}_switch_history.csv`),
    );
  });
}
