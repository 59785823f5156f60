/**
 * CORS of /api/* for the dashboards on other origins (CORS_ORIGINS). Browsers send `Origin` on
 * every cross-origin request and on every preflight, so only those go through hono's cors
 * middleware. A request without `Origin` (the agent, curl, a same-origin page) needs no CORS
 * answer and gets only `Vary: Origin`, so a cache never hands its answer to a cross-origin
 * caller. Hono's middleware materialises the response before the handler runs, which costs a
 * second copy of the response and its headers on every request: about 40 µs of CPU per agent
 * request (bench/cpu_per_request.ts), a fifth of a memo-hit pending-commands poll.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../_app.ts";

/** The CORS middleware for `origins` ("*" anywhere in the list allows every origin). */
export function apiCors(origins: string[]): MiddlewareHandler<AppEnv> {
  const browsers = cors({
    origin: origins.includes("*") ? "*" : origins,
    allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    allowHeaders: ["Content-Type", "Authorization", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "Retry-After", "Content-Disposition"],
    maxAge: 600,
  });
  return (c, next) => {
    if (c.req.method === "OPTIONS" || c.req.header("origin") !== undefined) {
      return browsers(c, next);
    }
    c.header("Vary", "Origin");
    return next();
  };
}
