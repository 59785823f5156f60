/**
 * Client management for the admin dashboard (CONTRACT E54-E60). Every route requires the admin
 * credential. Tokens are never stored: the create and regenerate answers are the only places a
 * token is ever shown, so the predecessor's "read the token" route answers 410.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../_app.ts";
import { defineRoute, principalOf } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import {
  clientCreationsByDay,
  findClientById,
  findClientSummary,
  listClientSummaries,
} from "../../db/clients.ts";
import type { ClientSummary } from "../../db/clients.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";
import { unsettledSavings } from "../client/_savings.ts";
import { money } from "../client/_display.ts";
import { sourceAddress } from "../_middleware/auth.ts";
import type { Actor } from "../../services/client_accounts.ts";
import {
  createClientAccount,
  deleteClientAccount,
  growthSeries,
  regenerateClientToken,
} from "../../services/client_accounts.ts";
import {
  ClientDetail,
  ClientIdParam,
  ClientListItem,
  CreateClientBody,
  CreateClientResponse,
  DeleteClientResponse,
  GrowthPoint,
  GrowthQuery,
  ListClientsQuery,
  RegenerateTokenResponse,
} from "./client_schemas.ts";

const TAGS = ["admin: clients"];
const AUTH_ERRORS = {
  401: errorResponse("Missing or invalid admin credential"),
  403: errorResponse("A client token cannot use admin routes"),
};
const NOT_FOUND = { 404: errorResponse("Unknown client") };

const createRoute = defineRoute("admin", {
  method: "post",
  path: "/api/admin/clients/create",
  tags: TAGS,
  summary: "Create a client; the answer holds its token (shown only here)",
  request: {
    body: jsonRequest(CreateClientBody),
  },
  responses: {
    200: json(CreateClientResponse, "Created"),
    400: errorResponse("Invalid body"),
    409: errorResponse("Name or e-mail already used (case-insensitive)"),
    ...AUTH_ERRORS,
  },
});

const listRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/clients",
  tags: TAGS,
  summary: "Clients newest first with agent and instance counters (bare array)",
  request: { query: ListClientsQuery },
  responses: {
    200: json(ClientListItem.array(), "Clients"),
    400: errorResponse("Invalid query"),
    ...AUTH_ERRORS,
  },
});

const growthRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/clients/growth",
  tags: TAGS,
  summary: "Clients per day over the last `days` days (from clients.created_at)",
  request: { query: GrowthQuery },
  responses: {
    200: json(GrowthPoint.array(), "One point per UTC day, oldest first"),
    400: errorResponse("Invalid query"),
    ...AUTH_ERRORS,
  },
});

const getRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/clients/{client_id}",
  tags: TAGS,
  summary: "One client with counters and token metadata (never the token)",
  request: { params: ClientIdParam },
  responses: { 200: json(ClientDetail, "Client"), ...NOT_FOUND, ...AUTH_ERRORS },
});

const deleteRoute = defineRoute("admin", {
  method: "delete",
  path: "/api/admin/clients/{client_id}",
  tags: TAGS,
  summary: "Delete a client, its agents and every row that belongs to them (one transaction)",
  request: { params: ClientIdParam },
  responses: { 200: json(DeleteClientResponse, "Deleted"), ...NOT_FOUND, ...AUTH_ERRORS },
});

const regenerateRoute = defineRoute("admin", {
  method: "post",
  path: "/api/admin/clients/{client_id}/regenerate-token",
  tags: TAGS,
  summary: "Issue a new token; every earlier token of the client stops working at once",
  description:
    "Bumps the client's token version and drops a legacy token hash. This instance forgets the old token immediately; other instances within AUTH_CACHE_TTL seconds.",
  request: { params: ClientIdParam },
  responses: { 200: json(RegenerateTokenResponse, "New token"), ...NOT_FOUND, ...AUTH_ERRORS },
});

const tokenRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/clients/{client_id}/token",
  tags: TAGS,
  summary: "Gone: tokens are stored only as hashes and cannot be read back",
  description:
    "The predecessor returned the stored token in clear. Tokens are now shown once, on create and on regenerate; this route always answers 410 `token_not_retrievable` (404 for an unknown client). Use POST /api/admin/clients/{client_id}/regenerate-token to issue a new one.",
  request: { params: ClientIdParam },
  responses: {
    410: errorResponse("The token cannot be retrieved"),
    ...NOT_FOUND,
    ...AUTH_ERRORS,
  },
});

function actorOf(c: AppContext): Actor {
  const p = principalOf(c);
  return {
    type: "admin",
    id: p.kind === "admin" ? p.subject : `client:${p.clientId}`,
    requestId: c.get("requestId"),
    ipAddress: sourceAddress(c),
    userAgent: c.req.header("user-agent") ?? null,
  };
}

function listItem(s: ClientSummary, unsettled: Map<string, number>) {
  return {
    id: s.id,
    name: s.name,
    email: s.email,
    status: s.active ? "active" as const : "inactive" as const,
    agentsOnline: s.agentsOnline,
    agentsTotal: s.agentsTotal,
    instances: s.instances,
    totalSavings: money(s.totalSavings + (unsettled.get(s.id) ?? 0)),
    lastSync: s.lastSync,
    createdAt: s.createdAt,
  };
}

/** Registers the admin client-management routes (literal paths before `{client_id}`). */
export function registerAdminClientRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const { client, token } = await createClientAccount(c.get("deps"), body, actorOf(c));
    return c.json({
      success: true as const,
      client: {
        id: client.id,
        name: client.name,
        email: client.email,
        token,
        status: "active" as const,
      },
    }, 200);
  });

  app.openapi(listRoute, async (c) => {
    const page = c.req.valid("query");
    const { db, clock } = c.get("deps");
    const rows = await listClientSummaries(db, page);
    const live = await unsettledSavings(db, { now: clock(), clientIds: rows.map((r) => r.id) });
    return c.json(rows.map((r) => listItem(r, live)), 200);
  });

  app.openapi(growthRoute, async (c) => {
    const { days } = c.req.valid("query");
    const { db, clock } = c.get("deps");
    const today = clock();
    const tomorrow = new Date(
      Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1),
    );
    const creations = await clientCreationsByDay(db, tomorrow);
    return c.json(growthSeries(creations, { today, days }), 200);
  });

  app.openapi(getRoute, async (c) => {
    const { client_id } = c.req.valid("param");
    const { db, clock } = c.get("deps");
    const s = await findClientSummary(db, client_id);
    if (!s) throw new NotFoundError("Client not found", "client_not_found");
    const live = await unsettledSavings(db, { now: clock(), clientIds: [s.id] });
    return c.json({
      ...listItem(s, live),
      tokenVersion: s.tokenVersion,
      tokenFingerprint: s.tokenFingerprint,
      tokenRotatedAt: s.tokenRotatedAt,
      hasLegacyToken: s.hasLegacyToken,
    }, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { client_id } = c.req.valid("param");
    const r = await deleteClientAccount(c.get("deps"), client_id, actorOf(c));
    return c.json({
      success: true as const,
      message: `Client "${r.name}" and all its data deleted`,
      deleted: r.deleted,
    }, 200);
  });

  app.openapi(regenerateRoute, async (c) => {
    const { client_id } = c.req.valid("param");
    const r = await regenerateClientToken(c.get("deps"), client_id, actorOf(c));
    return c.json({
      success: true as const,
      token: r.token,
      message: "Token regenerated; the previous token no longer works",
    }, 200);
  });

  app.openapi(tokenRoute, async (c) => {
    const { client_id } = c.req.valid("param");
    if (!(await findClientById(c.get("deps").db, client_id))) {
      throw new NotFoundError("Client not found", "client_not_found");
    }
    return c.json({
      error:
        `Client tokens are stored only as a hash; use POST /api/admin/clients/${client_id}/regenerate-token to issue a new one`,
      code: "token_not_retrievable",
    }, 410);
  });
}
