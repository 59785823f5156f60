/**
 * E06 POST /api/agents/{agent_id}/pricing-report (v4 and legacy shapes). Steady state: three
 * statements (the report, gated on the agent belonging to the token's client; the spot prices; the
 * on-demand price), every one an idempotent upsert, so a retried or half-failed report re-sent
 * later leaves the same rows. The decision engine gets the report after the answer
 * (services/pricing_report.ts).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute, scopeClient } from "../_app.ts";
import { BadRequestError, NotFoundError } from "../_errors.ts";
import { recordPricingReport } from "../../services/pricing_report.ts";
import { COLLECTED_AT_WINDOW, collectedAtProblem } from "../../core/market.ts";
import { AgentParams, normalizePricing, PricingReportBody, SuccessBody } from "./extra_schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

export type { PricingReportEvent, PricingReportHook } from "../../services/types.ts";

const pricingRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/pricing-report",
  tags: ["agent"],
  summary: "Pricing report (v4.0.0 and legacy v3.2 shapes)",
  description:
    `Stores the report (one row per agent + collected_at), each pool's spot price and the on-demand price in their 5-minute buckets. \`collected_at\` is naive UTC and must lie within ${COLLECTED_AT_WINDOW.pastMinutes} min before and ${COLLECTED_AT_WINDOW.futureMinutes} min after the server clock (else 400 collected_at_out_of_window). An on-demand price that is the agent's fallback estimate never replaces a real one.`,
  request: {
    params: AgentParams,
    body: jsonRequest(PricingReportBody),
  },
  responses: {
    200: json(SuccessBody, "Stored"),
    400: errorResponse("Malformed report, or collected_at outside the window"),
    404: errorResponse("Agent not found"),
  },
});

/** Registers E06. */
export function registerPricingRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(pricingRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const clientId = scopeClient(c);
    const now = deps.clock();
    const report = normalizePricing(c.req.valid("json"), now);
    if ("error" in report) throw new BadRequestError(report.error, "validation_failed");
    const late = collectedAtProblem(report.collectedAt, now);
    if (late) throw new BadRequestError(late, "collected_at_out_of_window");
    if (!await recordPricingReport(deps, { agentId, clientId, report, now })) {
      throw new NotFoundError("Agent not found", "agent_not_found");
    }
    return c.json({ success: true as const }, 200);
  });
}
