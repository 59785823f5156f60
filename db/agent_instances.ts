/**
 * The legacy instance endpoints of an agent: which instances it may terminate (E21), what it
 * reports about a termination (E22) and instances it registers itself (E23). Always scoped by
 * the agent's client (the predecessor was not: bugs B-05, B-06).
 */
import type { Db, Queryable } from "./client.ts";
import { bool } from "./client.ts";
import { insertSystemEvent } from "./events.ts";
import type { InstancePlacement } from "./instances.ts";
import { upsertPrimaryInstance } from "./instances.ts";
import { endSegmentAtTermination, moveSegment, supersedeOpenSegment } from "./segments.ts";

/** Real EC2 instance ids only (placeholders such as `manual-xxxx` are never handed out). */
export const EC2_INSTANCE_ID = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/** An instance an agent may terminate. */
export interface TerminationCandidate {
  instanceId: string;
  instanceType: string | null;
  az: string | null;
  reason: "zombie_timeout" | "replica_terminated";
  seconds: number;
}

const RETRY_AFTER_ATTEMPT_MS = 5 * 60 * 1000;

/**
 * E21: the client's zombie (non-primary) instances in the agent's region idle for longer than
 * `waitSeconds`, and this agent's terminated replicas, none attempted in the last 5 minutes and
 * none confirmed terminated.
 */
export async function listTerminationCandidates(
  db: Queryable,
  opts: {
    clientId: string;
    agentId: string;
    region: string | null;
    waitSeconds: number;
    now: Date;
  },
): Promise<TerminationCandidate[]> {
  const idleBefore = new Date(opts.now.getTime() - opts.waitSeconds * 1000);
  const attemptBefore = new Date(opts.now.getTime() - RETRY_AFTER_ATTEMPT_MS);
  const r = await db.execute<{
    instance_id: string;
    instance_type: string | null;
    az: string | null;
    reason: "zombie_timeout" | "replica_terminated";
    since: string;
  }>(
    "SELECT id AS instance_id, instance_type, az, 'zombie_timeout' AS reason, updated_at AS since FROM instances " +
      "WHERE client_id = ? AND (? IS NULL OR region = ?) AND instance_status = 'zombie' AND is_primary = 0 AND termination_confirmed = 0 AND id LIKE 'i-%' AND updated_at < ? AND (termination_attempted_at IS NULL OR termination_attempted_at < ?) " +
      "UNION ALL SELECT instance_id, instance_type, az, 'replica_terminated', COALESCE(terminated_at, updated_at) FROM replica_instances " +
      "WHERE agent_id = ? AND client_id = ? AND status = 'terminated' AND termination_confirmed = 0 AND instance_id LIKE 'i-%' AND (termination_attempted_at IS NULL OR termination_attempted_at < ?) " +
      "LIMIT 500",
    [
      opts.clientId,
      opts.region,
      opts.region,
      idleBefore,
      attemptBefore,
      opts.agentId,
      opts.clientId,
      attemptBefore,
    ],
  );
  const seen = new Set<string>();
  const out: TerminationCandidate[] = [];
  for (const row of r.rows) {
    if (!EC2_INSTANCE_ID.test(row.instance_id) || seen.has(row.instance_id)) continue;
    seen.add(row.instance_id);
    out.push({
      instanceId: row.instance_id,
      instanceType: row.instance_type,
      az: row.az,
      reason: row.reason,
      seconds: Math.max(0, Math.floor((opts.now.getTime() - Date.parse(row.since)) / 1000)),
    });
  }
  return out;
}

/** What E22 found and changed. */
export interface TerminationReportOutcome {
  /** False: the instance id is neither an instance nor a replica of this client. */
  found: boolean;
  instances: number;
  replicas: number;
}

/**
 * E22: records the outcome of a termination the agent attempted, on the client's instance row
 * and on replica rows with that instance id, plus a system event, in one transaction.
 */
export async function recordTerminationReport(
  db: Db,
  opts: {
    clientId: string;
    agentId: string;
    instanceId: string;
    success: boolean;
    error: string | null;
    terminatedAt: Date;
    now: Date;
    requestId?: string;
  },
): Promise<TerminationReportOutcome> {
  return await db.transaction(async (tx) => {
    const known = await tx.execute<{ kind: string; confirmed: number }>(
      "SELECT 'instance' AS kind, termination_confirmed AS confirmed FROM instances WHERE id = ? AND client_id = ? UNION ALL SELECT 'replica', termination_confirmed FROM replica_instances WHERE instance_id = ? AND client_id = ?",
      [opts.instanceId, opts.clientId, opts.instanceId, opts.clientId],
    );
    if (known.rows.length === 0) return { found: false, instances: 0, replicas: 0 };
    const instances = known.rows.filter((r) => r.kind === "instance").length;
    const replicas = known.rows.length - instances;
    const alreadyConfirmed = known.rows.every((r) => bool(r.confirmed));
    if (opts.success) {
      if (instances > 0) {
        await tx.execute(
          "UPDATE instances SET instance_status = 'terminated', is_active = 0, is_primary = 0, terminated_at = COALESCE(terminated_at, ?), termination_attempted_at = ?, termination_confirmed = 1 WHERE id = ? AND client_id = ?",
          [opts.terminatedAt, opts.now, opts.instanceId, opts.clientId],
        );
        await endSegmentAtTermination(tx, {
          instanceId: opts.instanceId,
          terminatedAt: opts.terminatedAt,
          supersededAt: opts.terminatedAt,
          clientId: opts.clientId,
        });
      }
      if (replicas > 0) {
        await tx.execute(
          "UPDATE replica_instances SET status = 'terminated', is_active = 0, terminated_at = COALESCE(terminated_at, ?), termination_attempted_at = ?, termination_confirmed = 1 WHERE instance_id = ? AND client_id = ?",
          [opts.terminatedAt, opts.now, opts.instanceId, opts.clientId],
        );
      }
    } else {
      await tx.execute(
        "UPDATE instances SET termination_attempted_at = ? WHERE id = ? AND client_id = ?",
        [opts.now, opts.instanceId, opts.clientId],
      );
      await tx.execute(
        "UPDATE replica_instances SET termination_attempted_at = ? WHERE instance_id = ? AND client_id = ?",
        [opts.now, opts.instanceId, opts.clientId],
      );
    }
    // A retried success report changes nothing and needs no second event.
    if (!(opts.success && alreadyConfirmed)) {
      await insertSystemEvent(tx, {
        type: opts.success ? "instance_terminated" : "instance_termination_failed",
        severity: opts.success ? "info" : "warning",
        clientId: opts.clientId,
        agentId: opts.agentId,
        instanceId: opts.instanceId,
        message: opts.success
          ? `Instance ${opts.instanceId} terminated by its agent`
          : `Termination of ${opts.instanceId} failed: ${opts.error ?? "unknown error"}`,
        metadata: { error: opts.error, instances, replicas },
        requestId: opts.requestId ?? null,
      });
    }
    return { found: true, instances, replicas };
  });
}

/** What E23 registers. */
export interface InstanceRegistration extends InstancePlacement {
  isPrimary: boolean;
  spotPrice: number | null;
  ondemandPrice: number | null;
  now: Date;
  requestId?: string;
}

/**
 * E23 in one transaction: a primary demotes the agent's other primaries (running ones become
 * zombies), becomes the agent's instance and opens its savings segment; a non-primary is stored
 * as a running replica. Instance ids live in the client's namespace, so another client's
 * instance with the same id is never touched.
 */
export async function registerAgentInstance(db: Db, reg: InstanceRegistration): Promise<void> {
  await db.transaction(async (tx) => {
    const owner = await tx.execute<{
      client_id: string;
      agent_id: string | null;
      is_primary: number;
      instance_status: string;
      current_mode: string;
      current_pool_id: string | null;
    }>(
      "SELECT client_id, agent_id, is_primary, instance_status, current_mode, current_pool_id FROM instances WHERE client_id = ? AND id = ?",
      [reg.clientId, reg.instanceId],
    );
    const before = owner.rows[0];
    // A repeated registration rewrites the same values and needs no second event.
    const unchanged = before !== undefined && before.agent_id === reg.agentId &&
      bool(before.is_primary) === reg.isPrimary && before.current_mode === reg.mode &&
      (before.current_pool_id ?? null) === reg.poolId &&
      before.instance_status === (reg.isPrimary ? "running_primary" : "running_replica");
    if (reg.isPrimary) {
      const previous = await tx.execute<{ id: string }>(
        "SELECT id FROM instances WHERE agent_id = ? AND client_id = ? AND is_primary = 1 AND id <> ? FOR UPDATE",
        [reg.agentId, reg.clientId, reg.instanceId],
      );
      for (const p of previous.rows) {
        await supersedeOpenSegment(tx, { instanceId: p.id, at: reg.now, clientId: reg.clientId });
      }
      if (previous.rows.length > 0) {
        await tx.execute(
          "UPDATE instances SET is_primary = 0, instance_status = IF(instance_status = 'running_primary', 'zombie', instance_status) WHERE id IN (?) AND client_id = ?",
          [previous.rows.map((p) => p.id), reg.clientId],
        );
      }
      await upsertPrimaryInstance(tx, { ...reg, now: reg.now });
      await moveSegment(tx, { ...reg, at: reg.now, reason: "registered" });
      await tx.execute(
        "UPDATE agents SET pool_since = IF(current_pool_id <=> ? AND current_mode = ?, pool_since, ?), instance_id = ?, instance_type = ?, current_mode = ?, current_pool_id = ?, az = ?, region = ? WHERE id = ? AND client_id = ?",
        [
          reg.poolId,
          reg.mode,
          reg.now,
          reg.instanceId,
          reg.instanceType,
          reg.mode,
          reg.poolId,
          reg.az,
          reg.region,
          reg.agentId,
          reg.clientId,
        ],
      );
    } else {
      await tx.execute(
        "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, ami_id, current_mode, current_pool_id, spot_price, ondemand_price, baseline_ondemand_price, is_active, instance_status, is_primary, installed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'running_replica', 0, ?) " +
          "ON DUPLICATE KEY UPDATE agent_id = VALUES(agent_id), instance_type = VALUES(instance_type), region = VALUES(region), az = VALUES(az), ami_id = COALESCE(VALUES(ami_id), ami_id), current_mode = VALUES(current_mode), current_pool_id = VALUES(current_pool_id), spot_price = COALESCE(VALUES(spot_price), spot_price), ondemand_price = COALESCE(VALUES(ondemand_price), ondemand_price), is_active = 1, instance_status = IF(instance_status = 'terminated', instance_status, 'running_replica'), is_primary = 0",
        [
          reg.instanceId,
          reg.clientId,
          reg.agentId,
          reg.instanceType,
          reg.region,
          reg.az,
          reg.amiId,
          reg.mode,
          reg.poolId,
          reg.spotPrice,
          reg.ondemandPrice,
          reg.ondemandPrice,
          reg.now,
        ],
      );
    }
    if (unchanged) return;
    await insertSystemEvent(tx, {
      type: "instance_registered",
      clientId: reg.clientId,
      agentId: reg.agentId,
      instanceId: reg.instanceId,
      message: `Instance ${reg.instanceId} registered as ${reg.isPrimary ? "primary" : "replica"}`,
      metadata: {
        mode: reg.mode,
        pool_id: reg.poolId,
        instance_type: reg.instanceType,
        az: reg.az,
      },
      requestId: reg.requestId ?? null,
    });
  });
}
