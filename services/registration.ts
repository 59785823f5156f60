/**
 * The registration transaction (E01): a new logical agent, a re-registration of the current
 * instance, or a new instance taking the agent over (the switch completes: its command, the
 * switches row, the old instance retired, T-06/T-09). Retired, foreign or deleted -> enabled:false.
 */
import type { AppDeps } from "./types.ts";
import type { Queryable } from "../db/client.ts";
import { isDuplicateKey, sqlErrno } from "../db/client.ts";
import type { AgentRecord } from "../db/agents.ts";
import {
  agentName,
  findAgentByLogicalId,
  findAgentForClient,
  findSwitchingAgentsByTarget,
} from "../db/agents.ts";
import type { AgentRegistrationFields } from "../db/agent_writes.ts";
import {
  insertAgent,
  recordStatusChange,
  updateAgentFromRegistration,
} from "../db/agent_writes.ts";
import { completeCommand, getOpenCommand } from "../db/commands.ts";
import { insertNotification, insertSystemEvent } from "../db/events.ts";
import {
  findInstance,
  isRetiredInstance,
  retireInstance,
  upsertPrimaryInstance,
} from "../db/instances.ts";
import { findAgentOfReplicaInstance, onInstanceRegistered } from "../db/replicas.ts";
import { moveSegment, supersedeOpenSegment } from "../db/segments.ts";
import { recordSwitchFromRegistration } from "../db/switches.ts";
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
export function registerConfig(a: AgentRecord): Answer["config"] {
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

/** What the registration transaction needs. */
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

/**
 * E01: registers an agent in one transaction and returns its answer. Two first registrations of
 * one logical agent may race (uk_client_logical) or deadlock: the retry finds the other's row.
 */
export async function registerAgent(
  deps: AppDeps,
  ctx: Omit<RegistrationCtx, "deps">,
): Promise<Answer> {
  const full = { ...ctx, deps };
  try {
    return await deps.db.transaction((tx) => registerInTx(tx, full));
  } catch (err) {
    if (!isDuplicateKey(err) && sqlErrno(err) !== 1213) throw err;
    return await deps.db.transaction((tx) => registerInTx(tx, full));
  }
}

/** Runs one registration inside `tx` and returns the answer for the agent. */
export async function registerInTx(tx: Queryable, ctx: RegistrationCtx): Promise<Answer> {
  const { clientId, fields } = ctx;
  let agent = await findAgentByLogicalId(tx, {
    clientId,
    logicalAgentId: ctx.logical,
    forUpdate: true,
  });
  const inst = await findInstance(tx, fields.instanceId, { forUpdate: true });
  if (inst && inst.clientId !== clientId) {
    await insertSystemEvent(tx, {
      type: "instance_claim_refused",
      severity: "warning",
      clientId,
      instanceId: fields.instanceId,
      message:
        `Instance ${fields.instanceId} belongs to another client; registration answered disabled`,
      requestId: ctx.requestId,
    });
    return silent(
      agent?.id ?? crypto.randomUUID(),
      clientId,
      "Instance belongs to another account",
    );
  }
  const retiredOwner = inst && isRetiredInstance(inst) ? (inst.agentId ?? agent?.id) : null;
  if (retiredOwner) {
    return silent(retiredOwner, clientId, "Instance is not primary, registration ignored");
  }
  if (agent?.status === "deleted") {
    return silent(agent.id, clientId, "Agent was deleted, registration ignored");
  }
  let relink = false;
  if (!agent && ctx.logical === fields.instanceId) {
    // The installer default (logical id = instance id): continue the agent whose delivered
    // command this new instance fulfils, if exactly one matches (T-02).
    const ids = await findSwitchingAgentsByTarget(tx, { clientId, ...fields });
    // An emergency replica reported by an agent continues that agent the same way.
    const replicaOf = ids.length === 1
      ? ids[0]
      : await findAgentOfReplicaInstance(tx, { clientId, instanceId: fields.instanceId });
    if (replicaOf) {
      agent = await findAgentForClient(tx, { clientId, agentId: replicaOf, forUpdate: true });
      relink = agent !== null;
    }
  }
  if (!agent) return await registerNew(tx, ctx);
  const switched = agent.instanceId !== null && agent.instanceId !== fields.instanceId;
  if (switched) await completeSwitch(tx, ctx, agent);
  const status = agent.enabled ? "online" : "disabled";
  await updateAgentFromRegistration(tx, {
    agentId: agent.id,
    fields,
    status,
    switched,
    logicalAgentId: relink ? ctx.logical : undefined,
    now: ctx.deps.clock(),
  });
  await placeInstance(tx, ctx, agent.id, switched);
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
  await registeredEvent(tx, ctx, agent.id, switched ? "switch" : "reregistration");
  return await answerFor(tx, ctx, agent.id);
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

async function registerNew(tx: Queryable, ctx: RegistrationCtx): Promise<Answer> {
  const id = crypto.randomUUID();
  const now = ctx.deps.clock();
  await insertAgent(tx, {
    id,
    clientId: ctx.clientId,
    logicalAgentId: ctx.logical,
    fields: ctx.fields,
    now,
  });
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

/** A new instance took over the agent: close the command it fulfils and retire the old one. */
async function completeSwitch(
  tx: Queryable,
  ctx: RegistrationCtx,
  agent: AgentRecord,
): Promise<void> {
  const f = ctx.fields;
  const now = ctx.deps.clock();
  const oldId = agent.instanceId!;
  const cmd = await getOpenCommand(tx, agent.id, { forUpdate: true });
  const fulfils = cmd !== null && cmd.status === "delivered" && cmd.targetMode === f.mode &&
    (f.mode !== "spot" || cmd.targetPoolId === f.poolId);
  if (fulfils) {
    await completeCommand(tx, {
      commandId: cmd.id,
      agentId: agent.id,
      success: true,
      message: `Completed: instance ${f.instanceId} registered in ${f.mode}${
        f.poolId ? ` pool ${f.poolId}` : ""
      }`,
      source: "registration",
      now,
    });
  }
  const created = await recordSwitchFromRegistration(tx, {
    clientId: ctx.clientId,
    agentId: agent.id,
    commandId: fulfils ? cmd.id : null,
    old: {
      instanceId: oldId,
      instanceType: agent.instanceType,
      region: agent.region,
      az: agent.az,
      mode: agent.mode,
      poolId: agent.poolId,
      amiId: agent.amiId,
    },
    new: { ...f, instanceId: f.instanceId },
    initiatedAt: fulfils && cmd.deliveredAt ? new Date(cmd.deliveredAt) : now,
    triggerType: fulfils ? cmd.triggerType ?? (cmd.priority >= 50 ? "manual" : "model") : null,
    readyAt: now,
  });
  await retireInstance(tx, {
    clientId: ctx.clientId,
    instanceId: oldId,
    terminatedAt: null,
    lastHeartbeatAt: agent.lastHeartbeatAt ? new Date(agent.lastHeartbeatAt) : null,
  });
  await supersedeOpenSegment(tx, { instanceId: oldId, at: now, clientId: ctx.clientId });
  const where = f.poolId ? `${f.mode} in ${f.poolId}` : f.mode;
  await insertSystemEvent(tx, {
    type: "switch_detected",
    clientId: ctx.clientId,
    agentId: agent.id,
    instanceId: f.instanceId,
    message: `Instance ${f.instanceId} took over from ${oldId} (${where})`,
    metadata: { old_instance_id: oldId, command_id: fulfils ? cmd.id : null },
    requestId: ctx.requestId,
  });
  if (created) {
    // One notification per switch: the registration usually comes first; a switch report that
    // arrives later enriches the same row without notifying again.
    await insertNotification(tx, {
      clientId: ctx.clientId,
      agentId: agent.id,
      type: "switch",
      message: `Instance switched: ${f.instanceId} - now ${where}`,
    });
  }
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
  if (!agent) throw new Error(`agent ${agentId} vanished during registration`);
  return {
    agent_id: agent.id,
    client_id: ctx.clientId,
    message: "Agent registered",
    config: registerConfig(agent),
  };
}
