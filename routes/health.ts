/** GET /health: liveness plus database readiness (a real query), version and schema version. */
import { z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./_app.ts";
import { defineRoute } from "./_app.ts";
import { VERSION } from "../core/version.ts";
import { currentSchemaVersion } from "../db/migrate.ts";
import { json } from "./_openapi.ts";

const HealthOk = z.object({
  status: z.literal("healthy"),
  timestamp: z.string(),
  version: z.string(),
  database: z.literal("connected"),
  database_latency_ms: z.number(),
  schema_version: z.string().nullable(),
  decision_engine_loaded: z.boolean(),
});
const HealthDown = z.object({
  status: z.literal("unhealthy"),
  timestamp: z.string(),
  version: z.string(),
  database: z.literal("disconnected"),
  error: z.string(),
  reason: z.string(),
});

const healthRoute = defineRoute("none", {
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Liveness and database readiness",
  responses: {
    200: json(HealthOk, "Healthy"),
    503: json(HealthDown, "Database unreachable"),
  },
});

/** Registers /health. */
export function registerHealth(app: OpenAPIHono<AppEnv>): void {
  app.openapi(healthRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const started = performance.now();
    try {
      const schemaVersion = await currentSchemaVersion(db);
      return c.json({
        status: "healthy" as const,
        timestamp: clock().toISOString(),
        version: VERSION,
        database: "connected" as const,
        database_latency_ms: Math.round((performance.now() - started) * 100) / 100,
        schema_version: schemaVersion,
        decision_engine_loaded: true,
      }, 200);
    } catch (err) {
      c.header("Retry-After", "5");
      return c.json({
        status: "unhealthy" as const,
        timestamp: clock().toISOString(),
        version: VERSION,
        database: "disconnected" as const,
        error: "Database unreachable",
        reason: err instanceof Error ? err.message.slice(0, 200) : String(err),
      }, 503);
    }
  });
}
