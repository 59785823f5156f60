/**
 * Request id and one JSON log line per request (request id, method, path, route, status,
 * duration, client address from trusted hops, principal), and the route template on the request's
 * OpenTelemetry span. The id is taken from a sane incoming X-Request-Id or generated, and
 * echoed back so an operator can follow one request across the logs.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppDeps, AppEnv } from "../_app.ts";
import { sourceAddress } from "./auth.ts";
import { activeRequestSpan, nameRequestSpan } from "../../db/tracing.ts";

const SANE_ID = /^[\w\-=.:]{1,128}$/;

/** Middleware: sets deps, request id and a request-scoped logger, then logs the outcome. */
export function requestContext(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && SANE_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("deps", deps);
    c.set("requestId", requestId);
    c.set("log", deps.log.child({ requestId }));
    c.header("X-Request-Id", requestId);
    // Deno.serve's request span (OTEL_DENO=true), named after the route once it is known.
    const span = activeRequestSpan();
    try {
      await next();
    } finally {
      const status = c.res.status;
      const route = safeRoute(c);
      nameRequestSpan(span, c.req.method, route);
      const log = c.get("log");
      const level = status >= 500 ? "error" : c.req.path === "/health" ? "debug" : "info";
      if (log.enabled(level)) {
        log[level]("request", {
          method: c.req.method,
          path: c.req.path,
          route,
          status,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          ip: sourceAddress(c),
        });
      }
    }
  };
}

function safeRoute(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string | undefined {
  try {
    return routePath(c);
  } catch {
    return undefined;
  }
}
