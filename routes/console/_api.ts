/**
 * The console reads and writes through the app's own JSON API, in process: for each page request
 * it mints a one-minute token for the signed-in principal (a client token carrying the session's
 * token version, or an admin token) and calls the same handlers the dashboards call. So the
 * console shows exactly the API's numbers, obeys the same tenancy and validation, and a
 * regenerated token (version mismatch) or a deactivated client ends the session at once.
 * The page's request id is passed on, so the log lines of one page view share it.
 */
import type { Hono } from "hono";
import type { z } from "zod";
import type { AppContext, AppEnv } from "../_app.ts";
import { signAdminToken, signClientToken } from "../../core/tokens.ts";
import type { ConsoleSession } from "./_session.ts";

/** The API refused the request; `status`, `code` and `message` come from its error body. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The session's credential no longer works (token regenerated, client deactivated or deleted). */
export class SessionEnded extends Error {
  override name = "SessionEnded";
}

/** API access on behalf of one signed-in principal for one page request. */
export interface ConsoleApi {
  /** GETs `path` and parses the answer with `schema` (the fields the console reads). */
  get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>>;
  /** Sends a JSON body; resolves when the API accepted it. */
  send(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<unknown>;
  /** A non-JSON answer (CSV) with its headers. */
  raw(path: string): Promise<Response>;
}

const MINTED_TTL_SECONDS = 60;
const ENDED_CODES = new Set([
  "token_revoked",
  "invalid_token",
  "token_expired",
  "client_inactive",
]);

/** Builds the API accessor for `session` on `app`. */
export function consoleApi(
  app: Hono<AppEnv>,
  c: AppContext,
  session: ConsoleSession,
): ConsoleApi {
  const { services, clock } = c.get("deps");
  let minted: Promise<string> | null = null;
  const token = () =>
    minted ??= session.role === "client"
      ? signClientToken(services.keys, {
        clientId: session.clientId,
        version: session.tokenVersion,
        now: clock(),
        ttlSeconds: MINTED_TTL_SECONDS,
      })
      : signAdminToken(services.keys, {
        subject: `console:${session.subject}`,
        now: clock(),
        ttlSeconds: MINTED_TTL_SECONDS,
      });
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${await token()}`,
      "X-Request-Id": c.get("requestId"),
    };
    const ua = c.req.header("user-agent");
    if (ua) headers["User-Agent"] = ua;
    const fwd = c.req.header("x-forwarded-for");
    if (fwd) headers["X-Forwarded-For"] = fwd;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.ok) return res;
    const err = await res.json().catch(() => ({})) as { error?: string; code?: string };
    const code = err.code ?? "error";
    if ((res.status === 401 || res.status === 403) && ENDED_CODES.has(code)) {
      throw new SessionEnded(err.error ?? code);
    }
    throw new ApiError(res.status, code, err.error ?? `HTTP ${res.status}`);
  };
  return {
    async get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> {
      return schema.parse(await (await call("GET", path)).json());
    },
    async send(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown) {
      return await (await call(method, path, body ?? {})).json();
    },
    raw(path: string): Promise<Response> {
      return call("GET", path);
    },
  };
}
