/**
 * Pool ids and switch targets: a pool id is `<instance_type>.<az>` and the agent takes the AZ
 * after the last dot (CONTRACT T-05); the agent always launches its own instance type, so a pool of
 * another type cannot be honoured. Pure rules, raising InvalidInput.
 */
import { InvalidInput } from "./errors.ts";

const POOL_ID = /^[a-z0-9][a-z0-9-]*\.[a-z0-9-]+\.[a-z]{2}-[a-z0-9-]*[a-z0-9]$/;

/** The pool an instance runs in: `<type>.<az>` on spot, none on-demand. */
export function poolOf(
  mode: "spot" | "ondemand" | "unknown" | null,
  instanceType: string | null,
  az: string | null,
): string | null {
  return mode === "spot" && instanceType && az ? `${instanceType}.${az}` : null;
}

/** True when `poolId` has the `<instance_type>.<az>` shape the agent understands. */
export function isPoolId(poolId: string): boolean {
  return poolId.length <= 128 && POOL_ID.test(poolId);
}

/** The instance type part of a pool id (everything before the last dot). */
export function poolInstanceType(poolId: string): string {
  return poolId.slice(0, poolId.lastIndexOf("."));
}

/**
 * The pool a switch to `mode` targets: required and well-formed for spot, null for on-demand.
 * Throws InvalidInput `pool_required` / `invalid_pool_id`.
 */
export function switchTargetPool(
  mode: "spot" | "ondemand",
  targetPoolId: string | null | undefined,
): string | null {
  if (mode !== "spot") return null;
  const pool = targetPoolId?.trim() || null;
  if (!pool) throw new InvalidInput("A spot target needs target_pool_id", "pool_required");
  if (!isPoolId(pool)) {
    throw new InvalidInput(
      "target_pool_id must look like <instance_type>.<az>, e.g. t3.medium.us-east-1a",
      "invalid_pool_id",
    );
  }
  return pool;
}

/** Throws InvalidInput `pool_type_mismatch` when `pool` is not of the agent's instance type. */
export function assertPoolOfType(pool: string | null, instanceType: string | null): void {
  if (pool && instanceType && poolInstanceType(pool) !== instanceType) {
    throw new InvalidInput(
      `target_pool_id is for another instance type than the agent's ${instanceType}`,
      "pool_type_mismatch",
    );
  }
}
