/**
 * E01 POST /api/agents/register. Never a 4xx for a legitimate agent (T-01, T-02, T-32): null,
 * "unknown" and unknown fields are accepted; services/registration.ts does the work in one short
 * transaction that concurrent registrations of a fleet cannot deadlock.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute, principalOf } from "../_app.ts";
import type { AgentRegistrationFields } from "../../db/agent_writes.ts";
import { registerAgent } from "../../services/registration.ts";
import { known, poolOf, RegisterBody, RegisterResponse, storedMode } from "./schemas.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";
import { requireLiveClient } from "../_middleware/auth.ts";

const route = defineRoute("agent", {
  method: "post",
  path: "/api/agents/register",
  tags: ["agent"],
  summary: "Register an agent instance (E01)",
  description:
    'Accepts null, "unknown" and unknown extra fields. A switched-away, retired or deleted instance gets 200 with config.enabled false, so it stays quiet instead of exiting.',
  request: { body: jsonRequest(RegisterBody) },
  responses: {
    200: json(RegisterResponse, "Registered"),
    400: errorResponse("No instance_id"),
    401: errorResponse("Missing or invalid token"),
    403: errorResponse("The client account is not active"),
  },
}, { bodyToken: true });

/** Registers E01. */
export function registerRegisterRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(route, async (c) => {
    const p = principalOf(c);
    const clientId = p.kind === "client" ? p.clientId : "";
    const body = c.req.valid("json");
    const fields = normalize(body);
    const logical = known(body.logical_agent_id) ?? fields.instanceId;
    const deps = c.get("deps");
    await requireLiveClient(c, clientId);
    const answer = await registerAgent(deps, {
      clientId,
      logical,
      fields,
      requestId: c.get("requestId"),
    });
    return c.json(answer, 200);
  });
}

function normalize(b: z.infer<typeof RegisterBody>): AgentRegistrationFields {
  const reportedMode = storedMode(b.mode);
  const mode = reportedMode ?? "ondemand";
  const instanceType = known(b.instance_type, 64);
  const az = known(b.az, 32);
  return {
    hostname: known(b.hostname),
    instanceId: b.instance_id,
    instanceType,
    region: known(b.region, 32) ?? "us-east-1",
    regionReported: known(b.region) !== null,
    az,
    amiId: known(b.ami_id, 64),
    privateIp: known(b.private_ip, 45),
    publicIp: known(b.public_ip, 45),
    mode,
    modeReported: reportedMode !== null,
    poolId: poolOf(mode, instanceType, az),
    agentVersion: known(b.agent_version, 32),
  };
}
