/**
 * Mounts the route groups. Literal paths are registered before parameter paths of the same
 * prefix (CONTRACT T-29), so the order below matters.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./_app.ts";
import { registerAgentRoutes } from "./agent/mod.ts";
import { registerDecisionRoutes } from "./agent/decisions.ts";
import { registerInterruptionRoutes } from "./agent/interruptions.ts";
import { registerReplicaRoutes } from "./agent/replicas.ts";
import { registerValidateRoute } from "./client/validate.ts";
import { registerClientRoutes } from "./client/mod.ts";
import { registerAdminClientRoutes } from "./admin/clients.ts";
import { registerAdminRoutes } from "./admin/mod.ts";
import { registerNotificationRoutes } from "./notifications.ts";

/** Registers every route group on the app. */
export function registerAreas(app: OpenAPIHono<AppEnv>): void {
  registerAgentRoutes(app);
  registerDecisionRoutes(app);
  registerInterruptionRoutes(app);
  registerReplicaRoutes(app);
  registerValidateRoute(app); // literal /api/client/validate before /api/client/{client_id}
  registerClientRoutes(app);
  registerAdminClientRoutes(app);
  registerAdminRoutes(app);
  registerNotificationRoutes(app);
}
