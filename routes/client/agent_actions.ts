/**
 * Dashboard writes to one agent (CONTRACT E33 toggle-enabled, E34 settings, E35 config, E36
 * delete). All answer 200 (the client dashboard's proxy treats anything else as failure, T-23).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../_app.ts";
import { clientScopeOrAll, defineRoute } from "../_app.ts";
import { ConflictError, NotFoundError } from "../_errors.ts";
import type { AgentSettingsState, AgentWrite } from "../../db/agent_settings.ts";
import { applyAgentSettings, setAgentEnabled, softDeleteAgent } from "../../db/agent_settings.ts";
import { COMMON_ERRORS, errorResponses, json, jsonRequest } from "../_openapi.ts";
import { AgentParams, CLIENT_AUTH } from "./schemas.ts";
import {
  ConfigBody,
  DeleteAgentResponse,
  Settings,
  SettingsBody,
  ToggleBody,
  ToggleResponse,
} from "./schemas_agents.ts";
import { planSettings } from "./settings_plan.ts";
import { round } from "../../core/round.ts";
import type { SettingsRequest } from "./settings_plan.ts";

const WRITE_ERRORS = { ...COMMON_ERRORS, ...errorResponses(409) };

const toggleRoute = defineRoute("client", {
  method: "post",
  path: "/api/client/agents/{agent_id}/toggle-enabled",
  tags: ["client"],
  summary: "Enable or disable an agent",
  description:
    `${CLIENT_AUTH} An empty body (or \`{}\`) flips \`enabled\` (the client dashboard sends no body, T-24/T-25); \`{enabled}\` sets it. The agent picks the change up from its config poll within 60 s. Records the system event \`agent_toggled\`. A deleted agent answers 409.`,
  request: {
    params: AgentParams,
    body: jsonRequest(ToggleBody),
  },
  responses: { 200: json(ToggleResponse, "The resulting state"), ...WRITE_ERRORS },
});

const settingsRoute = defineRoute("client", {
  method: "post",
  path: "/api/client/agents/{agent_id}/settings",
  tags: ["client"],
  summary: "Change agent settings (client dashboard's settings modal)",
  description:
    `${CLIENT_AUTH} Keys present are applied, others are kept. Auto-switch and manual replica mode are mutually exclusive: turning one on turns the other off; with both true the mode that was off is turned on (the dashboard resends every checkbox), and both true while neither was on is a 400. Turning manual replica mode off terminates the agent's manual replicas only (never emergency ones). Answers 200 with the resulting settings.`,
  request: {
    params: AgentParams,
    body: jsonRequest(SettingsBody),
  },
  responses: { 200: json(Settings.admin, "The resulting settings"), ...WRITE_ERRORS },
});

const configRoute = defineRoute("client", {
  method: "post",
  path: "/api/client/agents/{agent_id}/config",
  tags: ["client"],
  summary: "Change agent configuration (admin dashboard's config modal)",
  description:
    `${CLIENT_AUTH} The admin modal always sends all four keys; only values that differ from the stored ones are applied (T-27), so saving a new wait time with manual mode off never touches replicas (B-14). Same mutual-exclusion rule as /settings. \`terminateWaitMinutes\` is stored as seconds.`,
  request: {
    params: AgentParams,
    body: jsonRequest(ConfigBody),
  },
  responses: { 200: json(Settings.admin, "The resulting settings"), ...WRITE_ERRORS },
});

const deleteRoute = defineRoute("client", {
  method: "delete",
  path: "/api/client/agents/{agent_id}",
  tags: ["client"],
  summary: "Soft-delete an agent",
  description:
    `${CLIENT_AUTH} Sets status \`deleted\` and deleted_at, disables the agent (it gets \`enabled:false\` from its config poll and is not resurrected by heartbeats), terminates its active replica rows, cancels its pending commands; event \`agent_deleted\` and a notification. Deleting an already deleted agent answers 200 and changes nothing.`,
  request: { params: AgentParams },
  responses: { 200: json(DeleteAgentResponse, "Deleted"), ...COMMON_ERRORS },
});

function unwrap<T>(w: AgentWrite<T>): { agent: AgentSettingsState; result: T } {
  if (w.kind === "not_found") throw new NotFoundError("Agent not found", "agent_not_found");
  if (w.kind === "deleted") throw new ConflictError("Agent is deleted", "agent_deleted");
  return w;
}

function settingsBody(
  agent: AgentSettingsState,
  result: { changes: object; terminatedReplicaIds: string[] },
) {
  return Settings.toAdmin({
    ...agent,
    success: true,
    agentId: agent.id,
    replicaCount: Math.max(0, agent.replicaCount - result.terminatedReplicaIds.length),
    terminateWaitMinutes: round(agent.terminateWaitSeconds / 60, 2),
    changed: Object.keys(result.changes),
    terminatedReplicaIds: result.terminatedReplicaIds,
  });
}

async function applySettings(c: AppContext, agentId: string, req: SettingsRequest) {
  const { db, clock } = c.get("deps");
  return unwrap(
    await applyAgentSettings(db, {
      agentId,
      clientId: clientScopeOrAll(c),
      now: clock(),
      plan: (current) => planSettings(current, req),
      requestId: c.get("requestId"),
    }),
  );
}

/** Registers E33–E36. */
export function registerAgentActionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(toggleRoute, async (c) => {
    const { db } = c.get("deps");
    const { agent, result } = unwrap(
      await setAgentEnabled(db, {
        agentId: c.req.valid("param").agent_id,
        clientId: clientScopeOrAll(c),
        enabled: c.req.valid("json").enabled ?? null,
        requestId: c.get("requestId"),
      }),
    );
    return c.json({
      success: true as const,
      agent_id: agent.id,
      enabled: result.enabled,
      changed: result.changed,
    }, 200);
  });

  app.openapi(settingsRoute, async (c) => {
    const b = c.req.valid("json");
    const { agent, result } = await applySettings(c, c.req.valid("param").agent_id, {
      autoSwitchEnabled: b.auto_switch_enabled,
      manualReplicaEnabled: b.manual_replica_enabled,
      autoTerminateEnabled: b.auto_terminate_enabled,
      replicaEnabled: b.replica_enabled,
      terminateWaitSeconds: b.terminate_wait_seconds,
    });
    return c.json(settingsBody(agent, result), 200);
  });

  app.openapi(configRoute, async (c) => {
    const b = c.req.valid("json");
    const minutes = b.terminateWaitMinutes ?? b.terminate_wait_minutes;
    const { agent, result } = await applySettings(c, c.req.valid("param").agent_id, {
      autoSwitchEnabled: b.autoSwitchEnabled,
      manualReplicaEnabled: b.manualReplicaEnabled,
      autoTerminateEnabled: b.autoTerminateEnabled,
      terminateWaitSeconds: minutes === undefined ? undefined : minutes * 60,
    });
    return c.json(settingsBody(agent, result), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const w = await softDeleteAgent(db, {
      agentId: c.req.valid("param").agent_id,
      clientId: clientScopeOrAll(c),
      now: clock(),
      requestId: c.get("requestId"),
    });
    if (w.kind === "not_found") throw new NotFoundError("Agent not found", "agent_not_found");
    if (w.kind === "deleted") {
      return c.json({
        success: true as const,
        message: "Agent was already deleted",
        agent_id: w.agent.id,
        terminated_replica_ids: [],
        cancelled_commands: 0,
      }, 200);
    }
    return c.json({
      success: true as const,
      message: `Agent ${w.agent.logicalAgentId} deleted`,
      agent_id: w.agent.id,
      terminated_replica_ids: w.result.terminatedReplicaIds,
      cancelled_commands: w.result.cancelledCommands,
    }, 200);
  });
}
