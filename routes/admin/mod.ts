/**
 * The admin routes (`/api/admin/...` except the client management of routes/admin/clients.ts):
 * the admin credential only. CONTRACT E58, E61–E73.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { registerAdminOverviewRoutes } from "./overview.ts";
import { registerAdminSearchRoute } from "./search.ts";
import { registerAdminFleetRoutes } from "./fleet.ts";
import { registerSystemHealthRoute } from "./system_health.ts";
import { registerAdminExportRoute } from "./exports.ts";
import { registerGoneRoutes } from "./gone.ts";

/** Registers this group's routes (agents/health-summary before any `/agents/{id}` pattern). */
export function registerAdminRoutes(app: OpenAPIHono<AppEnv>): void {
  registerAdminFleetRoutes(app);
  registerAdminOverviewRoutes(app);
  registerAdminSearchRoute(app);
  registerSystemHealthRoute(app);
  registerAdminExportRoute(app);
  registerGoneRoutes(app);
}
