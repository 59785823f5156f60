/**
 * E07 POST /api/agents/{agent_id}/switch-report (T-03): the agent's field names and the
 * predecessor's aliases, no command_id (the agent's in-flight command is found here), timing with
 * microseconds and `Z`. The report is normalised here; services/switch_report.ts merges it in one
 * transaction.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute, principalOf } from "../_app.ts";
import type { SwitchReportData } from "../../db/switches.ts";
import { recordSwitchReport } from "../../services/switch_report.ts";
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
    await recordSwitchReport(deps, { clientId, agentId, report, requestId: c.get("requestId") });
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
