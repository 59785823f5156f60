/** GET /api/client/pricing-history (CONTRACT E45): an agent's on-demand and pool price series. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { clientScopeOrAll, defineRoute } from "../_app.ts";
import { BadRequestError, NotFoundError } from "../_errors.ts";
import {
  agentForPricing,
  onDemandPriceBuckets,
  poolsWithLatestPrice,
  spotPriceBuckets,
} from "../../db/dashboard_pricing.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { PricingHistoryQuery, PricingHistoryResponse } from "./schemas_overview.ts";

const route = defineRoute("client", {
  method: "get",
  path: "/api/client/pricing-history",
  tags: ["client"],
  summary: "Price history of one agent's instance type and region",
  description:
    "Credential: a client token (its own agents), or the admin credential with `agent_id`. `days` 1..30 (default 7), `interval` hour|day; without `agent_id` the client's most recently seen agent. Points are averages of the 5-minute snapshots per bucket; at most 20 pools. 404 when there is no such agent.",
  request: { query: PricingHistoryQuery },
  responses: { 200: json(PricingHistoryResponse, "History"), ...COMMON_ERRORS },
});

/** Registers E45 (before `/api/client/{client_id}`, T-29). */
export function registerPricingHistoryRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(route, async (c) => {
    const { db, clock } = c.get("deps");
    const q = c.req.valid("query");
    const scope = clientScopeOrAll(c);
    if (scope === null && !q.agent_id) {
      throw new BadRequestError("agent_id is required with the admin credential", "agent_required");
    }
    const agent = await agentForPricing(db, { clientId: scope, agentId: q.agent_id });
    if (!agent) throw new NotFoundError("No agent found", "agent_not_found");
    const since = new Date(clock().getTime() - q.days * 86_400_000);
    const history: {
      timestamp: string;
      ondemand_price: number | null;
      spot_pools: { pool_id: string; az: string; price: number }[];
    }[] = [];
    if (agent.instanceType && agent.region) {
      const pools = await poolsWithLatestPrice(db, {
        instanceType: agent.instanceType,
        region: agent.region,
        since,
        limit: 20,
      });
      const azOf = new Map(pools.map((p) => [p.id, p.az]));
      const spot = await spotPriceBuckets(db, {
        poolIds: pools.map((p) => p.id),
        since,
        interval: q.interval,
      });
      const od = await onDemandPriceBuckets(db, {
        region: agent.region,
        instanceType: agent.instanceType,
        since,
        interval: q.interval,
      });
      const byTime = new Map<string, (typeof history)[number]>();
      const at = (t: string) => {
        let h = byTime.get(t);
        if (!h) byTime.set(t, h = { timestamp: t, ondemand_price: null, spot_pools: [] });
        return h;
      };
      for (const b of od) at(b.bucket).ondemand_price = b.price;
      for (const b of spot) {
        at(b.bucket).spot_pools.push({ pool_id: b.key, az: azOf.get(b.key) ?? "", price: b.price });
      }
      history.push(...[...byTime.values()].sort((a, b) => a.timestamp.localeCompare(b.timestamp)));
    }
    return c.json({
      history,
      days: q.days,
      data_points: history.length,
      agent_id: agent.id,
      instance_type: agent.instanceType,
      region: agent.region,
    }, 200);
  });
}
