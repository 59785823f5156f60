/** A pricing report (E06) normalised from the v4 or the legacy shape (routes/agent/extra_schemas.ts). */

/** A pricing report as the server understands it, whichever shape the agent sent. */
export interface NormalizedPricing {
  shape: "v4" | "legacy";
  instanceId: string | null;
  instanceType: string | null;
  region: string | null;
  az: string | null;
  mode: "spot" | "ondemand" | null;
  poolId: string | null;
  onDemandPrice: number | null;
  /** True when on_demand_price looks like the agent's fallback (0.1, or 3x the mean spot price). */
  onDemandEstimated: boolean;
  currentSpotPrice: number | null;
  cheapestPool: { poolId: string; price: number | null } | null;
  /** Pools with a usable price, unique by id, sorted by id (a stable lock order for upserts). */
  pools: { poolId: string; instanceType: string; az: string; price: number }[];
  collectedAt: Date;
}
