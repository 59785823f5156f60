/**
 * Cleanup reports of agents (the seed's cleanup_logs): one row per report, keyed by the report's
 * timestamp so a retried report is stored once, with the agent's last_cleanup_at and the system
 * events written in the same transaction.
 */
import type { Db } from "./client.ts";
import { insertSystemEvents } from "./events.ts";
import type { SystemEventInput } from "./events.ts";

/** One cleanup report, already validated and counted by the route. */
export interface CleanupLogInput {
  agentId: string;
  clientId: string;
  cleanupType: "snapshots" | "amis" | "full";
  deletedSnapshots: number;
  deletedAmis: number;
  failed: number;
  /** The whole request body. */
  details: unknown;
  cutoffDate: Date | null;
  executedAt: Date;
  /** Idempotency key: the report's own timestamp. */
  reportKey: string;
  cleanupDisabled: boolean;
  policyViolation: boolean;
  /** Events to record with the row (not again for a retried report). */
  events: SystemEventInput[];
  now: Date;
}

/**
 * Records the report, sets agents.last_cleanup_at and writes the events, all in one transaction.
 * Returns false when the same report (agent + timestamp) was already recorded: nothing changes.
 */
export async function recordCleanupReport(db: Db, input: CleanupLogInput): Promise<boolean> {
  return await db.transaction(async (tx) => {
    const r = await tx.execute(
      "INSERT IGNORE INTO cleanup_logs (agent_id, client_id, cleanup_type, deleted_snapshots_count, deleted_amis_count, failed_count, details, cutoff_date, executed_at, report_key, cleanup_disabled, policy_violation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [
        input.agentId,
        input.clientId,
        input.cleanupType,
        input.deletedSnapshots,
        input.deletedAmis,
        input.failed,
        JSON.stringify(input.details),
        input.cutoffDate,
        input.executedAt,
        input.reportKey,
        input.cleanupDisabled ? 1 : 0,
        input.policyViolation ? 1 : 0,
      ],
    );
    if (r.rowsAffected === 0) return false;
    await tx.execute(
      "UPDATE agents SET last_cleanup_at = ? WHERE id = ? AND client_id = ?",
      [input.now, input.agentId, input.clientId],
    );
    await insertSystemEvents(tx, input.events);
    return true;
  });
}
