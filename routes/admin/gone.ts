/**
 * The predecessor's decision-engine and ML-model upload routes (CONTRACT E69–E73) are gone on
 * purpose: they saved uploaded Python into an importable package and restarted the server,
 * unauthenticated (B-01). The decision engine is built in and configured by settings
 * (DECISION_POLICY and the per-agent settings); no code or model is ever uploaded. Each path
 * answers 410 with a message naming the replacement, reading no body.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { COMMON_ERRORS, errorResponses } from "../_openapi.ts";
import { ADMIN_AUTH } from "./schemas.ts";

/** The message every removed upload route answers. */
export const GONE_MESSAGE =
  "Removed: the server no longer accepts uploaded decision engines or ML models. The decision engine is built in; configure it with the DECISION_POLICY setting and the per-agent settings (POST /api/client/agents/{agent_id}/config).";

const PATHS = [
  ["post", "/api/admin/decision-engine/upload", "Upload a decision engine (removed)"],
  ["post", "/api/admin/ml-models/upload", "Upload ML models (removed)"],
  ["post", "/api/admin/ml-models/activate", "Activate an ML model session (removed)"],
  ["post", "/api/admin/ml-models/fallback", "Fall back to the previous ML models (removed)"],
  ["get", "/api/admin/ml-models/sessions", "List ML model sessions (removed)"],
] as const;

/** Registers the 410 answers of E69–E73. */
export function registerGoneRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const [method, path, summary] of PATHS) {
    const route = defineRoute("admin", {
      method,
      path,
      tags: ["admin", "removed"],
      summary,
      description:
        `${ADMIN_AUTH} Always 410 \`{error, code: "gone", replacement}\`. The predecessor executed uploaded code without authentication (B-01); this server never loads uploaded code.`,
      responses: { ...COMMON_ERRORS, ...errorResponses(410) },
    });
    app.openapi(route, (c) =>
      c.json({
        error: GONE_MESSAGE,
        code: "gone",
        replacement: "built-in decision engine (DECISION_POLICY, per-agent settings)",
      }, 410));
  }
}
