/**
 * Replica API (CONTRACT E12-E19). The agent and both dashboards call these URLs, so they take a
 * client token (scoped to that client's agents) or the admin credential (any agent). Every answer
 * is 200 on success (the client dashboard treats anything else as failure, T-23); promote and
 * delete accept an empty body (T-24). Registration rules: services/replica_flow.ts.
 */
import { z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../_app.ts";
import { clientScopeOrAll, defineRoute } from "../_app.ts";
import { NotFoundError } from "../_errors.ts";
import { AgentParams, parseAgentTime } from "./extra_schemas.ts";
import {
  ConfigAnswer,
  CreateReplicaBody,
  DeleteAnswer,
  ListReplicasQuery,
  PromoteAnswer,
  PromoteBody,
  PutReplicaBody,
  RegisterAnswer,
  ReplicaItem,
  ReplicaParams,
  ReplicaStatusBody,
  StateAnswer,
  SyncStatusBody,
} from "./interruption_schemas.ts";
import { countActiveReplicas, findReplicaAgent, listReplicas } from "../../db/replicas.ts";
import type { ReplicaAgent, ReplicaRecord } from "../../db/replicas.ts";
import {
  promoteReplica,
  terminateReplica,
  updateReplicaState,
} from "../../db/replica_lifecycle.ts";
import { registerReplica } from "../../services/replica_flow.ts";
import { errorResponse, json, jsonRequest } from "../_openapi.ts";

const errors = {
  400: errorResponse("Validation failed or not possible"),
  401: errorResponse("Missing or invalid credential"),
  403: errorResponse("Inactive client"),
  404: errorResponse("Agent or replica not found (or not this client's)"),
  409: errorResponse("Conflicts with the replica's or the agent's state"),
};
const body = <T extends z.ZodType>(schema: T) => ({ body: jsonRequest(schema) });
const ok = <T extends z.ZodType>(schema: T) => ({ 200: json(schema, "OK"), ...errors });
const R = (method: "get" | "post" | "put" | "delete", path: string, summary: string) => ({
  method,
  path: `/api/agents/{agent_id}${path}`,
  tags: ["replicas"],
  summary,
});

const createRoute = defineRoute("client", {
  ...R("post", "/replicas", "Register a replica the agent launched (E12)"),
  description: "Agent body `{instance_id, replica_type, parent_instance_id, pool_id, status}` or " +
    "the dashboard's `{target_pool_id}`. The server cannot launch EC2 instances: without " +
    "`instance_id` the answer is 400 `instance_id_required` (no placeholder rows). Idempotent " +
    "per instance id. `emergency` works in any mode; `manual` needs manual replica mode.",
  request: { params: AgentParams, ...body(CreateReplicaBody) },
  responses: ok(RegisterAnswer),
});
const listRoute = defineRoute("client", {
  ...R("get", "/replicas", "List an agent's replicas (E13)"),
  request: { params: AgentParams, query: ListReplicasQuery },
  responses: ok(z.object({ replicas: z.array(ReplicaItem), total: z.number().int() })),
});
const putRoute = defineRoute("client", {
  ...R("put", "/replicas/{replica_id}", "Set a replica's instance id and status (E14)"),
  request: { params: ReplicaParams, ...body(PutReplicaBody) },
  responses: ok(StateAnswer),
});
const statusRoute = defineRoute("client", {
  ...R("post", "/replicas/{replica_id}/status", "Report a replica's status (E15)"),
  request: { params: ReplicaParams, ...body(ReplicaStatusBody) },
  responses: ok(StateAnswer),
});
const syncRoute = defineRoute("client", {
  ...R("post", "/replicas/{replica_id}/sync-status", "Report a replica's sync state (E16)"),
  request: { params: ReplicaParams, ...body(SyncStatusBody) },
  responses: ok(StateAnswer),
});
const promoteRoute = defineRoute("client", {
  ...R("post", "/replicas/{replica_id}/promote", "Promote a ready replica to primary (E17)"),
  description: "One transaction. The old primary becomes a zombie (terminated when it got a " +
    "termination notice), or a replica with `demote_old_primary`. Empty body allowed.",
  request: { params: ReplicaParams, ...body(PromoteBody) },
  responses: ok(PromoteAnswer),
});
const deleteRoute = defineRoute("client", {
  ...R("delete", "/replicas/{replica_id}", "Terminate a replica record (E18)"),
  description: "The EC2 instance is not touched: its record becomes a zombie to be terminated.",
  request: { params: ReplicaParams },
  responses: ok(DeleteAnswer),
});
const configRoute = defineRoute("client", {
  ...R("get", "/replica-config", "Replica settings of an agent (E19)"),
  request: { params: AgentParams },
  responses: ok(ConfigAnswer),
});

/** The E13 item of a replica. */
export function toReplicaItem(r: ReplicaRecord, now: Date): z.infer<typeof ReplicaItem> {
  return {
    id: r.id,
    instance_id: r.instanceId,
    type: r.type,
    replica_type: r.type,
    status: r.status,
    sync_status: r.syncStatus,
    sync_latency_ms: r.syncLatencyMs,
    state_transfer_progress: r.stateTransferProgress,
    pool: r.poolId
      ? {
        id: r.poolId,
        name: r.poolName ?? `${r.instanceType ?? "?"} (${r.az ?? "?"})`,
        instance_type: r.instanceType,
        region: r.region,
        az: r.az,
      }
      : null,
    pool_id: r.poolId,
    hourly_cost: r.hourlyCost,
    cost: { hourly: r.hourlyCost, total: r.accumulatedCost },
    total_runtime_hours: r.totalRuntimeHours,
    parent_instance_id: r.parentInstanceId,
    created_by: r.createdBy,
    created_at: r.createdAt,
    launched_at: r.launchedAt,
    ready_at: r.readyAt,
    promoted_at: r.promotedAt,
    terminated_at: r.terminatedAt,
    age_seconds: Math.max(0, Math.round((now.getTime() - Date.parse(r.createdAt)) / 1000)),
    is_active: r.isActive,
    termination_event_id: r.terminationEventId,
    tags: r.tags,
  };
}

async function agentOf(c: AppContext, agentId: string): Promise<ReplicaAgent> {
  const { db } = c.get("deps");
  const agent = await findReplicaAgent(db, { agentId, clientId: clientScopeOrAll(c) });
  if (!agent) throw new NotFoundError("Agent not found", "agent_not_found");
  return agent;
}

function scopeOf(c: AppContext, p: { agent_id: string; replica_id: string }) {
  return {
    agentId: p.agent_id,
    clientScope: clientScopeOrAll(c),
    replicaId: p.replica_id,
    now: c.get("deps").clock(),
  };
}

const state = (r: ReplicaRecord, message: string) => ({
  success: true as const,
  replica_id: r.id,
  instance_id: r.instanceId,
  status: r.status,
  message,
});

/** Registers E12-E19. */
export function registerReplicaRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(configRoute, async (c) => {
    const agent = await agentOf(c, c.req.valid("param").agent_id);
    const active = await countActiveReplicas(c.get("deps").db, { agentId: agent.id });
    return c.json({
      enabled: agent.replicaEnabled,
      count: agent.replicaCount,
      manual_replica_enabled: agent.manualReplica,
      auto_switch_enabled: agent.autoSwitch,
      active_replicas: active,
    }, 200);
  });

  app.openapi(createRoute, async (c) => {
    const b = c.req.valid("json");
    const { replica, created } = await registerReplica(c.get("deps"), {
      agentId: c.req.valid("param").agent_id,
      clientScope: clientScopeOrAll(c),
      body: {
        instanceId: b.instance_id,
        replicaType: b.replica_type,
        parentInstanceId: b.parent_instance_id,
        poolId: b.pool_id ?? b.target_pool_id,
        status: b.status,
        createdBy: b.created_by,
        tags: b.tags,
      },
    });
    return c.json({
      success: true as const,
      replica_id: replica.id,
      instance_id: replica.instanceId,
      status: replica.status,
      replica_type: replica.type,
      created,
      replica: toReplicaItem(replica, c.get("deps").clock()),
      message: created ? "Replica registered" : "Replica already registered",
    }, 200);
  });

  app.openapi(listRoute, async (c) => {
    const agent = await agentOf(c, c.req.valid("param").agent_id);
    const q = c.req.valid("query");
    const rows = await listReplicas(c.get("deps").db, {
      agentId: agent.id,
      includeInactive: q.include_terminated === "true" || q.include_terminated === "1",
      status: q.status,
    });
    const now = c.get("deps").clock();
    return c.json({ replicas: rows.map((r) => toReplicaItem(r, now)), total: rows.length }, 200);
  });

  app.openapi(putRoute, async (c) => {
    const b = c.req.valid("json");
    const r = await updateReplicaState(c.get("deps").db, {
      ...scopeOf(c, c.req.valid("param")),
      instanceId: b.instance_id,
      status: b.status,
    });
    return c.json(state(r, "Replica updated"), 200);
  });

  app.openapi(statusRoute, async (c) => {
    const b = c.req.valid("json");
    const scope = scopeOf(c, c.req.valid("param"));
    const { db } = c.get("deps");
    const r = b.status === "terminated"
      ? await terminateReplica(db, { ...scope, idempotent: true })
      : await updateReplicaState(db, {
        ...scope,
        status: b.status,
        syncStartedAt: parseAgentTime(b.sync_started_at),
        syncCompletedAt: parseAgentTime(b.sync_completed_at),
        errorMessage: b.error_message,
      });
    return c.json(state(r, "Status updated"), 200);
  });

  app.openapi(syncRoute, async (c) => {
    const b = c.req.valid("json");
    const r = await updateReplicaState(c.get("deps").db, {
      ...scopeOf(c, c.req.valid("param")),
      status: b.status,
      syncStatus: b.sync_status,
      syncLatencyMs: b.sync_latency_ms,
      progress: b.state_transfer_progress,
    });
    return c.json(state(r, "Sync status updated"), 200);
  });

  app.openapi(promoteRoute, async (c) => {
    const b = c.req.valid("json");
    const scope = scopeOf(c, c.req.valid("param"));
    const res = await promoteReplica(c.get("deps").db, {
      ...scope,
      demoteOldPrimary: b.demote_old_primary,
    });
    return c.json({
      success: true as const,
      message: `Replica promoted: ${res.newInstanceId} is the primary`,
      replica_id: res.replica.id,
      new_instance_id: res.newInstanceId,
      old_instance_id: res.oldInstanceId,
      old_instance_status: res.oldInstanceStatus,
      demoted: res.demotedReplicaId !== null,
      switch_time: scope.now.toISOString(),
      new_replica_id: res.demotedReplicaId,
      termination_event_id: res.eventId,
    }, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const r = await terminateReplica(c.get("deps").db, scopeOf(c, c.req.valid("param")));
    return c.json({
      success: true as const,
      message: "Replica terminated",
      replica_id: r.id,
      terminated_at: r.terminatedAt,
      new_replica_id: null,
    }, 200);
  });
}
