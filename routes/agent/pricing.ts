/**
 * E06 POST /api/agents/{agent_id}/pricing-report (v4 and legacy shapes). Steady state: three
 * statements (the report, gated on the agent belonging to the token's client; the spot prices; the
 * on-demand price), every one an idempotent upsert, so a retried or half-failed report re-sent
 * later leaves the same rows. The decision engine gets the report after the answer.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../_app.ts";
import { defineRoute, scopeClient } from "../_app.ts";
import { BadRequestError, NotFoundError } from "../_errors.ts";
import {
  ensureSpotPools,
  updateInstancePricesIfChanged,
  upsertOnDemandPrice,
  upsertPricingReportForAgent,
  upsertSpotPrices,
} from "../../db/pricing.ts";
import { AgentParams, normalizePricing, PricingReportBody, SuccessBody } from "./extra_schemas.ts";
import type { NormalizedPricing } from "./extra_schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

/** A stored pricing report, handed to the decision engine after the agent got its answer. */
export interface PricingReportEvent extends NormalizedPricing {
  agentId: string;
  clientId: string;
  receivedAt: Date;
}

/** The decision engine's entry point for pricing reports (wired by main.ts into AppServices). */
export type PricingReportHook = (deps: AppDeps, event: PricingReportEvent) => Promise<void>;

const pricingRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/pricing-report",
  tags: ["agent"],
  summary: "Pricing report (v4.0.0 and legacy v3.2 shapes)",
  description:
    "Stores the report (one row per agent + collected_at), each pool's spot price and the on-demand price in their 5-minute buckets. `collected_at` is naive UTC. An on-demand price that is the agent's fallback estimate never replaces a real one.",
  request: {
    params: AgentParams,
    body: jsonRequest(PricingReportBody),
  },
  responses: {
    200: json(SuccessBody, "Stored"),
    400: errorResponse("Malformed report"),
    404: errorResponse("Agent not found"),
  },
});

/** Region of a report, or the one implied by its AZ (`us-east-1a` -> `us-east-1`). */
function regionOf(n: NormalizedPricing): string | null {
  if (n.region) return n.region;
  const az = n.az ?? n.pools[0]?.az ?? null;
  return az ? az.replace(/[a-z]+$/, "") || null : null;
}

/** Stores one pricing report; false when the agent is not the client's (nothing written). */
export async function storePricingReport(
  deps: AppDeps,
  opts: { agentId: string; clientId: string; report: NormalizedPricing },
): Promise<boolean> {
  const { db, clock } = deps;
  const n = opts.report;
  const stored = await upsertPricingReportForAgent(db, {
    agentId: opts.agentId,
    clientId: opts.clientId,
    instanceId: n.instanceId,
    instanceType: n.instanceType,
    region: n.region,
    az: n.az,
    mode: n.mode,
    poolId: n.poolId,
    onDemandPrice: n.onDemandPrice,
    onDemandEstimated: n.onDemandEstimated,
    currentSpotPrice: n.currentSpotPrice,
    cheapestPoolId: n.cheapestPool?.poolId ?? null,
    cheapestPoolPrice: n.cheapestPool?.price ?? null,
    pools: n.pools,
    collectedAt: n.collectedAt,
    shape: n.shape,
  });
  if (!stored) return false;

  const pools = [...n.pools];
  if (
    n.mode === "spot" && n.poolId && n.currentSpotPrice && n.instanceType && n.az &&
    !pools.some((p) => p.poolId === n.poolId)
  ) {
    pools.push({
      poolId: n.poolId,
      instanceType: n.instanceType,
      az: n.az,
      price: n.currentSpotPrice,
    });
  }
  const region = regionOf(n);
  if (region && pools.length > 0) await ensureSpotPools(db, region, pools);
  await Promise.all([
    upsertSpotPrices(db, pools, n.collectedAt),
    region && n.instanceType && n.onDemandPrice !== null
      ? upsertOnDemandPrice(db, {
        region,
        instanceType: n.instanceType,
        price: n.onDemandPrice,
        estimated: n.onDemandEstimated,
        capturedAt: n.collectedAt,
      })
      : Promise.resolve(),
    n.instanceId
      ? updateInstancePricesIfChanged(db, {
        clientId: opts.clientId,
        instanceId: n.instanceId,
        onDemandPrice: n.onDemandEstimated ? null : n.onDemandPrice,
        spotPrice: n.mode === "spot" ? n.currentSpotPrice : null,
        now: clock(),
      })
      : Promise.resolve(),
  ]);
  return true;
}

/** Registers E06. */
export function registerPricingRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(pricingRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const clientId = scopeClient(c);
    const now = deps.clock();
    const report = normalizePricing(c.req.valid("json"), now);
    if ("error" in report) throw new BadRequestError(report.error, "validation_failed");
    if (!await storePricingReport(deps, { agentId, clientId, report })) {
      throw new NotFoundError("Agent not found", "agent_not_found");
    }
    const hook = deps.services.onPricingReport;
    if (hook) {
      const event: PricingReportEvent = { ...report, agentId, clientId, receivedAt: now };
      deps.services.background.run("pricing-report-engine", async () => {
        // Let the answer go out first: the engine's reads are not the agent's business.
        await new Promise((r) => setTimeout(r, 0));
        await hook(deps, event);
      });
    }
    return c.json({ success: true as const }, 200);
  });
}
