/**
 * Treats an empty body sent with `Content-Type: application/json` as `{}` (CONTRACT T-24: the
 * client dashboard posts toggle-enabled and promote with no body; Flask answered 400).
 */
import type { MiddlewareHandler } from "hono";

/** Middleware: an empty JSON body reads as `{}`. */
export function emptyJsonBody(): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
      const type = c.req.header("content-type") ?? "";
      if (/^application\/([\w.-]+\+)?json/i.test(type)) {
        const text = await c.req.text();
        // bodyCache holds promises at runtime although it is typed as values.
        if (text.trim() === "") {
          (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve("{}");
        }
      }
    }
    await next();
  };
}
