/**
 * Notifications (CONTRACT E51–E53), scoped to the caller (B-08): a client token sees and marks
 * only its own client's; the admin credential sees every client's unless it names `client_id`.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { identifier } from "./_validators.ts";
import type { AppContext, AppEnv } from "./_app.ts";
import { clientScopeOrAll, defineRoute } from "./_app.ts";
import { NotFoundError } from "./_errors.ts";
import { LIMITS, pageQuery } from "./_pagination.ts";
import {
  listNotifications,
  markAllNotificationsRead,
  markNotificationRead,
} from "../db/notifications.ts";
import { COMMON_ERRORS, json, jsonRequest } from "./_openapi.ts";
import { Timestamp } from "./client/schemas.ts";

const SCOPE =
  "Credential: a client token (its own client's notifications only; naming another `client_id` answers 404) or the admin credential (every client's, or one client's with `client_id`). The admin dashboard must now send the admin credential.";

const Notification = z.object({
  id: z.string(),
  message: z.string(),
  severity: z.string(),
  isRead: z.boolean(),
  time: Timestamp,
  type: z.string().nullable(),
  clientId: z.string(),
  agentId: z.string().nullable(),
});

const listRoute = defineRoute("client", {
  method: "get",
  path: "/api/notifications",
  tags: ["notifications"],
  summary: "Notifications, newest first",
  description: `${SCOPE} A bare array (the admin dashboard's shape) for both credentials.`,
  request: {
    query: z.object({
      client_id: z.union([z.literal(""), identifier(64)]).optional(),
      unread_only: z.enum(["true", "false", "1", "0"]).optional(),
      ...pageQuery(LIMITS.notifications),
    }),
  },
  responses: { 200: json(z.array(Notification), "Notifications"), ...COMMON_ERRORS },
});

const markReadRoute = defineRoute("client", {
  method: "post",
  path: "/api/notifications/{notif_id}/mark-read",
  tags: ["notifications"],
  summary: "Mark one notification read",
  description:
    `${SCOPE} No body needed (an empty JSON body is accepted, T-24). 404 for an unknown id or another client's.`,
  request: { params: z.object({ notif_id: identifier(64) }) },
  responses: {
    200: json(z.object({ success: z.literal(true), id: z.string() }), "Marked"),
    ...COMMON_ERRORS,
  },
});

const markAllRoute = defineRoute("client", {
  method: "post",
  path: "/api/notifications/mark-all-read",
  tags: ["notifications"],
  summary: "Mark all notifications read",
  description:
    `${SCOPE} Body \`{client_id?: string | null}\`. A client token marks only its own client's, whatever it sends. The admin credential marks one client's with \`client_id\`, or every client's with null/absent (the admin dashboard's header bell lists all clients).`,
  request: {
    body: jsonRequest(
      z.object({ client_id: z.union([z.literal(""), identifier(64)]).nullable().optional() }),
    ),
  },
  responses: {
    200: json(z.object({ success: z.literal(true), updated: z.number().int() }), "Marked"),
    ...COMMON_ERRORS,
  },
});

/** The client whose notifications the request may touch (null: the admin, all clients). */
function notificationScope(c: AppContext, requested: string | null | undefined): string | null {
  const own = clientScopeOrAll(c);
  if (own === null) return requested ?? null;
  if (requested && requested !== own) {
    throw new NotFoundError("Client not found", "client_not_found");
  }
  return own;
}

/** Registers E51–E53 (mark-all-read before the `{notif_id}` route of the same prefix). */
export function registerNotificationRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(markAllRoute, async (c) => {
    const { db } = c.get("deps");
    const clientId = notificationScope(c, c.req.valid("json").client_id);
    const updated = await markAllNotificationsRead(db, { clientId });
    return c.json({ success: true as const, updated }, 200);
  });

  app.openapi(markReadRoute, async (c) => {
    const { db } = c.get("deps");
    const id = c.req.valid("param").notif_id;
    const found = await markNotificationRead(db, { id, clientId: clientScopeOrAll(c) });
    if (!found) throw new NotFoundError("Notification not found", "notification_not_found");
    return c.json({ success: true as const, id }, 200);
  });

  app.openapi(listRoute, async (c) => {
    const { db } = c.get("deps");
    const q = c.req.valid("query");
    const rows = await listNotifications(db, {
      clientId: notificationScope(c, q.client_id),
      unreadOnly: q.unread_only === "true" || q.unread_only === "1",
      limit: q.limit,
      offset: q.offset,
    });
    return c.json(
      rows.map((n) => ({
        id: n.id,
        message: n.message,
        severity: n.severity,
        isRead: n.isRead,
        time: n.createdAt,
        type: n.type,
        clientId: n.clientId,
        agentId: n.agentId,
      })),
      200,
    );
  });
}
