/**
 * One instance's pricing, metrics, price history, switch options and log (CONTRACT E39–E42, E44).
 * The path id may be an instance id, an agent id or an agent's current instance id.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { LIMITS, pageQuery } from "../_pagination.ts";
import type { Queryable } from "../../db/client.ts";
import type { InstanceContext } from "../../db/dashboard_instances.ts";
import type { PoolPrice } from "../../db/dashboard_pricing.ts";
import { instanceLog, pricedSegments, switchCounts } from "../../db/dashboard_instance_detail.ts";
import {
  familyTypes,
  latestOnDemandPrice,
  onDemandPriceBuckets,
  poolsWithLatestPrice,
  spotPriceBuckets,
} from "../../db/dashboard_pricing.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { CLIENT_AUTH, InstanceParams } from "./schemas.ts";
import {
  LogEntry,
  LogsResponse,
  MetricsResponse,
  OptionsResponse,
  PriceHistoryQuery,
  PriceHistoryResponse,
  PricingResponse,
} from "./schemas_instances.ts";
import { estimateSavings, instanceInScope } from "./_instance.ts";
import { isAdmin } from "./_scope.ts";
import { round } from "../../core/round.ts";

const HOUR = 3600_000;
const DAY = 86400_000;
/** Price series older than this are not "current". */
const CURRENT_WINDOW = HOUR;

const route = <P extends string>(p: P, summary: string, description: string) => ({
  method: "get" as const,
  path: `/api/client/instances/{instance_id}/${p}` as `/api/client/instances/{instance_id}/${P}`,
  tags: ["client"],
  summary,
  description: `${CLIENT_AUTH} ${description}`,
});

const pricingRoute = defineRoute("client", {
  ...route(
    "pricing",
    "Current on-demand and spot pool prices",
    "Pools of the instance's type in its region, cheapest first (unpriced pools last, price 0).",
  ),
  request: { params: InstanceParams },
  responses: { 200: json(PricingResponse, "Prices"), ...COMMON_ERRORS },
});

const metricsRoute = defineRoute("client", {
  ...route(
    "metrics",
    "Uptime, switch counts and estimated savings",
    "Switch counts are the agent's (the logical workload); savings are estimated from the instance's time on spot at average prices.",
  ),
  request: { params: InstanceParams },
  responses: { 200: json(MetricsResponse, "Metrics"), ...COMMON_ERRORS },
});

const historyRoute = defineRoute("client", {
  ...route(
    "price-history",
    "Average prices per hour or day",
    "`days` 1..90, `interval` hour|day, from the 5-minute price snapshots. Each data point has `onDemand` and one key per pool (`pools[].key`, dots replaced so chart libraries do not read them as paths).",
  ),
  request: { params: InstanceParams, query: PriceHistoryQuery },
  responses: { 200: json(PriceHistoryResponse, "Series"), ...COMMON_ERRORS },
});

const optionsRoute = defineRoute("client", {
  ...route(
    "available-options",
    "Pools a switch may target",
    "Pools of the instance's type in its region with their latest price (`availablePools` and `pools` carry the same items, T-21). The agent never changes instance type (T-05): `instanceTypes` is informational.",
  ),
  request: { params: InstanceParams },
  responses: { 200: json(OptionsResponse, "Options"), ...COMMON_ERRORS },
});

const logsRoute = defineRoute("client", {
  ...route(
    "logs",
    "Switches, commands and system events of the instance",
    "Newest first. The admin credential gets a bare camelCase array; a client token gets `{logs: [...]}` with snake_case items.",
  ),
  request: { params: InstanceParams, query: z.object(pageQuery(LIMITS.history)) },
  responses: { 200: json(LogsResponse, "Log entries"), ...COMMON_ERRORS },
});

/** Pools of the instance's type in its region with their price since `since` (none when unknown). */
async function currentPools(
  db: Queryable,
  opts: { ctx: InstanceContext; since: Date },
): Promise<PoolPrice[]> {
  const { instanceType, region } = opts.ctx;
  if (!instanceType || !region) return [];
  return await poolsWithLatestPrice(db, { instanceType, region, since: opts.since, limit: 100 });
}

/** The on-demand price of the instance's type now (the last known one when none is current). */
async function currentOnDemand(
  db: Queryable,
  opts: { ctx: InstanceContext; since: Date },
): Promise<number> {
  const { instanceType, region } = opts.ctx;
  const latest = instanceType && region
    ? await latestOnDemandPrice(db, { region, instanceType, since: opts.since })
    : null;
  return latest ?? opts.ctx.instance?.onDemandPrice ?? 0;
}

/** % below on-demand of a spot price (0 when either is unknown). */
function savingsPercent(price: number | null, onDemand: number): number {
  return price !== null && onDemand > 0 ? round((onDemand - price) / onDemand * 100, 2) : 0;
}

/** Registers E39–E42 and E44. */
export function registerInstanceDetailRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(pricingRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const ctx = await instanceInScope(c, c.req.valid("param").instance_id);
    const since = new Date(clock().getTime() - CURRENT_WINDOW);
    const pools = await currentPools(db, { ctx, since });
    const od = await currentOnDemand(db, { ctx, since });
    const current = pools.find((p) => p.id === ctx.currentPoolId);
    const sorted = [...pools].sort((a, b) =>
      (a.price === null ? 1 : 0) - (b.price === null ? 1 : 0) || (a.price ?? 0) - (b.price ?? 0)
    );
    return c.json({
      instanceId: ctx.instanceId,
      instanceType: ctx.instanceType,
      region: ctx.region,
      currentMode: ctx.currentMode === "unknown" ? "ondemand" : ctx.currentMode,
      currentPool: ctx.currentMode === "spot" && ctx.currentPoolId
        ? {
          id: ctx.currentPoolId,
          name: current?.name ?? ctx.currentPoolId,
          az: current?.az ?? ctx.az ?? "",
        }
        : null,
      onDemand: { name: "On-Demand" as const, price: od },
      pools: sorted.map((p) => ({
        id: p.id,
        name: p.name,
        az: p.az,
        price: p.price ?? 0,
        savings: savingsPercent(p.price, od),
        priceAt: p.priceAt,
      })),
    }, 200);
  });

  app.openapi(metricsRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const now = clock();
    const ctx = await instanceInScope(c, c.req.valid("param").instance_id);
    const inst = ctx.instance;
    const segments = ctx.instanceId
      ? await pricedSegments(db, {
        instanceId: ctx.instanceId,
        clientId: ctx.clientId,
        now,
        limit: 1000,
      })
      : [];
    const counts = await switchCounts(db, {
      clientId: ctx.clientId,
      agentId: ctx.agentId,
      instanceId: ctx.instanceId,
      now,
    });
    const startedAt = inst?.installedAt ?? inst?.createdAt ?? null;
    const endMs = inst?.terminatedAt ? Date.parse(inst.terminatedAt) : now.getTime();
    const lastSwitch = inst?.lastSwitchAt ?? null;
    return c.json({
      id: ctx.instanceId ?? c.req.valid("param").instance_id,
      instanceType: ctx.instanceType,
      currentMode: ctx.currentMode,
      currentPoolId: ctx.currentPoolId,
      spotPrice: inst?.spotPrice ?? 0,
      onDemandPrice: inst?.onDemandPrice ?? 0,
      baselineOnDemandPrice: inst?.baselineOnDemandPrice ?? inst?.onDemandPrice ?? 0,
      uptimeHours: startedAt ? round(Math.max(0, endMs - Date.parse(startedAt)) / HOUR, 2) : 0,
      hoursSinceLastSwitch: lastSwitch
        ? round((now.getTime() - Date.parse(lastSwitch)) / HOUR, 2)
        : null,
      totalSwitches: counts.total,
      switchesLast7Days: counts.last7,
      switchesLast30Days: counts.last30,
      savingsLast30Days: estimateSavings(segments, new Date(now.getTime() - 30 * DAY)),
      totalSavings: estimateSavings(segments),
    }, 200);
  });

  app.openapi(historyRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const { days, interval } = c.req.valid("query");
    const ctx = await instanceInScope(c, c.req.valid("param").instance_id);
    const now = clock();
    const since = new Date(now.getTime() - days * DAY);
    if (!ctx.instanceType || !ctx.region) {
      return c.json({ data: [], pools: [], onDemandPrice: 0 }, 200);
    }
    const pools = await poolsWithLatestPrice(db, {
      instanceType: ctx.instanceType,
      region: ctx.region,
      since,
      limit: 20,
    });
    const keyOf = new Map(pools.map((p) => [p.id, `pool_${p.id.replace(/[^A-Za-z0-9]/g, "_")}`]));
    const spot = await spotPriceBuckets(db, { poolIds: pools.map((p) => p.id), since, interval });
    const od = await onDemandPriceBuckets(db, {
      region: ctx.region,
      instanceType: ctx.instanceType,
      since,
      interval,
    });
    const points = new Map<string, Record<string, number | string | null>>();
    const point = (t: string) => {
      let p = points.get(t);
      if (!p) {
        p = { time: t, onDemand: null };
        for (const k of keyOf.values()) p[k] = null;
        points.set(t, p);
      }
      return p;
    };
    for (const b of od) point(b.bucket).onDemand = round(b.price, 6);
    for (const b of spot) point(b.bucket)[keyOf.get(b.key)!] = round(b.price, 6);
    const data = [...points.values()].sort((a, b) => String(a.time).localeCompare(String(b.time)));
    return c.json({
      data: data as { time: string; onDemand: number | null }[],
      pools: pools.map((p) => ({ id: p.id, name: p.name, az: p.az, key: keyOf.get(p.id)! })),
      onDemandPrice: od.at(-1)?.price ?? ctx.instance?.onDemandPrice ?? 0,
    }, 200);
  });

  app.openapi(optionsRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const ctx = await instanceInScope(c, c.req.valid("param").instance_id);
    const since = new Date(clock().getTime() - CURRENT_WINDOW);
    const pools = await currentPools(db, { ctx, since });
    const types = ctx.instanceType && ctx.region
      ? await familyTypes(db, {
        family: ctx.instanceType.split(".")[0]!,
        region: ctx.region,
        limit: 50,
      })
      : [];
    const od = await currentOnDemand(db, { ctx, since });
    const items = pools.map((p) => ({
      id: p.id,
      name: p.name,
      az: p.az,
      instanceType: p.instanceType,
      price: p.price ?? 0,
      savings: savingsPercent(p.price, od),
    }));
    if (ctx.instanceType && !types.includes(ctx.instanceType)) types.unshift(ctx.instanceType);
    return c.json({
      currentType: ctx.instanceType,
      currentRegion: ctx.region,
      currentAz: ctx.az,
      currentMode: ctx.currentMode,
      currentPoolId: ctx.currentPoolId,
      availablePools: items,
      pools: items,
      availableTypes: types,
      instanceTypes: types,
    }, 200);
  });

  app.openapi(logsRoute, async (c) => {
    const { db } = c.get("deps");
    const { limit, offset } = c.req.valid("query");
    const ctx = await instanceInScope(c, c.req.valid("param").instance_id);
    const entries = ctx.instanceId
      ? await instanceLog(db, { clientId: ctx.clientId, instanceId: ctx.instanceId, limit, offset })
      : [];
    return c.json(
      isAdmin(c)
        ? entries.map(LogEntry.toAdmin)
        : { logs: entries.map(LogEntry.toClient), limit, offset },
      200,
    );
  });
}
