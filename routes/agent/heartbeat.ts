/**
 * E02 POST /api/agents/{agent_id}/heartbeat: services/heartbeat.ts. A repeat of the agent's
 * verified beat is answered from memory and written in the next batch; otherwise the common beat
 * is one UPDATE of the agent's own row and anything else takes the slow path (T-09, T-14, T-15).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute, principalOf } from "../_app.ts";
import type { Beat } from "../../services/heartbeat.ts";
import { recordBeat } from "../../services/heartbeat.ts";
import { AgentIdParam, HeartbeatBody, known, storedMode, SuccessBody } from "./schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const route = defineRoute("agent", {
  method: "post",
  path: "/api/agents/{agent_id}/heartbeat",
  tags: ["agent"],
  summary: "Agent heartbeat (E02)",
  description:
    "No statement (a batched write within HEARTBEAT_WRITE_BEHIND_SECONDS) or one UPDATE when nothing changed. The shutdown beat without instance_id is ignored right after another instance took the agent over; beats of a switched-away instance touch only that instance.",
  request: {
    params: AgentIdParam,
    body: jsonRequest(HeartbeatBody),
  },
  responses: {
    200: json(SuccessBody, "Recorded"),
    404: errorResponse("Not this client's agent"),
  },
});

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
    // A repeat of the agent's verified beat is queued for the next batched write (no statement).
    const ownBeat = deps.services.heartbeats.absorb(beat) || await recordBeat(deps, beat);
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
