/** Notifications of the dashboards: list, mark one read, mark all read — always tenant-scoped. */
import type { Queryable } from "./client.ts";
import { bool } from "./client.ts";

/** One notification. */
export interface NotificationItem {
  id: string;
  clientId: string;
  agentId: string | null;
  type: string | null;
  message: string;
  severity: string;
  isRead: boolean;
  createdAt: string;
}

/** A page of notifications newest first: one client's, or every client's when `clientId` is null. */
export async function listNotifications(
  db: Queryable,
  opts: { clientId: string | null; unreadOnly: boolean; limit: number; offset: number },
): Promise<NotificationItem[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (opts.clientId !== null) {
    where.push("client_id = ?");
    args.push(opts.clientId);
  }
  if (opts.unreadOnly) where.push("is_read = 0");
  const r = await db.execute<{
    id: string;
    client_id: string;
    agent_id: string | null;
    notification_type: string | null;
    message: string;
    severity: string;
    is_read: number;
    created_at: string;
  }>(
    `SELECT id, client_id, agent_id, notification_type, message, severity, is_read, created_at
     FROM notifications ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
    [...args, opts.limit, opts.offset],
  );
  return r.rows.map((n) => ({
    id: n.id,
    clientId: n.client_id,
    agentId: n.agent_id,
    type: n.notification_type,
    message: n.message,
    severity: n.severity,
    isRead: bool(n.is_read),
    createdAt: n.created_at,
  }));
}

/** Marks one notification read; false when it does not exist or belongs to another client. */
export async function markNotificationRead(
  db: Queryable,
  opts: { id: string; clientId: string | null },
): Promise<boolean> {
  // rowsAffected counts matched rows (CLIENT_FOUND_ROWS), so an already read one is still found.
  const r = await db.execute(
    "UPDATE notifications SET is_read = 1 WHERE id = ? AND (? IS NULL OR client_id = ?)",
    [opts.id, opts.clientId, opts.clientId],
  );
  return r.rowsAffected > 0;
}

/** Marks every unread notification of one client (or of all clients when null) read. */
export async function markAllNotificationsRead(
  db: Queryable,
  opts: { clientId: string | null },
): Promise<number> {
  const r = await db.execute(
    `UPDATE notifications SET is_read = 1 WHERE is_read = 0${
      opts.clientId !== null ? " AND client_id = ?" : ""
    }`,
    opts.clientId !== null ? [opts.clientId] : [],
  );
  return r.rowsAffected;
}
