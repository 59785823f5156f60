/** System-health reads (CONTRACT E64): schema version, agent and command counts. */
import type { Queryable } from "./client.ts";
import { type Decoded, decoder, num0 } from "./_rows.ts";

const AGENT_LIVENESS = {
  online: num0,
  stale: num0,
  offline: num0,
  disabled: num0,
  other: num0,
  total: num0,
};

/** Agents by liveness: online needs a heartbeat newer than the cutoff, not only the status. */
export type AgentLiveness = Decoded<typeof AGENT_LIVENESS>;

/** Counts non-deleted agents by liveness in one statement. */
export async function agentLiveness(db: Queryable, cutoff: Date): Promise<AgentLiveness> {
  const r = await db.execute(
    `SELECT SUM(status = 'online' AND last_heartbeat_at >= ?) AS online,
       SUM(status = 'online' AND (last_heartbeat_at IS NULL OR last_heartbeat_at < ?)) AS stale,
       SUM(status = 'offline') AS offline, SUM(status = 'disabled') AS disabled,
       SUM(status NOT IN ('online', 'offline', 'disabled')) AS other, COUNT(*) AS total
     FROM agents WHERE status <> 'deleted'`,
    [cutoff, cutoff],
  );
  return decoder(AGENT_LIVENESS)(r.rows[0] ?? {});
}

const COMMAND_COUNTS = { pending: num0, delivered: num0, expired: num0, expiredSince: num0 };

/** Open and expired switch commands. */
export type CommandCounts = Decoded<typeof COMMAND_COUNTS>;

/** Counts pending, delivered and expired commands (and those expired since `since`). */
export async function commandCounts(db: Queryable, since: Date): Promise<CommandCounts> {
  const r = await db.execute(
    `SELECT SUM(status = 'pending') AS pending, SUM(status = 'delivered') AS delivered,
       SUM(status = 'expired') AS expired,
       SUM(status = 'expired' AND COALESCE(completed_at, updated_at) >= ?) AS expired_since
     FROM commands WHERE status IN ('pending', 'delivered', 'expired')`,
    [since],
  );
  return decoder(COMMAND_COUNTS)(r.rows[0] ?? {});
}
