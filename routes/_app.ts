/**
 * Shared types of the HTTP layer: the dependencies every handler receives, the principal that
 * authentication leaves on the context, and `defineRoute`, which declares a route's credential
 * next to its zod schemas (the OpenAPI document and the authorization test read it from there).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Logger } from "../core/log.ts";
import type { AppDeps, ClientPrincipal } from "../services/types.ts";
import { BadRequestError, NotFoundError } from "./_errors.ts";
import { authenticate } from "./_middleware/auth.ts";
import { wellFormedJsonBody } from "./_middleware/json_body.ts";
import { readBody } from "./_middleware/read_body.ts";
import type { AuthOptions } from "./_middleware/auth.ts";

// The dependency types live with the flows (services/types.ts); handlers import them from here.
export type {
  AppDeps,
  AppServices,
  Background,
  ClientPrincipal,
  PricingReportEvent,
  PricingReportHook,
} from "../services/types.ts";

/** The operator, from ADMIN_TOKEN or an admin JWT. */
export interface AdminPrincipal {
  kind: "admin";
  subject: string;
}

/** Who is calling. */
export type Principal = ClientPrincipal | AdminPrincipal;

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
  // The body is read only after authentication, within a size limit and a deadline, then made
  // well-formed (no lone surrogates) and depth-checked before the validators see it.
  const middleware = auth === "none"
    ? [readBody(), wellFormedJsonBody()]
    : [authenticate(auth, opts), readBody(), wellFormedJsonBody()];
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
