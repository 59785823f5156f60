/**
 * The client routes (`/api/client/...`, CONTRACT E29–E50 and M1), read by both dashboards: a client
 * token for its own client, or the admin credential for any. Literal paths are registered before
 * parameter paths (T-29); `/api/client/{client_id}` comes last. `/api/client/validate` is
 * registered by routes/client/validate.ts before this group.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { registerPricingHistoryRoute } from "./pricing_history.ts";
import { registerAgentActionRoutes } from "./agent_actions.ts";
import { registerInstanceDetailRoutes } from "./instance_detail.ts";
import { registerForceSwitchRoute } from "./force_switch.ts";
import { registerAgentListRoutes } from "./agents.ts";
import { registerInstanceListRoutes } from "./instances.ts";
import { registerSavingsRoutes } from "./savings.ts";
import { registerExportRoutes } from "./exports.ts";
import { registerOverviewRoute, registerOverviewRoutes } from "./overview.ts";

/** Registers this group's routes. */
export function registerClientRoutes(app: OpenAPIHono<AppEnv>): void {
  registerPricingHistoryRoute(app);
  registerAgentActionRoutes(app);
  registerInstanceDetailRoutes(app);
  registerForceSwitchRoute(app);
  registerAgentListRoutes(app);
  registerInstanceListRoutes(app);
  registerSavingsRoutes(app);
  registerExportRoutes(app);
  registerOverviewRoutes(app);
  registerOverviewRoute(app);
}
