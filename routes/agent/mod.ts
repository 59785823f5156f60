/**
 * The agent-facing API (CONTRACT section 2), at the host root because the agent drops any path
 * prefix (T-16). Literal paths (`/register`) are registered before `/{agent_id}` paths.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { registerRegisterRoute } from "./register.ts";
import { registerHeartbeatRoute } from "./heartbeat.ts";
import { registerConfigRoutes } from "./config.ts";
import { registerCommandRoutes } from "./commands.ts";
import { registerSwitchReportRoute } from "./switch_report.ts";
import { registerAgentExtraRoutes } from "./extra.ts";

/** Registers the agent lifecycle routes and the extra agent routes (pricing, cleanup, ...). */
export function registerAgentRoutes(app: OpenAPIHono<AppEnv>): void {
  registerRegisterRoute(app);
  registerHeartbeatRoute(app);
  registerCommandRoutes(app);
  registerSwitchReportRoute(app);
  registerAgentExtraRoutes(app);
  // Last: GET /api/agents/{agent_id} must not shadow the longer agent paths above.
  registerConfigRoutes(app);
}
