/**
 * Shared types of the HTTP layer: the dependencies every handler receives, the principal that
 * authentication leaves on the context, and `defineRoute`, which declares a route's credential
 * next to its zod schemas (the OpenAPI document and the authorization test read it from there).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Clock, Logger } from "../core/log.ts";
import type { TokenKeys } from "../core/tokens.ts";
import type { AuthCache } from "../core/auth_cache.ts";
import type { RateLimiter } from "./_middleware/rate_limit.ts";
import type { HealthBuffer } from "../services/health_buffer.ts";
import type { PricingReportHook } from "./agent/pricing.ts";
import { BadRequestError, NotFoundError } from "./_errors.ts";
import { authenticate } from "./_middleware/auth.ts";
import type { AuthOptions } from "./_middleware/auth.ts";

/** A client (tenant) resolved from its token. */
export interface ClientPrincipal {
  kind: "client";
  clientId: string;
  clientName: string;
  clientEmail: string;
  /** SHA-256 of the presented token: the auth cache key, never the token itself. */
  tokenHash: string;
}

/** The operator, from ADMIN_TOKEN or an admin JWT. */
export interface AdminPrincipal {
  kind: "admin";
  subject: string;
}

/** Who is calling. */
export type Principal = ClientPrincipal | AdminPrincipal;

/** Background work a handler starts after answering (awaited on shutdown and in tests). */
export interface Background {
  run(name: string, task: () => Promise<unknown>): void;
  drain(): Promise<void>;
}

/** Process-wide helpers shared by all requests of one app instance. */
export interface AppServices {
  keys: TokenKeys;
  authCache: AuthCache<ClientPrincipal>;
  validateLimiter: RateLimiter;
  background: Background;
  instanceName: string;
  /** Per-agent heartbeat aggregates, flushed to agent_health_metrics (no heartbeat round trip). */
  healthBuffer: HealthBuffer;
  /** The decision engine's hook for stored pricing reports (set by main.ts; absent in tests). */
  onPricingReport?: PricingReportHook;
}

/** Everything a handler may use: injected, never imported as a singleton. */
export interface AppDeps {
  db: Db;
  config: Config;
  clock: Clock;
  log: Logger;
  services: AppServices;
}

/** Hono environment of this app. */
export interface AppEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    log: Logger;
    principal: Principal;
  };
}

/** Shorthand for a handler's context. */
export type AppContext = Context<AppEnv>;

/**
 * Which credential a route requires:
 * - `agent`: a client token; agent ids in the path must belong to that client (else 404).
 * - `client`: a client token, or the admin credential (the admin dashboard reads the same URLs).
 * - `admin`: the admin credential only.
 * - `none`: public (health, docs, validate does its own checks).
 */
export type AuthKind = "agent" | "client" | "admin" | "none";

/** Creates a router whose validation failures become the house 400 error. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new BadRequestError("Validation failed", "validation_failed", {
          details: result.error.issues.map((i) => ({
            path: i.path.join("."),
            message: i.message,
          })),
        });
      }
    },
  });
}

/** `createRoute` plus the declared credential (`x-auth`) and its middleware. */
export function defineRoute<const R extends RouteConfig>(
  auth: AuthKind,
  route: R,
  opts: AuthOptions = {},
): R & { "x-auth": AuthKind } {
  const middleware = auth === "none" ? [] : [authenticate(auth, opts)];
  const extra = route.middleware
    ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware])
    : [];
  const security = auth === "none" ? [] : [{ bearer: [] }];
  return createRoute({
    ...route,
    security,
    middleware: [...middleware, ...extra] as R["middleware"],
    "x-auth": auth,
  }) as R & { "x-auth": AuthKind };
}

/** The authenticated principal of a request (routes with auth only). */
export function principalOf(c: AppContext): Principal {
  return c.get("principal");
}

/** The client whose data this request may touch; an admin may name any client. */
export function scopeClient(c: AppContext, clientIdFromPath?: string): string {
  const p = principalOf(c);
  if (p.kind === "client") {
    if (clientIdFromPath !== undefined && clientIdFromPath !== p.clientId) {
      throw new NotFoundError("Client not found", "client_not_found");
    }
    return p.clientId;
  }
  if (clientIdFromPath === undefined) {
    throw new BadRequestError("client_id is required for the admin credential", "client_required");
  }
  return clientIdFromPath;
}

/** The client of a client-token request, or null for the admin (who may act on any client). */
export function clientScopeOrAll(c: AppContext): string | null {
  const p = principalOf(c);
  return p.kind === "client" ? p.clientId : null;
}
