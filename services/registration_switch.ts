/**
 * The switch half of a registration: a new instance took over an agent, so the command it
 * fulfils completes, a switches row is recorded and the old instance is retired (T-06, T-09).
 * Runs inside the registration transaction with the agent row locked.
 */
import type { Queryable } from "../db/client.ts";
import type { AgentRecord } from "../db/agents.ts";
import { completeCommand, getOpenCommand } from "../db/commands.ts";
import { insertNotification, insertSystemEvent } from "../db/events.ts";
import { retireInstance } from "../db/instances.ts";
import { supersedeOpenSegment } from "../db/segments.ts";
import { recordSwitchFromRegistration } from "../db/switches.ts";
import type { RegistrationCtx } from "./registration.ts";

/** A new instance took over the agent: close the command it fulfils and retire the old one. */
export async function completeSwitch(
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
