/**
 * Probes. GET /livez: the process answers (no database; an orchestrator restarts on failure).
 * GET /readyz: the database answers and its schema is at the version this code needs (a load
 * balancer routes on it). GET /health: the dashboards' and agents' combined check, unchanged in
 * shape; the raw database error is shown only to the admin credential.
 */
import { z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./_app.ts";
import { defineRoute } from "./_app.ts";
import { VERSION } from "../core/version.ts";
import { currentSchemaVersion, LATEST_SCHEMA_VERSION } from "../db/migrate.ts";
import { schemaVersionProblem } from "../db/schema_version.ts";
import { resolvePrincipal } from "./_middleware/auth.ts";
import type { AppContext } from "./_app.ts";
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

const Live = z.object({ status: z.literal("live"), version: z.string(), timestamp: z.string() });
const Ready = z.object({
  status: z.literal("ready"),
  version: z.string(),
  schema_version: z.string(),
});
const NotReady = z.object({
  status: z.literal("not_ready"),
  version: z.string(),
  code: z.enum(["database_unreachable", "schema_mismatch"]),
  reason: z.string(),
});

const livezRoute = defineRoute("none", {
  method: "get",
  path: "/livez",
  tags: ["system"],
  summary: "Liveness: the process answers (no database)",
  responses: { 200: json(Live, "Process up") },
});

const readyzRoute = defineRoute("none", {
  method: "get",
  path: "/readyz",
  tags: ["system"],
  summary: "Readiness: database reachable, schema at the expected version",
  responses: {
    200: json(Ready, "Ready to serve"),
    503: json(NotReady, "Not ready"),
  },
});

/** True when the request carries the admin credential (no database needed for that). */
async function isAdmin(c: AppContext): Promise<boolean> {
  const header = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return false;
  try {
    return (await resolvePrincipal(c.get("deps"), m[1])).kind === "admin";
  } catch {
    return false;
  }
}

/** Registers /livez, /readyz and /health. */
export function registerHealth(app: OpenAPIHono<AppEnv>): void {
  app.openapi(livezRoute, (c) =>
    c.json({
      status: "live" as const,
      version: VERSION,
      timestamp: c.get("deps").clock().toISOString(),
    }, 200));

  app.openapi(readyzRoute, async (c) => {
    const { db, log } = c.get("deps");
    let problem: string | null;
    try {
      problem = await schemaVersionProblem(db);
    } catch (err) {
      c.get("log").warn("readiness: database unreachable", { error: err });
      c.header("Retry-After", "5");
      return c.json({
        status: "not_ready" as const,
        version: VERSION,
        code: "database_unreachable" as const,
        reason: "Database unreachable",
      }, 503);
    }
    if (problem) {
      log.warn("readiness: schema mismatch", { reason: problem });
      return c.json({
        status: "not_ready" as const,
        version: VERSION,
        code: "schema_mismatch" as const,
        reason: problem,
      }, 503);
    }
    return c.json(
      { status: "ready" as const, version: VERSION, schema_version: LATEST_SCHEMA_VERSION },
      200,
    );
  });

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
      c.get("log").warn("health: database unreachable", { error: err });
      c.header("Retry-After", "5");
      // The raw driver message (hosts, users) only for the operator.
      const raw = err instanceof Error ? err.message.slice(0, 200) : String(err);
      return c.json({
        status: "unhealthy" as const,
        timestamp: clock().toISOString(),
        version: VERSION,
        database: "disconnected" as const,
        error: "Database unreachable",
        reason: await isAdmin(c) ? raw : "The database did not answer",
      }, 503);
    }
  });
}
