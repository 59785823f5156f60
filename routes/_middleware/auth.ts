/**
 * Authentication: client tokens (jose-verified JWTs, or opaque tokens of older installations
 * looked up by SHA-256) and the admin credential (ADMIN_TOKEN or an admin JWT). A verified client
 * token is cached in-process for AUTH_CACHE_TTL seconds so agent hot paths need no database round
 * trip for auth. No token is logged or stored in clear: logs carry a fingerprint at most.
 */
import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import { decodeJwt } from "jose";
import type { AppContext, AppDeps, AppEnv, AuthKind, ClientPrincipal, Principal } from "../_app.ts";
import {
  constantTimeEqual,
  extractBearer,
  looksLikeJwt,
  TokenError,
  verifyToken,
} from "../../core/tokens.ts";
import { clientAddress, parseTrustedProxies } from "../../core/client_address.ts";
import type { TrustedProxies } from "../../core/client_address.ts";
import { findClientById, findClientByTokenHash } from "../../db/clients.ts";
import type { ClientRecord } from "../../db/clients.ts";
import { insertSystemEvent } from "../../db/events.ts";
import { ForbiddenError, HttpError, UnauthorizedError } from "../_errors.ts";
import { readBodyText } from "./read_body.ts";

/** Why a token was refused; `status` 401 or 403, `code` stable, `message` human. */
export class AuthFailure extends Error {
  override name = "AuthFailure";
  constructor(
    readonly status: 401 | 403,
    readonly code: string,
    message: string,
    /** The client the token names, when that is known for sure (revoked, inactive). */
    readonly clientId: string | null = null,
  ) {
    super(message);
  }
}

/** Options of `authenticate`. */
export interface AuthOptions {
  /** Registration only: the token may also arrive as the JSON body field `client_token`. */
  bodyToken?: boolean;
}

/** Middleware requiring the credential `kind` (never `none`). */
export function authenticate(kind: AuthKind, opts: AuthOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get("deps");
    let token = extractBearer(c.req.header("authorization"));
    if (!token && opts.bodyToken) {
      token = await bodyToken(async () => JSON.parse(await readBodyText(c)));
    }
    if (!token) {
      const what = kind === "admin" ? "admin credential" : "client token";
      throw new UnauthorizedError(`Missing ${what}`, "missing_token");
    }
    let principal: Principal;
    try {
      principal = await resolvePrincipal(deps, token);
    } catch (err) {
      if (!(err instanceof AuthFailure)) throw err;
      await recordAuthFailure(deps, c.get("requestId"), err, c.req.path);
      if (err.status === 403) throw new ForbiddenError(err.message, err.code);
      throw new UnauthorizedError(err.message, err.code);
    }
    if (kind === "admin" && principal.kind !== "admin") {
      throw new ForbiddenError("This route requires the admin credential", "admin_required");
    }
    if (kind === "agent" && principal.kind !== "client") {
      throw new ForbiddenError("This route requires a client token", "client_token_required");
    }
    c.set("principal", principal);
    c.set(
      "log",
      c.get("log").child(
        principal.kind === "client"
          ? { clientId: principal.clientId }
          : { admin: principal.subject },
      ),
    );
    await next();
  };
}

async function bodyToken(read: () => Promise<unknown>): Promise<string | null> {
  let body: unknown;
  try {
    body = await read();
  } catch (err) {
    if (err instanceof HttpError) throw err; // too large, too slow, or the client is gone
    return null; // not JSON: the route's validation answers it
  }
  const t = body && typeof body === "object"
    ? (body as Record<string, unknown>).client_token
    : null;
  return typeof t === "string" ? extractBearer(t) : null;
}

/**
 * Resolves a presented token to a principal, or throws `AuthFailure`. Client principals are
 * cached per token hash; admin credentials need no database at all.
 */
export async function resolvePrincipal(deps: AppDeps, token: string): Promise<Principal> {
  const { services, config, clock, db } = deps;
  const now = clock();
  const hash = tokenHash(token);
  const cached = services.authCache.get(hash, now.getTime());
  if (cached) return cached;
  const generation = services.authCache.generation();

  let client: ClientRecord | null;
  let version: number | null = null;
  let expiresAtMs: number | null = null;
  if (looksLikeJwt(token)) {
    let verified;
    try {
      verified = await verifyToken(services.keys, token, now);
    } catch (err) {
      if (err instanceof TokenError && err.code === "expired") {
        throw new AuthFailure(401, "token_expired", "Client token expired");
      }
      throw new AuthFailure(401, "invalid_token", "Invalid client token");
    }
    if (verified.kind === "admin") return { kind: "admin", subject: verified.subject };
    client = await findClientById(db, verified.clientId);
    version = verified.version;
    const exp = decodeJwt(token).exp;
    if (typeof exp === "number") expiresAtMs = exp * 1000;
  } else {
    if (config.ADMIN_TOKEN && constantTimeEqual(token, config.ADMIN_TOKEN)) {
      return { kind: "admin", subject: "admin-token" };
    }
    client = await findClientByTokenHash(db, hash);
  }
  if (!client) throw new AuthFailure(401, "invalid_token", "Invalid client token");
  if (version !== null && version !== client.tokenVersion) {
    throw new AuthFailure(
      401,
      "token_revoked",
      "Client token was revoked (regenerated)",
      client.id,
    );
  }
  if (!client.isActive || client.status !== "active") {
    throw new AuthFailure(403, "client_inactive", "Client account is not active", client.id);
  }
  const principal: ClientPrincipal = {
    kind: "client",
    clientId: client.id,
    clientName: client.name,
    clientEmail: client.email,
    tokenHash: hash,
  };
  // A cached entry must not outlive the token's own expiry.
  const outlivesToken = expiresAtMs !== null &&
    expiresAtMs - now.getTime() < config.AUTH_CACHE_TTL * 1000;
  // A regenerate/delete that ran while we were looking up must not be undone by this set.
  if (!outlivesToken && services.authCache.generation() === generation) {
    services.authCache.set(hash, principal, now.getTime());
  }
  return principal;
}

/**
 * The token's SHA-256 hex, the same value as `hashOpaqueToken` (core/tokens.ts) computed
 * synchronously: WebCrypto's async digest was ~10% of an agent request's CPU (an op round trip per
 * request), node:crypto's hash of ~200 bytes is a few microseconds.
 */
function tokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Checks in the database that the principal's client still exists and is active (a cached token
 * may outlive a delete or deactivation done on another instance for up to AUTH_CACHE_TTL).
 * Throws 401 `token_revoked` / 403 `client_inactive` and drops the client's cached tokens here.
 * Registration uses it: a revoked agent must stop at once, and it is not a hot path.
 */
export async function requireLiveClient(c: AppContext, clientId: string): Promise<void> {
  const deps = c.get("deps");
  const client = await findClientById(deps.db, clientId);
  if (client && client.isActive && client.status === "active") return;
  deps.services.authCache.deleteWhere((p) => p.clientId === clientId);
  if (!client) throw new UnauthorizedError("Client token was revoked", "token_revoked");
  throw new ForbiddenError("Client account is not active", "client_inactive");
}

const trustedCache = new Map<string, TrustedProxies>();

/**
 * The caller's address for rate limits and logs: the socket's peer, or with TRUSTED_PROXIES the
 * address our own proxies recorded in X-Forwarded-For (core/client_address.ts). "unknown" when
 * there is no connection (in-process requests in tests).
 */
export function sourceAddress(c: AppContext): string {
  const setting = c.get("deps").config.TRUSTED_PROXIES;
  let trusted = trustedCache.get(setting);
  if (!trusted) {
    trusted = parseTrustedProxies(setting);
    trustedCache.set(setting, trusted);
  }
  let socket: string | null = null;
  try {
    socket = getConnInfo(c).remote.address ?? null;
  } catch {
    // No connection info (app.request in tests, or a non-Deno adapter).
  }
  return clientAddress(trusted, socket, c.req.header("x-forwarded-for"));
}

// One auth_failed event per minute per code and route is enough to see an attack without letting
// a flood of bad tokens turn into a flood of database writes. Kept per app instance
// (AppServices.authFailures).

/** True at most once per minute for `key` on this app instance (throttles event writes). */
export function firstInMinute(deps: AppDeps, key: string): boolean {
  const seen = deps.services.authFailures;
  const now = deps.clock().getTime();
  const last = seen.get(key);
  if (last !== undefined && now - last >= 0 && now - last < 60_000) return false;
  if (seen.size > 1000) seen.clear();
  seen.set(key, now);
  return true;
}

async function recordAuthFailure(
  deps: AppDeps,
  requestId: string,
  err: AuthFailure,
  path: string,
): Promise<void> {
  if (!firstInMinute(deps, `auth:${err.code}:${path}`)) return;
  deps.log.warn("auth failed", { requestId, code: err.code, path });
  await insertSystemEvent(deps.db, {
    type: "auth_failed",
    severity: "warning",
    clientId: err.clientId,
    message: `Authentication failed (${err.code}) on ${path}`,
    metadata: { code: err.code, path },
    requestId,
  }).catch((e) => deps.log.error("could not record auth failure", { error: e }));
}
