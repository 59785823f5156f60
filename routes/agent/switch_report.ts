/**
 * E07 POST /api/agents/{agent_id}/switch-report (T-03): the agent's field names and the
 * predecessor's aliases, no command_id (the agent's in-flight command is found here), timing with
 * microseconds and `Z`. One transaction merges the report into the switch row the registration
 * may have written, closes the command and moves the instance records; a retry changes nothing.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../_app.ts";
import { defineRoute, principalOf } from "../_app.ts";
import { ConflictError, NotFoundError } from "../_errors.ts";
import type { Queryable } from "../../db/client.ts";
import { findAgentForClient } from "../../db/agents.ts";
import { moveAgentToInstance } from "../../db/agent_writes.ts";
import { completeCommand, findCommandForAgent, getOpenCommand } from "../../db/commands.ts";
import { insertNotification, insertSystemEvent } from "../../db/events.ts";
import { findInstance, retireInstance, upsertPrimaryInstance } from "../../db/instances.ts";
import { endSegmentAtTermination, moveSegment, supersedeOpenSegment } from "../../db/segments.ts";
import type { SwitchReportData } from "../../db/switches.ts";
import { applySwitchReport } from "../../db/switches.ts";
import type { SwitchReport } from "./schemas.ts";
import {
  AgentIdParam,
  known,
  parseAgentTime,
  poolOf,
  storedMode,
  SuccessBody,
  SwitchReportBody,
} from "./schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const route = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/switch-report",
  tags: ["agent"],
  summary: "The agent finished a switch (E07)",
  description:
    "savings_impact = old price - new price in $/h, where a price is the spot price when known, else on-demand. downtime_seconds = new instance ready - old instance terminated (0 if the old one was not terminated first); total_duration_seconds = new instance ready - initiated.",
  request: {
    params: AgentIdParam,
    body: jsonRequest(SwitchReportBody),
  },
  responses: {
    200: json(SuccessBody, "Recorded"),
    404: errorResponse("Not this client's agent"),
    409: errorResponse("The new instance belongs to another account"),
  },
});

/** Registers E07. */
export function registerSwitchReportRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(route, async (c) => {
    const deps = c.get("deps");
    const p = principalOf(c);
    const clientId = p.kind === "client" ? p.clientId : "";
    const agentId = c.req.valid("param").agent_id;
    const report = toReportData(c.req.valid("json"));
    await deps.db.transaction((tx) =>
      applyReport(tx, { deps, clientId, agentId, report, requestId: c.get("requestId") })
    );
    return c.json({ success: true as const }, 200);
  });
}

const seconds = (a: Date | null, b: Date | null): number | null =>
  a && b ? Math.round((a.getTime() - b.getTime()) / 1000) : null;

/** Normalises a switch report (both naming schemes) and computes savings and durations. */
export function toReportData(b: SwitchReport): SwitchReportData {
  const t = b.timing ?? {};
  const price = (k: "on_demand" | "old_spot" | "new_spot") =>
    b.prices?.[k] ?? b.pricing?.[k] ?? null;
  const onDemand = price("on_demand");
  const oldSpot = price("old_spot");
  const newSpot = price("new_spot");
  const side = (s: SwitchReport["old_instance"]) => {
    const mode = storedMode(s?.mode);
    const instanceType = known(s?.instance_type, 64);
    const az = known(s?.az, 32);
    return {
      instanceId: known(s?.instance_id, 64),
      instanceType,
      region: known(s?.region, 32),
      az,
      mode,
      poolId: known(s?.pool_id, 128) ?? poolOf(mode, instanceType, az),
      amiId: known(s?.ami_id, 64),
    };
  };
  const oldSide = side(b.old_instance);
  const newSide = { ...side(b.new_instance), instanceId: b.new_instance.instance_id };
  const priceOf = (mode: string | null, spot: number | null) =>
    mode === "spot" && spot !== null ? spot : onDemand;
  const oldPrice = priceOf(oldSide.mode, oldSpot);
  const newPrice = priceOf(newSide.mode, newSpot);
  const initiatedAt = parseAgentTime(t.switch_initiated_at ?? t.initiated_at);
  const readyAt = parseAgentTime(t.new_instance_ready_at ?? t.instance_ready_at);
  const oldTerminatedAt = parseAgentTime(t.old_instance_terminated_at ?? t.old_terminated_at);
  const downtime = readyAt && oldTerminatedAt
    ? Math.max(0, seconds(readyAt, oldTerminatedAt)!)
    : (readyAt ? 0 : null);
  const total = seconds(readyAt, initiatedAt);
  return {
    commandId: known(b.command_id, 64),
    old: oldSide,
    new: newSide,
    onDemandPrice: onDemand,
    oldSpotPrice: oldSpot,
    newSpotPrice: newSpot,
    savingsImpact: oldPrice !== null && newPrice !== null
      ? Math.round((oldPrice - newPrice) * 1e6) / 1e6
      : null,
    triggerType: known(b.trigger, 32),
    snapshotUsed: b.snapshot?.used === true,
    snapshotId: known(b.snapshot?.snapshot_id, 64),
    amiId: known(b.snapshot?.ami_id, 64),
    initiatedAt,
    amiCreatedAt: parseAgentTime(t.ami_created_at ?? t.snapshot_created_at),
    instanceLaunchedAt: parseAgentTime(t.new_instance_launched_at ?? t.instance_launched_at),
    instanceReadyAt: readyAt,
    trafficSwitchedAt: parseAgentTime(t.traffic_switched_at),
    oldTerminatedAt,
    totalDurationSeconds: total === null ? null : Math.max(0, total),
    downtimeSeconds: downtime,
    timingData: b.timing ? { ...b.timing } : null,
  };
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
  if (!agent) throw new NotFoundError("Agent not found", "agent_not_found");
  if (agent.status === "deleted") return; // T-15: nothing is resurrected
  const newId = r.new.instanceId;
  const existing = await findInstance(tx, newId);
  if (existing && existing.clientId !== clientId) {
    throw new ConflictError("The new instance belongs to another account", "instance_conflict");
  }
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
