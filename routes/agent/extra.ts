/**
 * The agent report and legacy routes (pricing, cleanup, health metrics, E20-E23, E27, M3),
 * registered by routes/agent/mod.ts next to the lifecycle routes.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { registerPricingRoutes } from "./pricing.ts";
import { registerCleanupRoutes } from "./cleanup.ts";
import { registerHealthMetricRoutes } from "./health_metrics.ts";
import { registerLegacyRoutes } from "./legacy.ts";

/** Registers the agent report and legacy routes. */
export function registerAgentExtraRoutes(app: OpenAPIHono<AppEnv>): void {
  registerPricingRoutes(app);
  registerCleanupRoutes(app);
  registerHealthMetricRoutes(app);
  registerLegacyRoutes(app);
}
