/**
 * createApp(deps): the whole HTTP surface. Middleware order: request context (id, log) -> CORS
 * -> declared body size -> routes (each: authentication, then the body read with a size limit
 * and a deadline, read_body.ts; literal paths before parameter paths, CONTRACT T-29) -> one
 * error translator.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { DatabaseError } from "@planetscale/database";
import type { AppDeps, AppEnv } from "./_app.ts";
import { createRouter } from "./_app.ts";
import { HttpError, httpErrorFor } from "./_errors.ts";
import { DomainError } from "../core/errors.ts";
import { requestContext } from "./_middleware/request_log.ts";
import { apiCors } from "./_middleware/api_cors.ts";
import { securityHeaders } from "./_middleware/security_headers.ts";
import { ClientClosedError, declaredSizeLimit } from "./_middleware/read_body.ts";
import { registerHealth } from "./health.ts";
import { registerDocs } from "./docs.ts";
import { createMetrics, registerMetrics } from "./metrics.ts";
import { CommitUnknownError, DbUnavailableError, isDuplicateKey } from "../db/client.ts";
import { VERSION } from "../core/version.ts";
import { registerAreas } from "./areas.ts";
import { registerConsole } from "./console/mod.ts";

/** Builds the application on the given dependencies (used by main.ts and every test). */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.use("*", requestContext(deps));
  const metrics = createMetrics(deps);
  app.use("*", metrics.middleware);
  app.use("*", securityHeaders());
  const origins = deps.config.CORS_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean);
  app.use("/api/*", apiCors(origins));
  // Only the declared size here: bodies are read after authentication (read_body.ts).
  app.use("/api/*", declaredSizeLimit());

  registerHealth(app);
  registerAreas(app);
  registerConsole(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "Client token (agents and the client dashboard) or the admin credential (ADMIN_TOKEN or an admin JWT).",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "spot-optimizer control plane",
      version: VERSION,
      description:
        "API of the spot-optimizer server: agent v4.0.0 endpoints, client dashboard and admin routes. Each operation's `x-auth` names the credential it needs.",
    },
    // Declared order = order in /docs. Scalar renders the first tag group eagerly and the rest
    // lazily on scroll, so the agent routes come first (tests/docs_browser_test.ts).
    tags: OPENAPI_TAGS,
  });
  registerDocs(app);
  registerMetrics(app, metrics);

  app.notFound((c) => c.json({ error: "Not found", code: "route_not_found" }, 404));
  app.onError((thrown, c) => {
    const log = c.get("log") ?? deps.log;
    // Refusals of db/ and services/ are domain errors; this is their one mapping to HTTP.
    const err = thrown instanceof DomainError ? httpErrorFor(thrown) : thrown;
    if (err instanceof ClientClosedError) {
      // Nobody reads this answer; the status tells the request log what happened.
      log.info("client closed the connection before its body arrived", {
        error: String(err.reason),
      });
      return c.body(null, 499 as 400);
    }
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return c.json(
        { error: err.message, code: err.code, ...err.extra },
        err.status as 400,
      );
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const message = status === 400 ? "Malformed JSON in request body" : err.message;
      return c.json({ error: message || "Bad request", code: "bad_request" }, status);
    }
    if (err instanceof DbUnavailableError) {
      log.error("database unavailable", { error: err });
      c.header("Retry-After", "5");
      const error = err instanceof CommitUnknownError
        ? "Database did not confirm the write; it may or may not have been applied, retry shortly"
        : "Database unavailable, retry shortly";
      return c.json({ error, code: err.code }, 503);
    }
    if (err instanceof DatabaseError && isDuplicateKey(err)) {
      return c.json({ error: "Conflicts with an existing record", code: "conflict" }, 409);
    }
    log.error("unhandled error", {
      error: err,
      stack: err instanceof Error ? err.stack : undefined,
    });
    return c.json({ error: "Internal server error", code: "internal" }, 500);
  });
  return app;
}

/** Every operation tag of /openapi.json, in the order the reference (/docs) shows them. */
export const OPENAPI_TAGS: { name: string; description: string }[] = [
  { name: "agent", description: "Endpoints the agent (v4.0.0) calls on each instance." },
  { name: "client", description: "Client dashboard." },
  { name: "replicas", description: "Replica management (client dashboard)." },
  { name: "decisions", description: "Decision engine results." },
  { name: "exports", description: "CSV exports." },
  { name: "notifications", description: "Client notifications." },
  { name: "admin", description: "Admin routes (admin credential)." },
  { name: "admin: clients", description: "Admin: client accounts." },
  { name: "system", description: "Liveness, readiness and health probes." },
  { name: "removed", description: "Retired routes that answer with a clear error." },
];
