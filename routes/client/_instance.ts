/** Resolves `/api/client/instances/{instance_id}/...` within the caller's scope, and metrics math. */
import type { AppContext } from "../_app.ts";
import { clientScopeOrAll } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import type { InstanceContext } from "../../db/dashboard_instances.ts";
import { resolveInstance } from "../../db/dashboard_instances.ts";
import type { PricedSegment } from "../../db/dashboard_instance_detail.ts";

/** The instance (or agent) the path names, visible to the caller; 404 otherwise. */
export async function instanceInScope(c: AppContext, id: string): Promise<InstanceContext> {
  const ctx = await resolveInstance(c.get("deps").db, { id, clientId: clientScopeOrAll(c) });
  if (!ctx) throw new NotFoundError("Instance not found", "instance_not_found");
  return ctx;
}

/**
 * Estimated savings of an instance from its segments: spot hours × (average on-demand − average
 * spot price while it ran); on-demand time saves nothing; time without both prices counts 0. Only
 * the part of each segment after `since` (when given) is counted. The exact per-client figures are
 * the daily ledger's (savings routes); this per-instance view is an estimate from average prices.
 */
export function estimateSavings(segments: readonly PricedSegment[], since?: Date): number {
  let total = 0;
  for (const s of segments) {
    if (s.mode !== "spot" || s.avgSpotPrice === null || s.avgOnDemandPrice === null) continue;
    const start = Math.max(Date.parse(s.start), since ? since.getTime() : -Infinity);
    const end = Date.parse(s.end);
    if (!(end > start)) continue;
    total += ((end - start) / 3_600_000) * (s.avgOnDemandPrice - s.avgSpotPrice);
  }
  return Math.round(total * 10_000) / 10_000;
}
