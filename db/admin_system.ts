/** System-health reads (CONTRACT E64): schema version, agent and command counts. */
import type { Queryable } from "./client.ts";
import { num } from "./client.ts";

/** Agents by liveness: online needs a heartbeat newer than the cutoff, not only the status. */
export interface AgentLiveness {
  online: number;
  stale: number;
  offline: number;
  disabled: number;
  other: number;
  total: number;
}

/** Counts non-deleted agents by liveness in one statement. */
export async function agentLiveness(db: Queryable, cutoff: Date): Promise<AgentLiveness> {
  const r = await db.execute<Record<string, number | null>>(
    `SELECT SUM(status = 'online' AND last_heartbeat_at >= ?) AS online,
       SUM(status = 'online' AND (last_heartbeat_at IS NULL OR last_heartbeat_at < ?)) AS stale,
       SUM(status = 'offline') AS offline, SUM(status = 'disabled') AS disabled,
       SUM(status NOT IN ('online', 'offline', 'disabled')) AS other, COUNT(*) AS total
     FROM agents WHERE status <> 'deleted'`,
    [cutoff, cutoff],
  );
  const x = r.rows[0] ?? {};
  const n = (k: string) => num(x[k]) ?? 0;
  return {
    online: n("online"),
    stale: n("stale"),
    offline: n("offline"),
    disabled: n("disabled"),
    other: n("other"),
    total: n("total"),
  };
}

/** Open and expired switch commands. */
export interface CommandCounts {
  pending: number;
  delivered: number;
  expired: number;
  expiredSince: number;
}

/** Counts pending, delivered and expired commands (and those expired since `since`). */
export async function commandCounts(db: Queryable, since: Date): Promise<CommandCounts> {
  const r = await db.execute<Record<string, number | null>>(
    `SELECT SUM(status = 'pending') AS pending, SUM(status = 'delivered') AS delivered,
       SUM(status = 'expired') AS expired,
       SUM(status = 'expired' AND COALESCE(completed_at, updated_at) >= ?) AS expired_since
     FROM commands WHERE status IN ('pending', 'delivered', 'expired')`,
    [since],
  );
  const x = r.rows[0] ?? {};
  const n = (k: string) => num(x[k]) ?? 0;
  return {
    pending: n("pending"),
    delivered: n("delivered"),
    expired: n("expired"),
    expiredSince: n("expired_since"),
  };
}
