/**
 * instance_segments: the time each instance spent in one mode and pool, the source of the savings
 * ledger. At most one open segment (ended_at NULL) per instance; superseded_at marks when a
 * replacement took over, so [superseded_at, ended_at) is overlap (pure cost).
 */
import type { Db, Queryable } from "./client.ts";

/** A segment row as the driver returns it. */
export interface SegmentRow {
  id: number;
  client_id: string;
  agent_id: string;
  instance_id: string;
  mode: string;
  pool_id: string | null;
  instance_type: string;
  region: string;
  started_at: string;
  superseded_at: string | null;
  ended_at: string | null;
  end_reason: string | null;
}

function scoped(args: unknown[], clientId: string): unknown[] {
  return [...args, clientId];
}

/** Where and how an instance runs, as far as a segment needs it. */
export interface SegmentPlacement {
  clientId: string;
  agentId: string;
  instanceId: string;
  mode: "spot" | "ondemand";
  poolId: string | null;
  instanceType: string;
  region: string;
}

/**
 * Opens a segment for the instance unless one is already open: uk_segments_one_open (client,
 * open instance id) makes a second open segment a no-op, with no locking read before the insert
 * (a read of a missing row under FOR UPDATE or INSERT ... SELECT takes a gap lock, and concurrent
 * registrations inserting into that gap deadlock).
 */
export async function openSegment(
  tx: Queryable,
  opts: SegmentPlacement & { at: Date },
): Promise<void> {
  await tx.execute(
    "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, pool_id, instance_type, region, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id",
    [
      opts.clientId,
      opts.agentId,
      opts.instanceId,
      opts.mode,
      opts.poolId,
      opts.instanceType,
      opts.region,
      opts.at,
    ],
  );
}

/** Closes the instance's open segment at `at` (never before it started). True when one was open. */
export async function closeOpenSegment(
  tx: Queryable,
  opts: { instanceId: string; at: Date; reason: string; clientId: string },
): Promise<boolean> {
  const r = await tx.execute(
    `UPDATE instance_segments SET ended_at = GREATEST(started_at, ?), superseded_at = IF(superseded_at IS NULL, NULL, LEAST(superseded_at, GREATEST(started_at, ?))), end_reason = ? WHERE instance_id = ? AND ended_at IS NULL AND client_id = ?`,
    scoped([opts.at, opts.at, opts.reason, opts.instanceId], opts.clientId),
  );
  return r.rowsAffected > 0;
}

/** Closes the open segment and opens one in the new mode/pool when either changed. */
export async function moveSegment(
  tx: Queryable,
  opts: SegmentPlacement & { at: Date; reason: string },
): Promise<void> {
  const r = await tx.execute<{ mode: string; pool_id: string | null }>(
    "SELECT mode, pool_id FROM instance_segments WHERE instance_id = ? AND client_id = ? AND ended_at IS NULL",
    [opts.instanceId, opts.clientId],
  );
  const open = r.rows[0];
  if (open && open.mode === opts.mode && (open.pool_id ?? null) === opts.poolId) return;
  if (open) {
    await closeOpenSegment(tx, {
      instanceId: opts.instanceId,
      at: opts.at,
      reason: opts.reason,
      clientId: opts.clientId,
    });
  }
  await openSegment(tx, opts);
}

/** Marks when a replacement took over the instance's open segment (kept if already set). */
export async function supersedeOpenSegment(
  tx: Queryable,
  opts: { instanceId: string; at: Date; clientId: string },
): Promise<void> {
  await tx.execute(
    `UPDATE instance_segments SET superseded_at = GREATEST(started_at, ?) WHERE instance_id = ? AND ended_at IS NULL AND superseded_at IS NULL AND client_id = ?`,
    scoped([opts.at, opts.instanceId], opts.clientId),
  );
}

/**
 * Ends the instance's latest segment at its termination time: the open one, or a segment an
 * offline beat already closed later than that time. Also sets superseded_at if missing.
 */
export async function endSegmentAtTermination(
  tx: Queryable,
  opts: { instanceId: string; terminatedAt: Date; supersededAt: Date; clientId: string },
): Promise<void> {
  await tx.execute(
    `UPDATE instance_segments SET superseded_at = LEAST(COALESCE(superseded_at, ?), GREATEST(started_at, ?)), ended_at = GREATEST(started_at, ?), end_reason = 'terminated' WHERE instance_id = ? AND (ended_at IS NULL OR ended_at > ?) AND client_id = ? ORDER BY started_at DESC LIMIT 1`,
    scoped([
      opts.supersededAt,
      opts.terminatedAt,
      opts.terminatedAt,
      opts.instanceId,
      opts.terminatedAt,
    ], opts.clientId),
  );
}

/**
 * Closes open superseded segments (old instances of a switch) whose instance has not been heard
 * of for `timeoutSeconds`, at the instance's last heartbeat (or the takeover time). Returns the
 * number closed. Called by the expire-commands job.
 */
export async function closeStaleSupersededSegments(
  db: Db,
  opts: { now: Date; timeoutSeconds: number },
): Promise<number> {
  const before = new Date(opts.now.getTime() - opts.timeoutSeconds * 1000);
  const r = await db.execute(
    "UPDATE instance_segments s JOIN instances i ON i.client_id = s.client_id AND i.id = s.instance_id SET s.ended_at = GREATEST(s.started_at, s.superseded_at, COALESCE(i.last_heartbeat_at, s.superseded_at)), s.end_reason = 'stale' WHERE s.ended_at IS NULL AND s.superseded_at IS NOT NULL AND s.superseded_at <= ? AND COALESCE(i.last_heartbeat_at, s.superseded_at) <= ?",
    [before, before],
  );
  return r.rowsAffected;
}
