/**
 * E07 switch report (T-03): one transaction merges the agent's report into the switch row the
 * registration may have written, closes the agent's in-flight command and moves the instance
 * records; a retry changes nothing.
 */
import { NotFound } from "../core/errors.ts";
import type { Queryable } from "../db/client.ts";
import { findAgentForClient } from "../db/agents.ts";
import { moveAgentToInstance } from "../db/agent_writes.ts";
import { completeCommand, findCommandForAgent, getOpenCommand } from "../db/commands.ts";
import { insertNotification, insertSystemEvent } from "../db/events.ts";
import { retireInstance, upsertPrimaryInstance } from "../db/instances.ts";
import { endSegmentAtTermination, moveSegment, supersedeOpenSegment } from "../db/segments.ts";
import type { SwitchReportData } from "../db/switches.ts";
import { applySwitchReport } from "../db/switches.ts";
import type { AppDeps } from "./types.ts";

/** What one switch report needs. */
export interface SwitchReportInput {
  clientId: string;
  agentId: string;
  report: SwitchReportData;
  requestId: string;
}

/** Records a normalised switch report in one transaction (NotFound when refused). */
export async function recordSwitchReport(deps: AppDeps, input: SwitchReportInput): Promise<void> {
  await deps.db.transaction((tx) => applyReport(tx, { ...input, deps }));
}

async function applyReport(
  tx: Queryable,
  ctx: {
    deps: AppDeps;
    clientId: string;
    agentId: string;
    report: SwitchReportData;
    requestId: string;
  },
): Promise<void> {
  const { clientId, agentId, report: r } = ctx;
  const now = ctx.deps.clock();
  const agent = await findAgentForClient(tx, { clientId, agentId, forUpdate: true });
  if (!agent) throw new NotFound("Agent not found", "agent_not_found");
  if (agent.status === "deleted") return; // T-15: nothing is resurrected
  const newId = r.new.instanceId;
  const oldId = r.old.instanceId ?? (agent.instanceId !== newId ? agent.instanceId : null);
  // The real agent sends no command_id: its in-flight command is the one this switch ran.
  const named = r.commandId
    ? await findCommandForAgent(tx, { clientId, agentId, commandId: r.commandId })
    : null;
  const open = named ?? await getOpenCommand(tx, agentId, { forUpdate: true });
  const ranOnOld = open?.status === "delivered" &&
    (oldId === null || open.deliveredInstanceId === null || open.deliveredInstanceId === oldId);
  const cmd = open && (ranOnOld || open.id === r.commandId) ? open : null;
  const data: SwitchReportData = {
    ...r,
    commandId: cmd?.id ?? null,
    old: { ...r.old, instanceId: oldId },
    new: {
      ...r.new,
      mode: r.new.mode ?? cmd?.targetMode ?? null,
      poolId: r.new.poolId ?? cmd?.targetPoolId ?? null,
    },
    triggerType: r.triggerType ?? cmd?.triggerType ?? null,
  };
  const outcome = await applySwitchReport(tx, { clientId, agentId, report: data, now });
  if (outcome.alreadyReported) return;
  if (cmd) {
    await completeCommand(tx, {
      commandId: cmd.id,
      agentId,
      success: true,
      message: "Completed: switch report received",
      source: "switch_report",
      now,
    });
  }
  const takeover = r.trafficSwitchedAt ?? r.instanceReadyAt ?? now;
  if (oldId && oldId !== newId) {
    await retireInstance(tx, {
      clientId,
      agentId,
      instanceId: oldId,
      terminatedAt: r.oldTerminatedAt,
    });
    if (r.oldTerminatedAt) {
      await endSegmentAtTermination(tx, {
        instanceId: oldId,
        terminatedAt: r.oldTerminatedAt,
        supersededAt: takeover,
        clientId,
      });
    } else {
      await supersedeOpenSegment(tx, { instanceId: oldId, at: takeover, clientId });
    }
  }
  // Move the agent only if the report is about its current instance (a late report of an older
  // switch must not pull the row back).
  if (agent.instanceId === null || agent.instanceId === oldId || agent.instanceId === newId) {
    const mode = data.new.mode === "spot" ? "spot" as const : "ondemand" as const;
    const instanceType = r.new.instanceType ?? r.old.instanceType ?? agent.instanceType;
    const poolId = mode === "spot" ? data.new.poolId : null;
    const az = r.new.az ?? (poolId ? poolId.slice(poolId.lastIndexOf(".") + 1) : null);
    const region = r.new.region ?? r.old.region ?? agent.region ?? "us-east-1";
    const placement = {
      clientId,
      agentId,
      instanceId: newId,
      instanceType: instanceType ?? "unknown",
      region,
      az: az ?? "unknown",
      amiId: r.new.amiId ?? r.amiId,
      mode,
      poolId,
    };
    await upsertPrimaryInstance(tx, {
      ...placement,
      now,
      installedAt: r.instanceLaunchedAt,
      lastSwitchAt: takeover,
      spotPrice: mode === "spot" ? r.newSpotPrice : null,
      ondemandPrice: r.onDemandPrice,
    });
    await moveSegment(tx, { ...placement, at: takeover, reason: "mode_change" });
    if (agent.instanceId !== newId) {
      await moveAgentToInstance(tx, { ...placement, instanceType, az, now });
    }
  }
  const saved = (data.savingsImpact ?? 0).toFixed(4);
  await insertSystemEvent(tx, {
    type: "switch_completed",
    clientId,
    agentId,
    instanceId: newId,
    message: `Switch to ${newId} reported; saving $${saved}/hr`,
    metadata: {
      savings_impact: data.savingsImpact,
      command_id: data.commandId,
      downtime_seconds: r.downtimeSeconds,
      source: "switch_report",
    },
    requestId: ctx.requestId,
  });
  if (outcome.created) {
    await insertNotification(tx, {
      clientId,
      agentId,
      type: "switch",
      message: `Instance switched: ${newId} - Saved $${saved}/hr`,
    });
  }
}
