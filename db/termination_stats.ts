/**
 * The end of the notice-to-ready timeline: closing emergency-replica requests that were never
 * fulfilled, and the per-notice timelines and counts behind GET /api/admin/interruptions/stats.
 */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;

/**
 * Fails emergency-replica requests whose replica never registered (requested before `before`):
 * the notice ended without a replica, reason never_registered. Returns the number closed.
 */
export async function closeUnfulfilledRequests(
  db: Queryable,
  opts: { before: Date; now: Date },
): Promise<number> {
  const r = await db.execute(
    "UPDATE termination_events SET status = 'failed', no_replica_reason = 'never_registered', action_taken = 'replica_never_registered', updated_at = ? WHERE event_type = 'termination_notice' AND status = 'handling' AND replica_requested_at IS NOT NULL AND replica_requested_at < ? AND replica_registered_at IS NULL AND emergency_replica_id IS NULL",
    [opts.now, opts.before],
  );
  return r.rowsAffected;
}

/** One notice's timeline (seconds are null where the step never happened). */
export interface NoticeTimeline {
  status: string;
  replicaRequested: boolean;
  registered: boolean;
  toReadySeconds: number | null;
  toPromotedSeconds: number | null;
  noReplicaReason: string | null;
}

/** The termination notices detected in [from, to), optionally of one client. */
export async function listNoticeTimelines(
  db: Queryable,
  opts: { from: Date; to: Date; clientId: string | null },
): Promise<NoticeTimeline[]> {
  const r = await db.execute<Row>(
    `SELECT status, detected_at, replica_requested_at, replica_registered_at, replica_ready_at, promoted_at, no_replica_reason FROM termination_events WHERE event_type = 'termination_notice' AND detected_at >= ? AND detected_at < ?${
      opts.clientId ? " AND client_id = ?" : ""
    } ORDER BY detected_at LIMIT 100000`,
    opts.clientId ? [opts.from, opts.to, opts.clientId] : [opts.from, opts.to],
  );
  const secs = (from: string, to: string | null) =>
    to === null ? null : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  return r.rows.map((row) => ({
    status: row.status,
    replicaRequested: row.replica_requested_at !== null,
    registered: row.replica_registered_at !== null,
    toReadySeconds: secs(row.detected_at, row.replica_ready_at),
    toPromotedSeconds: secs(row.detected_at, row.promoted_at),
    noReplicaReason: row.no_replica_reason,
  }));
}

/** Rebalance windows recorded in [from, to), optionally of one client. */
export async function countRebalanceWindows(
  db: Queryable,
  opts: { from: Date; to: Date; clientId: string | null },
): Promise<number> {
  const r = await db.execute<{ n: number }>(
    `SELECT COUNT(*) AS n FROM termination_events WHERE event_type = 'rebalance_recommendation' AND detected_at >= ? AND detected_at < ?${
      opts.clientId ? " AND client_id = ?" : ""
    }`,
    opts.clientId ? [opts.from, opts.to, opts.clientId] : [opts.from, opts.to],
  );
  return num(r.rows[0]?.n) ?? 0;
}
