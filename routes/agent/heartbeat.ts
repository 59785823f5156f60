/**
 * E02 POST /api/agents/{agent_id}/heartbeat. The common beat is one UPDATE of the agent's own row
 * (never the shared clients row). Anything else (status or mode change, a beat from the
 * switched-away instance, the shutdown beat, a deleted agent) takes the slow path (T-09, T-14,
 * T-15): one transaction, one notification per status change.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../_app.ts";
import { defineRoute, principalOf } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import { agentName, findAgentForClient } from "../../db/agents.ts";
import type { HeartbeatFields } from "../../db/agent_writes.ts";
import { heartbeatFast, recordStatusChange, updateAgentHeartbeat } from "../../db/agent_writes.ts";
import { touchInstanceHeartbeat, updateInstancePlacement } from "../../db/instances.ts";
import { closeOpenSegment, moveSegment } from "../../db/segments.ts";
import { AgentIdParam, HeartbeatBody, known, poolOf, storedMode, SuccessBody } from "./schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const route = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/heartbeat",
  tags: ["agent"],
  summary: "Agent heartbeat (E02)",
  description:
    "One UPDATE when nothing changed. The shutdown beat without instance_id is ignored right after another instance took the agent over; beats of a switched-away instance touch only that instance.",
  request: {
    params: AgentIdParam,
    body: jsonRequest(HeartbeatBody),
  },
  responses: {
    200: json(SuccessBody, "Recorded"),
    404: errorResponse("Not this client's agent"),
  },
});

type Beat = HeartbeatFields & { requestId: string };

/** Registers E02. */
export function registerHeartbeatRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(route, async (c) => {
    const started = performance.now();
    const deps = c.get("deps");
    const p = principalOf(c);
    const beat = parseBeat(c.req.valid("json"), {
      clientId: p.kind === "client" ? p.clientId : "",
      agentId: c.req.valid("param").agent_id,
      now: deps.clock(),
      requestId: c.get("requestId"),
    });
    const ownBeat = await heartbeatFast(deps.db, beat) || await slowPath(deps, beat);
    if (ownBeat) {
      // Server-side health metrics: memory only, flushed in batches (no round trip here).
      deps.services.healthBuffer.recordHeartbeat(
        beat.agentId,
        beat.clientId,
        performance.now() - started,
        beat.now,
      );
    }
    return c.json({ success: true as const }, 200);
  });
}

function parseBeat(
  b: z.infer<typeof HeartbeatBody>,
  base: { clientId: string; agentId: string; now: Date; requestId: string },
): Beat {
  const s = known(b.status)?.toLowerCase();
  const status = s === "offline" || s === "disabled" ? s : "online";
  // LEGACY v3.2 sends only status + monitored_instances: its one instance identifies the beat.
  const monitored = b.monitored_instances ?? [];
  const instanceId = known(b.instance_id, 64) ??
    (monitored.length === 1 ? known(monitored[0], 64) : null);
  return {
    ...base,
    status,
    instanceId,
    instanceType: known(b.instance_type, 64),
    az: known(b.az, 32),
    mode: storedMode(b.mode),
  };
}

/** The beats the fast path did not take; true when the beat was the agent's current instance's. */
async function slowPath(deps: AppDeps, beat: Beat): Promise<boolean> {
  const { clientId, agentId, now } = beat;
  return await deps.db.transaction(async (tx) => {
    const agent = await findAgentForClient(tx, { clientId, agentId, forUpdate: true });
    if (!agent) throw new NotFoundError("Agent not found", "agent_not_found");
    if (agent.status === "deleted") return false; // stays deleted (T-15)

    if (beat.instanceId && agent.instanceId && beat.instanceId !== agent.instanceId) {
      // The switched-away instance: its liveness is its own, never the agent row's (T-09).
      const mine = await touchInstanceHeartbeat(tx, {
        clientId,
        agentId,
        instanceId: beat.instanceId,
        at: now,
      });
      if (mine && beat.status === "offline") {
        await closeOpenSegment(tx, {
          instanceId: beat.instanceId,
          at: now,
          reason: "offline",
          clientId,
        });
      }
      return false;
    }
    if (!beat.instanceId && beat.status === "offline" && agent.lastSwitchAt) {
      // The shutdown beat carries no instance id: right after a takeover it is the old one's.
      const sinceSwitch = now.getTime() - Date.parse(agent.lastSwitchAt);
      if (sinceSwitch < deps.config.COMMAND_DELIVERY_TIMEOUT * 1000) return false;
    }

    const mode = beat.mode ?? agent.mode;
    const instanceType = beat.instanceType ?? agent.instanceType;
    const az = beat.az ?? agent.az;
    const poolId = beat.mode ? poolOf(mode, instanceType, az) : agent.poolId;
    const placementChanged = mode !== agent.mode || poolId !== agent.poolId;
    const typeChanged = instanceType !== agent.instanceType || az !== agent.az;
    await updateAgentHeartbeat(tx, {
      agentId,
      status: beat.status,
      instanceType,
      az,
      mode,
      poolId,
      poolChanged: placementChanged,
      now,
    });

    const instanceId = agent.instanceId;
    if (instanceId && mode !== "unknown") {
      if (placementChanged || typeChanged) {
        await updateInstancePlacement(tx, { clientId, instanceId, instanceType, az, mode, poolId });
      }
      if (beat.status === "offline") {
        if (agent.status !== "offline") {
          await closeOpenSegment(tx, { instanceId, at: now, reason: "offline", clientId });
        }
      } else if (placementChanged || agent.status === "offline") {
        await moveSegment(tx, {
          clientId,
          agentId,
          instanceId,
          mode,
          poolId,
          instanceType: instanceType ?? "unknown",
          region: agent.region ?? "us-east-1",
          at: now,
          reason: "mode_change",
        });
      }
    }
    if (agent.status !== beat.status) {
      await recordStatusChange(tx, {
        clientId,
        agentId,
        name: agentName(agent),
        instanceId,
        from: agent.status,
        to: beat.status,
        reason: "heartbeat",
        requestId: beat.requestId,
      });
    }
    return true;
  });
}
