/**
 * GET /api/admin/interruptions/stats: the notice-to-ready timeline over a window. Counts of
 * notices, p50/p95 of notice → replica ready and notice → promoted (seconds, nearest rank), and
 * the notices that ended without a replica grouped by reason (auto_create_disabled,
 * agent_disabled, not_primary, manual_replica_ready, no_pool, never_registered, replica_failed,
 * replica_deleted ...).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { StatsAnswer, StatsQuery } from "./interruption_schemas.ts";
import { countRebalanceWindows, listNoticeTimelines } from "../../db/termination_stats.ts";
import type { NoticeTimeline } from "../../db/termination_stats.ts";
import { errorResponse, json } from "../_openapi.ts";

const statsRoute = defineRoute("admin", {
  method: "get",
  path: "/api/admin/interruptions/stats",
  tags: ["admin"],
  summary: "Termination notices: notice-to-ready/promoted percentiles and notices without replica",
  request: { query: StatsQuery },
  responses: {
    200: json(StatsAnswer, "Statistics"),
    400: errorResponse("Validation failed"),
    401: errorResponse("Missing or invalid credential"),
    403: errorResponse("Not the admin credential"),
  },
});

/** Nearest-rank percentile of a list (null when empty), rounded to 0.1 s. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return Math.round(sorted[rank - 1] * 10) / 10;
}

/** Aggregates notice timelines into the stats answer (without window and rebalance count). */
export function summarizeNotices(rows: NoticeTimeline[]): Omit<
  typeof StatsAnswer._output,
  "from" | "to" | "rebalance_windows"
> {
  const ready = rows.flatMap((r) => r.toReadySeconds === null ? [] : [r.toReadySeconds]);
  const promoted = rows.flatMap((r) => r.toPromotedSeconds === null ? [] : [r.toPromotedSeconds]);
  const reasons: Record<string, number> = {};
  let without = 0;
  for (const r of rows) {
    if (r.status === "resolved" || r.toPromotedSeconds !== null) continue;
    const reason = r.noReplicaReason ?? (r.status === "failed" ? "failed" : null);
    if (reason === null) continue; // still being handled
    without++;
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return {
    notices: rows.length,
    replica_requested: rows.filter((r) => r.replicaRequested).length,
    replica_registered: rows.filter((r) => r.registered).length,
    resolved: rows.filter((r) => r.status === "resolved").length,
    open: rows.filter((r) => r.status === "detected" || r.status === "handling").length,
    notice_to_ready_seconds: {
      count: ready.length,
      p50: percentile(ready, 50),
      p95: percentile(ready, 95),
    },
    notice_to_promoted_seconds: {
      count: promoted.length,
      p50: percentile(promoted, 50),
      p95: percentile(promoted, 95),
    },
    without_replica: { total: without, reasons },
  };
}

/** Registers GET /api/admin/interruptions/stats. */
export function registerInterruptionStats(app: OpenAPIHono<AppEnv>): void {
  app.openapi(statsRoute, async (c) => {
    const { db, clock } = c.get("deps");
    const q = c.req.valid("query");
    const to = clock();
    const from = new Date(to.getTime() - q.days * 86_400_000);
    const scope = { from, to: new Date(to.getTime() + 1), clientId: q.client_id ?? null };
    const rows = await listNoticeTimelines(db, scope);
    const rebalances = await countRebalanceWindows(db, scope);
    return c.json({
      from: from.toISOString(),
      to: to.toISOString(),
      rebalance_windows: rebalances,
      ...summarizeNotices(rows),
    }, 200);
  });
}
