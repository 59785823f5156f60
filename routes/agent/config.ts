/**
 * E03 GET /api/agents/{agent_id}/config (one statement: the config columns of agents JOIN
 * agent_configs; `enabled` a real boolean, T-13; plus the cleanup settings) and M2
 * GET /api/agents/{agent_id}, the agent detail of the client dashboard.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { clientScopeOrAll, defineRoute, principalOf } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import type { Config } from "../../config.ts";
import type { AgentConfigRecord } from "../../db/agents.ts";
import { findAgentById, findAgentConfig, findAgentForClient } from "../../db/agents.ts";
import { getOpenCommand } from "../../db/commands.ts";
import { registerConfig } from "../../services/registration.ts";
import { commandItem } from "./commands.ts";
import { AgentDetailResponse, AgentIdParam, ConfigResponse } from "./schemas.ts";
import { errorResponse, json } from "../_openapi.ts";

const configRoute = defineRoute("agent", {
  method: "get",
  path: "/api/agents/{agent_id}/config",
  tags: ["agent"],
  summary: "Agent configuration (E03)",
  description: "The agent reads only `enabled`; a deleted agent gets enabled false.",
  request: { params: AgentIdParam },
  responses: {
    200: json(ConfigResponse, "Config"),
    404: errorResponse("Not this client's agent"),
  },
});

const detailRoute = defineRoute("client", {
  method: "get",
  path: "/api/agents/{agent_id}",
  tags: ["agent", "client"],
  summary: "Agent detail for the client dashboard (M2)",
  request: { params: AgentIdParam },
  responses: {
    200: json(AgentDetailResponse, "Agent"),
    404: errorResponse("Unknown or foreign agent"),
  },
});

/** The flat E03 config of an agent. */
export function agentConfig(a: AgentConfigRecord, config: Config): z.infer<typeof ConfigResponse> {
  return {
    ...registerConfig(a),
    manual_replica_enabled: a.manualReplicaEnabled,
    auto_cleanup_enabled: config.AUTO_CLEANUP_ENABLED && a.cleanupEnabled,
    cleanup_snapshots_days: config.CLEANUP_SNAPSHOTS_DAYS,
    cleanup_amis_days: config.CLEANUP_AMIS_DAYS,
  };
}

/** Registers E03 and M2. */
export function registerConfigRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(configRoute, async (c) => {
    const { db, config } = c.get("deps");
    const p = principalOf(c);
    const agent = await findAgentConfig(db, {
      clientId: p.kind === "client" ? p.clientId : "",
      agentId: c.req.valid("param").agent_id,
    });
    if (!agent) throw new NotFoundError("Agent not found", "agent_not_found");
    return c.json(agentConfig(agent, config), 200);
  });

  app.openapi(detailRoute, async (c) => {
    const { db, config, clock } = c.get("deps");
    const agentId = c.req.valid("param").agent_id;
    const scope = clientScopeOrAll(c);
    const a = scope === null
      ? await findAgentById(db, agentId)
      : await findAgentForClient(db, { clientId: scope, agentId });
    if (!a) throw new NotFoundError("Agent not found", "agent_not_found");
    const cmd = await getOpenCommand(db, a.id);
    const beat = a.lastHeartbeatAt ? Date.parse(a.lastHeartbeatAt) : null;
    const online = a.status === "online" && beat !== null &&
      clock().getTime() - beat <= config.AGENT_HEARTBEAT_TIMEOUT * 1000;
    return c.json({
      id: a.id,
      agent_id: a.id,
      client_id: a.clientId,
      logical_agent_id: a.logicalAgentId,
      hostname: a.hostname,
      instance_id: a.instanceId,
      instance_type: a.instanceType,
      region: a.region,
      az: a.az,
      ami_id: a.amiId,
      private_ip: a.privateIp,
      public_ip: a.publicIp,
      current_mode: a.mode,
      current_pool_id: a.poolId,
      pool_since: a.poolSince,
      agent_version: a.agentVersion,
      status: a.status,
      online,
      enabled: a.enabled && a.status !== "deleted",
      last_heartbeat_at: a.lastHeartbeatAt,
      auto_switch_enabled: a.autoSwitchEnabled,
      auto_terminate_enabled: a.autoTerminateEnabled,
      terminate_wait_seconds: a.terminateWaitSeconds,
      replica_enabled: a.replicaEnabled,
      replica_count: a.replicaCount,
      manual_replica_enabled: a.manualReplicaEnabled,
      current_replica_id: a.currentReplicaId,
      cleanup_enabled: a.cleanupEnabled,
      last_cleanup_at: a.lastCleanupAt,
      last_switch_at: a.lastSwitchAt,
      installed_at: a.installedAt,
      created_at: a.createdAt,
      updated_at: a.updatedAt,
      config: {
        min_savings_percent: a.thresholds.minSavingsPercent,
        risk_threshold: a.thresholds.riskThreshold,
        max_switches_per_week: a.thresholds.maxSwitchesPerWeek,
        max_switches_per_day: a.thresholds.maxSwitchesPerDay,
        min_pool_duration_hours: a.thresholds.minPoolDurationHours,
      },
      pending_command: cmd ? { ...commandItem(cmd), status: cmd.status } : null,
    }, 200);
  });
}
