/**
 * E10 POST /api/agents/{agent_id}/cleanup-report: the seed's endpoint 1, exactly its request and
 * response. One cleanup_logs row per report (a retry with the same timestamp is stored once); a
 * report from an agent whose cleanup is disabled, or whose cutoff is younger than the configured
 * retention, is still recorded, flagged, and raises a warning system event.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute, scopeClient } from "../_app.ts";
import { BadRequestError, NotFoundError } from "../_errors.ts";
import { findOwnedAgent } from "../../db/agent_reports.ts";
import type { OwnedAgent } from "../../db/agent_reports.ts";
import { recordCleanupReport } from "../../db/cleanup.ts";
import type { SystemEventInput } from "../../db/events.ts";
import type { Config } from "../../config.ts";
import {
  AgentParams,
  CleanupReportBody,
  CleanupReportResponse,
  parseAgentTime,
} from "./extra_schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const DAY_MS = 86_400_000;
// The agent computes its cutoff at the start of a run and the timestamp at its end; this margin
// absorbs the opposite order so a compliant agent is never flagged.
const POLICY_SLACK_MS = 5 * 60 * 1000;

const cleanupRoute = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/cleanup-report",
  tags: ["agent"],
  summary: "Cleanup report (deleted snapshots and AMIs)",
  description:
    "Records one cleanup_logs row per report (idempotent by the report's `timestamp`). `cleanup_type` is snapshots, amis or full from the sections present. Flags reports from agents with cleanup disabled and reports whose cutoff is younger than CLEANUP_SNAPSHOTS_DAYS / CLEANUP_AMIS_DAYS.",
  request: {
    params: AgentParams,
    body: jsonRequest(CleanupReportBody),
  },
  responses: {
    200: json(CleanupReportResponse, "Recorded"),
    400: errorResponse("Malformed report"),
    404: errorResponse("Agent not found"),
  },
});

/** True when cleanup is on for this agent: the server switch and the agent's own flag. */
export function cleanupEnabledFor(agent: OwnedAgent, config: Config): boolean {
  return config.AUTO_CLEANUP_ENABLED && agent.cleanupEnabled !== false;
}

function cutoff(value: string | null | undefined, field: string): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = parseAgentTime(value);
  if (!d) throw new BadRequestError(`${field} is not an ISO-8601 timestamp`, "validation_failed");
  return d;
}

/** True when `cut` keeps less than `days` of history before `at`. */
function tooYoung(cut: Date | null, at: Date, days: number): boolean {
  return cut !== null && at.getTime() - cut.getTime() < days * DAY_MS - POLICY_SLACK_MS;
}

type Body = z.infer<typeof CleanupReportBody>;

/** Registers E10. */
export function registerCleanupRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(cleanupRoute, async (c) => {
    const deps = c.get("deps");
    const { agent_id: agentId } = c.req.valid("param");
    const body: Body = c.req.valid("json");
    const clientId = scopeClient(c);
    const executedAt = parseAgentTime(body.timestamp);
    if (!executedAt) {
      throw new BadRequestError("timestamp is not an ISO-8601 timestamp", "validation_failed");
    }
    const snaps = body.snapshots ?? null;
    const amis = body.amis ?? null;
    if (!snaps && !amis) {
      throw new BadRequestError(
        "A cleanup report needs a snapshots or an amis section",
        "validation_failed",
      );
    }
    const snapCutoff = cutoff(snaps?.cutoff_date, "snapshots.cutoff_date");
    const amiCutoff = cutoff(amis?.cutoff_date, "amis.cutoff_date");
    const agent = await findOwnedAgent(deps.db, clientId, agentId);
    if (!agent) throw new NotFoundError("Agent not found", "agent_not_found");

    const deletedSnapshots = snaps?.deleted.length ?? 0;
    const deletedAmis = amis?.deleted_amis.length ?? 0;
    const failed = (snaps?.failed.length ?? 0) + (amis?.failed.length ?? 0);
    const { config } = deps;
    const disabled = !cleanupEnabledFor(agent, config);
    const violations: string[] = [];
    if (tooYoung(snapCutoff, executedAt, config.CLEANUP_SNAPSHOTS_DAYS)) {
      violations.push(`snapshots older than ${config.CLEANUP_SNAPSHOTS_DAYS} days`);
    }
    if (tooYoung(amiCutoff, executedAt, config.CLEANUP_AMIS_DAYS)) {
      violations.push(`AMIs older than ${config.CLEANUP_AMIS_DAYS} days`);
    }
    const base = { clientId, agentId, instanceId: agent.instanceId, requestId: c.get("requestId") };
    const events: SystemEventInput[] = [{
      ...base,
      type: "cleanup_completed",
      severity: failed > 0 ? "warning" : "info",
      message: `Cleaned ${deletedSnapshots} snapshots, ${deletedAmis} AMIs. Failed: ${failed}`,
      metadata: { deleted_snapshots: deletedSnapshots, deleted_amis: deletedAmis, failed },
    }];
    if (disabled) {
      events.push({
        ...base,
        type: "cleanup_while_disabled",
        severity: "warning",
        message:
          `Agent ${agent.logicalAgentId} ran a cleanup although cleanup is disabled for it (deleted ${deletedSnapshots} snapshots, ${deletedAmis} AMIs)`,
      });
    }
    if (violations.length > 0) {
      events.push({
        ...base,
        type: "cleanup_policy_violation",
        severity: "warning",
        message: `Agent ${agent.logicalAgentId} deleted more than policy allows: policy keeps ${
          violations.join(" and ")
        }`,
        metadata: {
          snapshots_cutoff: snapCutoff?.toISOString() ?? null,
          amis_cutoff: amiCutoff?.toISOString() ?? null,
          snapshots_days: config.CLEANUP_SNAPSHOTS_DAYS,
          amis_days: config.CLEANUP_AMIS_DAYS,
        },
      });
    }
    await recordCleanupReport(deps.db, {
      agentId,
      clientId,
      cleanupType: snaps && amis ? "full" : snaps ? "snapshots" : "amis",
      deletedSnapshots,
      deletedAmis,
      failed,
      // The whole body as sent (the validated copy drops fields it does not know).
      details: await c.req.json(),
      cutoffDate: snapCutoff ?? amiCutoff,
      executedAt,
      reportKey: executedAt.toISOString(),
      cleanupDisabled: disabled,
      policyViolation: violations.length > 0,
      events,
      now: deps.clock(),
    });
    return c.json({
      success: true as const,
      message: "Cleanup report recorded",
      deleted_snapshots: deletedSnapshots,
      deleted_amis: deletedAmis,
      failed_count: failed,
    }, 200);
  });
}
