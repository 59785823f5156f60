/**
 * Request bodies are read once, after authentication, within a size limit (MAX_BODY_BYTES, 413)
 * and a deadline (BODY_READ_TIMEOUT_MS, 408), so a slow or unauthenticated client cannot hold
 * the server reading. A client that disconnects mid-body is logged at info level and answered
 * 499 (nobody receives it), never a 500. An empty body sent as JSON reads as `{}` (CONTRACT
 * T-24: the client dashboard posts toggle-enabled and promote with no body).
 */
import type { MiddlewareHandler } from "hono";
import type { AppContext, AppEnv } from "../_app.ts";
import { HttpError } from "../_errors.ts";

/** 499 (nginx's "client closed request"): the client went away before its body arrived. */
export class ClientClosedError extends HttpError {
  constructor(readonly reason: unknown) {
    super(499, "client_closed_request", "The client closed the connection before its body arrived");
  }
}

/** A JSON media type (`application/json`, `application/problem+json`, …). */
export const JSON_TYPE = /^application\/([\w.-]+\+)?json/i;

function tooLarge(): HttpError {
  return new HttpError(413, "payload_too_large", "Request body too large");
}

/**
 * Middleware for every API path: a declared Content-Length above MAX_BODY_BYTES is refused
 * before anything else runs (no body is read here).
 */
export function declaredSizeLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared && Number(declared) > c.get("deps").config.MAX_BODY_BYTES) throw tooLarge();
    await next();
  };
}

/** Middleware of every route, after its authentication: reads the body (see `readBodyText`). */
export function readBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
      const text = await readBodyText(c);
      if (text.trim() === "" && JSON_TYPE.test(c.req.header("content-type") ?? "")) {
        // bodyCache holds promises at runtime although it is typed as values.
        (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve("{}");
      }
    }
    await next();
  };
}

/**
 * The request body as text, read at most once (Hono's body cache then serves c.req.json()).
 * Throws 413 past MAX_BODY_BYTES, 408 past BODY_READ_TIMEOUT_MS and ClientClosedError when the
 * connection ends mid-body.
 */
export function readBodyText(c: AppContext): Promise<string> {
  const cache = c.req.bodyCache as Record<string, Promise<unknown> | undefined>;
  const cached = cache.text;
  if (cached) return cached as Promise<string>;
  const { MAX_BODY_BYTES, BODY_READ_TIMEOUT_MS } = c.get("deps").config;
  const p = readLimited(c.req.raw, MAX_BODY_BYTES, BODY_READ_TIMEOUT_MS);
  cache.text = p;
  return p;
}

const DIGITS = /^\d{1,15}$/;

async function readLimited(req: Request, maxBytes: number, timeoutMs: number): Promise<string> {
  if (!req.body) return "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new HttpError(408, "body_timeout", `Request body not received in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const declared = req.headers.get("content-length");
  if (declared !== null && DIGITS.test(declared) && Number(declared) <= maxBytes) {
    // The body ends at the declared length, so one native read is bounded by it (every agent
    // request declares its length; the chunk loop below cost about 20 µs more per request).
    const whole = req.text();
    whole.catch(() => {}); // still pending when the deadline wins
    try {
      return await Promise.race([whole, deadline]);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new ClientClosedError(err);
    } finally {
      clearTimeout(timer);
    }
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge();
      chunks.push(value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    if (err instanceof HttpError) throw err;
    throw new ClientClosedError(err);
  } finally {
    clearTimeout(timer);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    all.set(ch, at);
    at += ch.byteLength;
  }
  return new TextDecoder().decode(all);
}
