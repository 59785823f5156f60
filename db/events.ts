/** System events (operator log) and notifications (tenant-facing). */
import type { Queryable } from "./client.ts";

/** One system event to record. */
export interface SystemEventInput {
  type: string;
  severity?: "info" | "warning" | "error" | "critical";
  clientId?: string | null;
  agentId?: string | null;
  instanceId?: string | null;
  message: string;
  metadata?: Record<string, unknown> | null;
  requestId?: string | null;
}

/** Records system events in one multi-row INSERT. */
export async function insertSystemEvents(db: Queryable, events: SystemEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(() => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
  const args = events.flatMap((e) => [
    e.type,
    e.severity ?? "info",
    e.clientId ?? null,
    e.agentId ?? null,
    e.instanceId ?? null,
    e.message,
    e.metadata ? JSON.stringify(e.metadata) : null,
    e.requestId ?? null,
  ]);
  await db.execute(
    `INSERT INTO system_events (event_type, severity, client_id, agent_id, instance_id, message, metadata, request_id) VALUES ${rows}`,
    args,
  );
}

/** Records one system event. */
export async function insertSystemEvent(db: Queryable, event: SystemEventInput): Promise<void> {
  await insertSystemEvents(db, [event]);
}

/** One notification to create for a tenant. */
export interface NotificationInput {
  clientId: string;
  agentId?: string | null;
  type?: string | null;
  message: string;
  severity?: "info" | "warning" | "error" | "critical";
}

/** Creates notifications in one multi-row INSERT. */
export async function insertNotifications(
  db: Queryable,
  items: NotificationInput[],
): Promise<void> {
  if (items.length === 0) return;
  const rows = items.map(() => "(?, ?, ?, ?, ?, ?)").join(", ");
  const args = items.flatMap((n) => [
    crypto.randomUUID(),
    n.clientId,
    n.agentId ?? null,
    n.type ?? null,
    n.message,
    n.severity ?? "info",
  ]);
  await db.execute(
    `INSERT INTO notifications (id, client_id, agent_id, notification_type, message, severity) VALUES ${rows}`,
    args,
  );
}

/** Creates one notification. */
export async function insertNotification(db: Queryable, item: NotificationInput): Promise<void> {
  await insertNotifications(db, [item]);
}
