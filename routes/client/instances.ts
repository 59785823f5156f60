/** Instance and replica lists of one client (CONTRACT E37, E38). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { LIMITS, pageQuery } from "../_pagination.ts";
import { listClientInstances, listClientReplicas } from "../../db/dashboard_instances.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { CLIENT_AUTH, ClientParams, SHAPE_BY_CREDENTIAL } from "./schemas.ts";
import {
  Instance,
  InstanceFilterQuery,
  InstancesResponse,
  ReplicasResponse,
} from "./schemas_instances.ts";
import { isAdmin, resolveClientId } from "./_scope.ts";

const instancesRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/instances",
  tags: ["client"],
  summary: "Instances of a client, newest first",
  description:
    `${CLIENT_AUTH} ${SHAPE_BY_CREDENTIAL} Filters: \`status\` active (running primary or replica) | terminated (zombie or terminated), \`mode\`, \`search\` (substring of the instance id or type; \`%\` and \`_\` match literally). Prices are numbers: the pool's latest spot price and the latest on-demand price while the instance is active, else the recorded ones, 0 when unknown.`,
  request: {
    params: ClientParams,
    query: InstanceFilterQuery.extend(pageQuery(LIMITS.fleet)),
  },
  responses: { 200: json(InstancesResponse, "The instances"), ...COMMON_ERRORS },
});

const replicasRoute = defineRoute("client", {
  method: "get",
  path: "/api/client/{client_id}/replicas",
  tags: ["client"],
  summary: "Active replicas of a client's agents",
  description:
    `${CLIENT_AUTH} ${SHAPE_BY_CREDENTIAL} Only replicas that are neither promoted, terminated nor failed. The client dashboard reads flat items; the admin dashboard reads \`{agentId, primary, replica}\`.`,
  request: { params: ClientParams, query: z.object(pageQuery(LIMITS.fleet)) },
  responses: { 200: json(ReplicasResponse, "The replicas"), ...COMMON_ERRORS },
});

/** Registers E37 and E38. */
export function registerInstanceListRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(instancesRoute, async (c) => {
    const { db } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const q = c.req.valid("query");
    const rows = await listClientInstances(db, {
      clientId,
      status: q.status,
      mode: q.mode,
      search: q.search?.trim() || undefined,
      limit: q.limit,
      offset: q.offset,
    });
    const items = rows.map((i) => ({
      ...i,
      poolId: i.currentPoolId ?? "n/a",
      spotPrice: i.spotPrice ?? 0,
      onDemandPrice: i.onDemandPrice ?? 0,
    }));
    return c.json(
      isAdmin(c)
        ? items.map(Instance.toAdmin)
        : { instances: items.map(Instance.toClient), limit: q.limit, offset: q.offset },
      200,
    );
  });

  app.openapi(replicasRoute, async (c) => {
    const { db } = c.get("deps");
    const clientId = await resolveClientId(c, c.req.valid("param").client_id);
    const { limit, offset } = c.req.valid("query");
    const rows = await listClientReplicas(db, { clientId, limit, offset });
    if (isAdmin(c)) {
      return c.json(
        rows.map((r) => ({
          agentId: r.agentId,
          primary: r.primary,
          replica: {
            id: r.id,
            instanceId: r.instanceId,
            type: r.replicaType,
            status: r.status,
            sync_status: r.syncStatus,
            sync_latency_ms: r.syncLatencyMs,
            state_transfer_progress: r.stateTransferProgress,
            pool: r.pool
              ? {
                id: r.pool.id,
                name: r.pool.name,
                instance_type: r.pool.instanceType,
                region: r.pool.region,
                az: r.pool.az,
              }
              : null,
            cost: { hourly: r.hourlyCost, total: r.totalCost },
            created_by: r.createdBy,
            created_at: r.createdAt,
            ready_at: r.readyAt,
            terminated_at: r.terminatedAt,
            is_active: r.isActive,
          },
        })),
        200,
      );
    }
    return c.json({
      replicas: rows.map((r) => ({
        id: r.id,
        agent_id: r.agentId,
        instance_id: r.instanceId,
        replica_type: r.replicaType,
        pool_id: r.poolId,
        status: r.status,
        sync_status: r.syncStatus,
        state_transfer_progress: r.stateTransferProgress,
        hourly_cost: r.hourlyCost,
        total_cost: r.totalCost,
        created_at: r.createdAt,
        ready_at: r.readyAt,
      })),
      limit,
      offset,
    }, 200);
  });
}
