/**
 * Registration (E01): a new logical agent, a re-registration of the current instance, or a new
 * instance taking the agent over (registration_switch.ts). Retired or deleted -> enabled:false.
 *
 * Lock discipline (a boot storm of one client must never deadlock): the lookups run before the
 * transaction without locks; inside it the agent row is locked first and only when it exists
 * (by primary key), a new agent is an idempotent INSERT ... ON DUPLICATE KEY UPDATE keyed by
 * (client, logical id), the instance an upsert keyed by (client, instance id) and the open
 * segment an upsert keyed by uk_segments_one_open. No locking read ever looks for a row that is
 * not there: under REPEATABLE READ such a read takes a gap lock, and concurrent inserts into
 * the same gap then wait for each other (errno 1213) — the cause of issue 12's failures.
 */
import type { AppDeps } from "./types.ts";
import type { Queryable } from "../db/client.ts";
import type { AgentConfigRecord, AgentRecord } from "../db/agents.ts";
import {
  agentName,
  findAgentByLogicalId,
  findAgentForClient,
  findSwitchingAgentsByTarget,
  lockAgentRow,
} from "../db/agents.ts";
import type { AgentRegistrationFields } from "../db/agent_writes.ts";
import {
  insertAgentConfig,
  insertAgentIfAbsent,
  recordStatusChange,
  updateAgentFromRegistration,
} from "../db/agent_writes.ts";
import { insertNotification, insertSystemEvent } from "../db/events.ts";
import type { InstanceRecord } from "../db/instances.ts";
import { findInstance, isRetiredInstance, upsertPrimaryInstance } from "../db/instances.ts";
import { findAgentOfReplicaInstance, onInstanceRegistered } from "../db/replicas.ts";
import { moveSegment } from "../db/segments.ts";
import { NotFound } from "../core/errors.ts";
import { completeSwitch } from "./registration_switch.ts";
/** The register answer (E01; routes/agent/schemas.ts RegisterResponse is its wire schema). */
export interface Answer {
  agent_id: string;
  client_id: string;
  message: string;
  config: {
    enabled: boolean;
    auto_switch_enabled: boolean;
    auto_terminate_enabled: boolean;
    terminate_wait_seconds: number;
    replica_enabled: boolean;
    replica_count: number;
    min_savings_percent: number;
    risk_threshold: number;
    max_switches_per_week: number;
    min_pool_duration_hours: number;
  };
}

const SILENT_CONFIG: Answer["config"] = {
  enabled: false,
  auto_switch_enabled: false,
  auto_terminate_enabled: false,
  terminate_wait_seconds: 0,
  replica_enabled: false,
  replica_count: 0,
  min_savings_percent: 0,
  risk_threshold: 0,
  max_switches_per_week: 0,
  min_pool_duration_hours: 0,
};

/** The register answer's config block of an agent. */
export function registerConfig(a: AgentConfigRecord): Answer["config"] {
  return {
    enabled: a.enabled && a.status !== "deleted",
    auto_switch_enabled: a.autoSwitchEnabled,
    auto_terminate_enabled: a.autoTerminateEnabled,
    terminate_wait_seconds: a.terminateWaitSeconds,
    replica_enabled: a.replicaEnabled,
    replica_count: a.replicaCount,
    min_savings_percent: a.thresholds.minSavingsPercent,
    risk_threshold: a.thresholds.riskThreshold,
    max_switches_per_week: a.thresholds.maxSwitchesPerWeek,
    min_pool_duration_hours: a.thresholds.minPoolDurationHours,
  };
}

/** What a registration needs. */
export interface RegistrationCtx {
  deps: AppDeps;
  clientId: string;
  logical: string;
  fields: AgentRegistrationFields;
  requestId: string;
}

function silent(agentId: string, clientId: string, message: string): Answer {
  return { agent_id: agentId, client_id: clientId, message, config: SILENT_CONFIG };
}

/** Thrown inside the transaction to roll it back and answer `answer` (nothing is written). */
class SilentAnswer extends Error {
  constructor(readonly answer: Answer) {
    super(answer.message);
  }
}

/** What the lock-free lookups before the transaction found. */
interface Plan {
  /** The agent to lock by primary key, if one exists. */
  agentId: string | null;
  /** True when that agent is continued by a new instance under another logical id (T-02). */
  relink: boolean;
}

/**
 * E01: registers an agent: lookups without locks, then one short transaction. The caller has
 * checked that the client account exists and is active (routes/_middleware/auth.ts
 * requireLiveClient); one deleted meanwhile is NotFound, never a crash.
 */
export async function registerAgent(
  deps: AppDeps,
  reg: Omit<RegistrationCtx, "deps">,
): Promise<Answer> {
  const ctx: RegistrationCtx = { ...reg, deps };
  const { clientId } = ctx;
  const seen = await findAgentByLogicalId(deps.db, { clientId, logicalAgentId: ctx.logical });
  const inst = await findInstance(deps.db, clientId, ctx.fields.instanceId);
  const early = quietAnswer(ctx, seen, inst);
  if (early) return early;
  const plan: Plan = { agentId: seen?.id ?? null, relink: false };
  if (!seen && ctx.logical === ctx.fields.instanceId) {
    plan.agentId = await relinkCandidate(deps.db, ctx);
    plan.relink = plan.agentId !== null;
  }
  try {
    return await deps.db.transaction((tx) => registerInTx(tx, ctx, plan));
  } catch (err) {
    if (err instanceof SilentAnswer) return err.answer;
    throw err;
  }
}

/** The enabled:false answer for a retired instance or a deleted agent, else null. */
function quietAnswer(
  ctx: RegistrationCtx,
  agent: AgentRecord | null,
  inst: InstanceRecord | null,
): Answer | null {
  const retiredOwner = inst && isRetiredInstance(inst) ? (inst.agentId ?? agent?.id) : null;
  if (retiredOwner) {
    return silent(retiredOwner, ctx.clientId, "Instance is not primary, registration ignored");
  }
  if (agent?.status === "deleted") {
    return silent(agent.id, ctx.clientId, "Agent was deleted, registration ignored");
  }
  return null;
}

/**
 * The installer default (logical id = instance id): the agent whose delivered command this new
 * instance fulfils, if exactly one matches, or the agent whose emergency replica this is.
 */
async function relinkCandidate(db: Queryable, ctx: RegistrationCtx): Promise<string | null> {
  const ids = await findSwitchingAgentsByTarget(db, { clientId: ctx.clientId, ...ctx.fields });
  if (ids.length === 1) return ids[0];
  return await findAgentOfReplicaInstance(db, {
    clientId: ctx.clientId,
    instanceId: ctx.fields.instanceId,
  });
}

/** Runs the registration inside `tx`; the agent row is the first (and only locking) read. */
async function registerInTx(tx: Queryable, ctx: RegistrationCtx, plan: Plan): Promise<Answer> {
  const { clientId } = ctx;
  let agentId = plan.agentId ? await lockAgentRow(tx, { clientId, agentId: plan.agentId }) : null;
  const relink = plan.relink && agentId !== null;
  let created = false;
  if (!agentId) {
    const id = crypto.randomUUID();
    await insertAgentIfAbsent(tx, {
      id,
      clientId,
      logicalAgentId: ctx.logical,
      fields: ctx.fields,
      now: ctx.deps.clock(),
    });
    // The row exists now (ours, or a concurrent registration's): this locks a record, no gap.
    agentId = await lockAgentRow(tx, { clientId, logicalAgentId: ctx.logical });
    if (!agentId) throw new NotFound("Client account not found", "client_not_found");
    created = agentId === id;
    if (created) await insertAgentConfig(tx, id);
  }
  // The first consistent read comes after the lock, so it sees every registration of this
  // agent that committed before it.
  const agent = await findAgentForClient(tx, { clientId, agentId });
  if (!agent) throw new NotFound("Client account not found", "client_not_found");
  const inst = await findInstance(tx, clientId, ctx.fields.instanceId);
  const quiet = quietAnswer(ctx, agent, inst);
  if (quiet) throw new SilentAnswer(quiet);
  const fields = withKnownFacts(ctx.fields, created ? null : agent, inst);
  const c = { ...ctx, fields };
  if (created) return await registerNew(tx, c, agent.id);

  const switched = agent.instanceId !== null && agent.instanceId !== fields.instanceId;
  if (switched) await completeSwitch(tx, c, agent);
  const status = agent.enabled ? "online" : "disabled";
  await updateAgentFromRegistration(tx, {
    agentId: agent.id,
    fields,
    status,
    switched,
    logicalAgentId: relink ? ctx.logical : undefined,
    now: ctx.deps.clock(),
  });
  await placeInstance(tx, c, agent.id, switched);
  await onInstanceRegistered(tx, {
    clientId,
    agentId: agent.id,
    oldInstanceId: switched ? agent.instanceId : null,
    newInstanceId: fields.instanceId,
    now: ctx.deps.clock(),
  });
  if (agent.status !== status) {
    await recordStatusChange(tx, {
      clientId,
      agentId: agent.id,
      name: fields.hostname ?? agentName(agent),
      instanceId: fields.instanceId,
      from: agent.status,
      to: status,
      reason: "registration",
      requestId: ctx.requestId,
    });
  }
  await registeredEvent(tx, c, agent.id, switched ? "switch" : "reregistration");
  return await answerFor(tx, c, agent.id);
}

/**
 * A registration that leaves a fact out (only `instance_id`, or "unknown") keeps what is known
 * about the same instance: its row, or the agent's row while the agent runs on it.
 */
export function withKnownFacts(
  f: AgentRegistrationFields,
  agent: AgentRecord | null,
  inst: InstanceRecord | null,
): AgentRegistrationFields {
  const a = agent && agent.instanceId === f.instanceId ? agent : null;
  const i = inst;
  const type = f.instanceType ?? a?.instanceType ??
    (i && i.instanceType !== "unknown" ? i.instanceType : null);
  const az = f.az ?? a?.az ?? (i && i.az !== "unknown" ? i.az : null);
  const knownMode = a && a.mode !== "unknown" ? a.mode : i?.mode;
  const mode = f.modeReported === false && knownMode ? knownMode : f.mode;
  const region = f.regionReported === false ? (a?.region ?? i?.region ?? f.region) : f.region;
  return {
    ...f,
    hostname: f.hostname ?? a?.hostname ?? null,
    instanceType: type,
    region,
    az,
    amiId: f.amiId ?? a?.amiId ?? i?.amiId ?? null,
    privateIp: f.privateIp ?? a?.privateIp ?? null,
    publicIp: f.publicIp ?? a?.publicIp ?? null,
    mode,
    poolId: mode === "spot" && type && az ? `${type}.${az}` : null,
    agentVersion: f.agentVersion ?? a?.agentVersion ?? null,
  };
}

async function placeInstance(
  tx: Queryable,
  ctx: RegistrationCtx,
  agentId: string,
  switched: boolean,
) {
  const f = ctx.fields;
  const now = ctx.deps.clock();
  const placement = {
    clientId: ctx.clientId,
    agentId,
    instanceId: f.instanceId,
    instanceType: f.instanceType ?? "unknown",
    region: f.region,
    az: f.az ?? "unknown",
    amiId: f.amiId,
    mode: f.mode,
    poolId: f.poolId,
  };
  await upsertPrimaryInstance(tx, { ...placement, now, lastSwitchAt: switched ? now : null });
  await moveSegment(tx, { ...placement, at: now, reason: "mode_change" });
}

async function registerNew(tx: Queryable, ctx: RegistrationCtx, id: string): Promise<Answer> {
  await placeInstance(tx, ctx, id, false);
  await insertNotification(tx, {
    clientId: ctx.clientId,
    agentId: id,
    type: "agent_registered",
    message: `New agent registered: ${ctx.logical}`,
  });
  await registeredEvent(tx, ctx, id, "new");
  return await answerFor(tx, ctx, id);
}

async function registeredEvent(tx: Queryable, ctx: RegistrationCtx, agentId: string, kind: string) {
  await insertSystemEvent(tx, {
    type: "agent_registered",
    clientId: ctx.clientId,
    agentId,
    instanceId: ctx.fields.instanceId,
    message: `Agent ${ctx.logical} registered (${kind})`,
    metadata: { kind, mode: ctx.fields.mode, pool_id: ctx.fields.poolId },
    requestId: ctx.requestId,
  });
}

async function answerFor(tx: Queryable, ctx: RegistrationCtx, agentId: string): Promise<Answer> {
  const agent = await findAgentForClient(tx, { clientId: ctx.clientId, agentId });
  if (!agent) throw new NotFound("Client account not found", "client_not_found");
  return {
    agent_id: agent.id,
    client_id: ctx.clientId,
    message: "Agent registered",
    config: registerConfig(agent),
  };
}
