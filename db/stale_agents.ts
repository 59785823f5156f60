/**
 * Agents whose heartbeats stopped: the read-time "online" rule and the offline transition.
 *
 * Online is derived at read time (status `online` AND a heartbeat within AGENT_HEARTBEAT_TIMEOUT),
 * so what a dashboard shows is never staler than the timeout, whatever the job interval. The job
 * only records the transition: status `offline`, one event, one notification, the open segment
 * closed at the last heartbeat.
 *
 * No double notification: a plain read picks a batch of candidate ids; then one transaction locks
 * those rows by primary key while re-checking the predicate (`SELECT … WHERE id IN (…) AND <stale>
 * FOR UPDATE`: a locking read sees the latest committed version), updates exactly the rows it
 * locked with the same predicate, closes their segments and writes one event and one notification
 * per row. A concurrent run blocks on the locked rows and then finds them `offline`, so it skips
 * them; a heartbeat (which locks its agent row too) either commits first, and the agent is no
 * longer a candidate, or waits for the commit and then brings the agent back online. Locking by
 * primary key keeps the lock set to the candidates (a locking range scan would lock every agent
 * row it passes under REPEATABLE READ and stall their heartbeats).
 * @module
 */
import type { Db, Queryable } from "./client.ts";
import { insertNotifications, insertSystemEvents } from "./events.ts";

/** Statuses that never age out: already offline, or soft-deleted. */
const FINAL_STATUSES = ["offline", "deleted"];
const ALIAS_RE = /^[a-z_][a-z0-9_]*$/i;

/** The instant before which a heartbeat counts as missing. */
export function heartbeatCutoff(now: Date, timeoutSeconds: number): Date {
  return new Date(now.getTime() - timeoutSeconds * 1000);
}

/** True when an agent counts as online at `now`: status online and a heartbeat within the timeout. */
export function isAgentOnline(
  agent: { status: string; lastHeartbeatAt: string | Date | null },
  opts: { now: Date; timeoutSeconds: number },
): boolean {
  if (agent.status !== "online" || agent.lastHeartbeatAt === null) return false;
  const t = new Date(agent.lastHeartbeatAt).getTime();
  return t >= heartbeatCutoff(opts.now, opts.timeoutSeconds).getTime();
}

/**
 * The SQL predicate "online at `now`" for the agents table under `alias` (a code constant), with its
 * argument: `WHERE ${p.sql}` / `SUM(CASE WHEN ${p.sql} THEN 1 ELSE 0 END)` with `...p.args`.
 */
export function onlineAgentPredicate(
  alias: string,
  opts: { now: Date; timeoutSeconds: number },
): { sql: string; args: unknown[] } {
  if (!ALIAS_RE.test(alias)) throw new Error(`invalid table alias "${alias}"`);
  return {
    sql: `(${alias}.status = 'online' AND ${alias}.last_heartbeat_at >= ?)`,
    args: [heartbeatCutoff(opts.now, opts.timeoutSeconds)],
  };
}

// Not offline/deleted (so `disabled` agents age out too, B-24), not soft-deleted, and silent since
// before the cutoff; an agent that never sent a heartbeat ages from its creation.
const STALE_PREDICATE =
  "status NOT IN (?) AND deleted_at IS NULL AND COALESCE(last_heartbeat_at, created_at) < ?";

/** An agent moved to offline by the stale check. */
export interface StaleAgentTransition {
  agentId: string;
  clientId: string;
  instanceId: string | null;
  hostname: string | null;
  logicalAgentId: string;
  previousStatus: string;
  lastHeartbeatAt: string | null;
}

interface CandidateRow {
  id: string;
  client_id: string;
  instance_id: string | null;
  hostname: string | null;
  logical_agent_id: string;
  status: string;
  last_heartbeat_at: string | null;
}

function toTransition(r: CandidateRow): StaleAgentTransition {
  return {
    agentId: r.id,
    clientId: r.client_id,
    instanceId: r.instance_id,
    hostname: r.hostname,
    logicalAgentId: r.logical_agent_id,
    previousStatus: r.status,
    lastHeartbeatAt: r.last_heartbeat_at,
  };
}

/**
 * Marks one batch of silent agents offline with their events. Returns how many candidates the
 * batch looked at and the transitions it made (fewer when a concurrent run took some).
 */
export async function markStaleBatch(
  db: Db,
  opts: { now: Date; timeoutSeconds: number; batchSize: number },
): Promise<{ candidates: number; transitions: StaleAgentTransition[] }> {
  const cutoff = heartbeatCutoff(opts.now, opts.timeoutSeconds);
  const picked = await db.execute<{ id: string }>(
    `SELECT id FROM agents WHERE ${STALE_PREDICATE} ORDER BY id LIMIT ?`,
    [FINAL_STATUSES, cutoff, opts.batchSize],
  );
  if (picked.rows.length === 0) return { candidates: 0, transitions: [] };
  const transitions = await db.transaction(async (tx) => {
    const found = await tx.execute<CandidateRow>(
      `SELECT id, client_id, instance_id, hostname, logical_agent_id, status, last_heartbeat_at FROM agents WHERE id IN (?) AND ${STALE_PREDICATE} ORDER BY id FOR UPDATE`,
      [picked.rows.map((r) => r.id), FINAL_STATUSES, cutoff],
    );
    if (found.rows.length === 0) return [];
    const ids = found.rows.map((r) => r.id);
    await tx.execute(
      `UPDATE agents SET status = 'offline' WHERE id IN (?) AND ${STALE_PREDICATE}`,
      [ids, FINAL_STATUSES, cutoff],
    );
    await closeOpenSegmentsAtLastHeartbeat(tx, ids);
    const made = found.rows.map(toTransition);
    await insertSystemEvents(
      tx,
      made.map((t) => ({
        type: "agent_offline",
        severity: "warning",
        clientId: t.clientId,
        agentId: t.agentId,
        instanceId: t.instanceId,
        message: `Agent ${t.agentId} marked offline: no heartbeat for ${opts.timeoutSeconds} s`,
        metadata: {
          previousStatus: t.previousStatus,
          lastHeartbeatAt: t.lastHeartbeatAt,
          timeoutSeconds: opts.timeoutSeconds,
        },
      })),
    );
    await insertNotifications(
      tx,
      made.map((t) => ({
        clientId: t.clientId,
        agentId: t.agentId,
        type: "agent_offline",
        severity: "warning",
        message: `Agent ${t.hostname ?? t.logicalAgentId} went offline (no heartbeat for ${
          Math.round(opts.timeoutSeconds / 60)
        } min)`,
      })),
    );
    return made;
  });
  return { candidates: picked.rows.length, transitions };
}

/**
 * Closes the open segments of the agents' current instances at each agent's last heartbeat
 * (never before the segment started): the instance is not known to have run after it.
 */
export async function closeOpenSegmentsAtLastHeartbeat(
  db: Queryable,
  agentIds: string[],
): Promise<number> {
  if (agentIds.length === 0) return 0;
  const r = await db.execute(
    "UPDATE instance_segments s JOIN agents a ON a.id = s.agent_id SET s.superseded_at = IF(s.superseded_at IS NULL, NULL, LEAST(s.superseded_at, GREATEST(s.started_at, COALESCE(a.last_heartbeat_at, s.started_at)))), s.ended_at = GREATEST(s.started_at, COALESCE(a.last_heartbeat_at, s.started_at)), s.end_reason = 'offline' WHERE s.agent_id IN (?) AND s.instance_id = a.instance_id AND s.ended_at IS NULL",
    [agentIds],
  );
  return r.rowsAffected;
}

/** Marks every silent agent offline, batch after batch; returns all transitions made. */
export async function markStaleAgentsOffline(
  db: Db,
  opts: { now: Date; timeoutSeconds: number; batchSize?: number },
): Promise<StaleAgentTransition[]> {
  const batchSize = opts.batchSize ?? 500;
  const all: StaleAgentTransition[] = [];
  for (;;) {
    const batch = await markStaleBatch(db, { ...opts, batchSize });
    all.push(...batch.transitions);
    if (batch.candidates < batchSize) return all;
  }
}
