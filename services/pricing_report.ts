/**
 * E06 pricing report, after validation: stores it (three statements in the steady state, every
 * one an idempotent upsert: the report gated on the agent belonging to the client, the spot prices,
 * the on-demand price) and hands it to the decision engine (AppServices.onPricingReport) in the
 * background, after the agent got its answer.
 */
import type { NormalizedPricing } from "../core/pricing_report.ts";
import {
  ensureSpotPools,
  updateInstancePricesIfChanged,
  upsertOnDemandPrice,
  upsertPricingReportForAgent,
  upsertSpotPrices,
} from "../db/pricing.ts";
import type { AppDeps, PricingReportEvent } from "./types.ts";

/**
 * Stores a normalised report and schedules the engine's evaluation of the agent; false when the
 * agent is not the client's (nothing written, nothing scheduled).
 */
export async function recordPricingReport(
  deps: AppDeps,
  opts: { agentId: string; clientId: string; report: NormalizedPricing; now: Date },
): Promise<boolean> {
  const { agentId, clientId, report } = opts;
  if (!await storePricingReport(deps, { agentId, clientId, report })) return false;
  const hook = deps.services.onPricingReport;
  if (hook) {
    const event: PricingReportEvent = { ...report, agentId, clientId, receivedAt: opts.now };
    deps.services.background.run("pricing-report-engine", async () => {
      // Let the answer go out first: the engine's reads are not the agent's business.
      await new Promise((r) => setTimeout(r, 0));
      await hook(deps, event);
    });
  }
  return true;
}

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
