/**
 * Security headers on every response (the values of hono's secureHeaders defaults, with CORP
 * cross-origin so the dashboards on other origins keep reading the API under CORS; no CSP: the
 * console and /docs load same-origin scripts and styles).
 *
 * A JSON answer gets the headers a browser applies to any fetched resource: nosniff, HSTS,
 * X-Frame-Options, CORP and X-Permitted-Cross-Domain-Policies. Everything else (HTML pages, CSV
 * downloads, the OpenAPI document's page assets) also gets the headers that only act on
 * documents and downloads: COOP, Origin-Agent-Cluster, Referrer-Policy, X-DNS-Prefetch-Control,
 * X-Download-Options and X-XSS-Protection: 0. Each header set costs about 3 µs of CPU; the agent's
 * hot paths are all JSON, and the six document headers were a tenth of a memo-hit poll
 * (bench/cpu_per_request.ts).
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../_app.ts";
import { JSON_TYPE } from "./read_body.ts";

/** Headers of every response. */
const RESOURCE_HEADERS: readonly (readonly [string, string])[] = [
  ["Cross-Origin-Resource-Policy", "cross-origin"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
];

/** Headers of every response that is not JSON (documents, downloads). */
const DOCUMENT_HEADERS: readonly (readonly [string, string])[] = [
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-XSS-Protection", "0"],
];

/** Middleware: adds the headers above to the response once the handler produced it. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    // A value the route chose (the console's X-Frame-Options DENY) is kept.
    for (const [name, value] of RESOURCE_HEADERS) if (!headers.has(name)) headers.set(name, value);
    if (!JSON_TYPE.test(headers.get("content-type") ?? "")) {
      for (const [name, value] of DOCUMENT_HEADERS) {
        if (!headers.has(name)) headers.set(name, value);
      }
    }
  };
}
