/**
 * GET /metrics: Prometheus text format (prom-client, one registry per app). Counted on the way:
 * requests and latency per route template and status class, rate-limited (429) answers, and
 * database statements and time per request kind (the Db's statement observer, attributed to
 * the request through AsyncLocalStorage; outside a request the kind is `background`). Computed
 * from the database at scrape time, never on hot paths: agents online/offline, open commands, job
 * runs by outcome and the latest duration, termination events, emergency replicas, decisions by
 * action.
 * Readable with the admin credential or METRICS_TOKEN.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import client from "prom-client";
import type { MiddlewareHandler } from "hono";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "./_app.ts";
import { resolvePrincipal } from "./_middleware/auth.ts";
import { onlineAgentPredicate } from "../db/stale_agents.ts";
import { constantTimeEqual } from "../core/tokens.ts";

interface RequestTally {
  statements: number;
  ms: number;
}

/** The app's metrics: its middleware and the scrape route. */
export interface AppMetrics {
  registry: client.Registry;
  middleware: MiddlewareHandler<AppEnv>;
}

/** Builds the registry and hooks the database's statement observer. */
export function createMetrics(deps: AppDeps): AppMetrics {
  const registry = new client.Registry();
  const registers = [registry];
  const requests = new client.Counter({
    name: "spot_http_requests_total",
    help: "HTTP requests by method, route template and status class",
    labelNames: ["method", "route", "status_class"],
    registers,
  });
  const latency = new client.Histogram({
    name: "spot_http_request_duration_seconds",
    help: "HTTP request latency by route template and status class",
    labelNames: ["route", "status_class"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const rateLimited = new client.Counter({
    name: "spot_rate_limited_requests_total",
    help: "Requests answered 429 by route template",
    labelNames: ["route"],
    registers,
  });
  const statements = new client.Counter({
    name: "spot_db_statements_total",
    help: "Database statements by request kind (route template, or background)",
    labelNames: ["kind"],
    registers,
  });
  const dbSeconds = new client.Counter({
    name: "spot_db_statement_seconds_total",
    help: "Database time by request kind",
    labelNames: ["kind"],
    registers,
  });
  const dbErrors = new client.Counter({
    name: "spot_db_statement_errors_total",
    help: "Failed database statements",
    registers,
  });
  const als = new AsyncLocalStorage<RequestTally>();
  deps.db.observeStatements?.((ms, ok) => {
    if (!ok) dbErrors.inc();
    const tally = als.getStore();
    if (tally) {
      tally.statements++;
      tally.ms += ms;
    } else {
      statements.inc({ kind: "background" });
      dbSeconds.inc({ kind: "background" }, ms / 1000);
    }
  });

  new client.Gauge({
    name: "spot_agents",
    help: "Agents by state (online: heartbeat within AGENT_HEARTBEAT_TIMEOUT), at scrape time",
    labelNames: ["state"],
    registers,
    async collect() {
      const p = onlineAgentPredicate("a", {
        now: deps.clock(),
        timeoutSeconds: deps.config.AGENT_HEARTBEAT_TIMEOUT,
      });
      const { rows } = await deps.db.execute<{ online: number | null; total: number }>(
        `SELECT SUM(CASE WHEN ${p.sql} THEN 1 ELSE 0 END) AS online, COUNT(*) AS total FROM agents a WHERE a.deleted_at IS NULL AND a.status <> 'deleted'`,
        p.args,
      );
      const online = Number(rows[0]?.online ?? 0);
      this.set({ state: "online" }, online);
      this.set({ state: "offline" }, Number(rows[0]?.total ?? 0) - online);
    },
  });
  new client.Gauge({
    name: "spot_open_commands",
    help: "Commands pending or delivered and not yet executed, at scrape time",
    labelNames: ["status"],
    registers,
    async collect() {
      const { rows } = await deps.db.execute<{ status: string; n: number }>(
        "SELECT status, COUNT(*) AS n FROM commands WHERE status IN ('pending', 'delivered') GROUP BY status",
      );
      this.set({ status: "pending" }, 0);
      this.set({ status: "delivered" }, 0);
      for (const r of rows) this.set({ status: r.status }, Number(r.n));
    },
  });

  // Activity of the last 24 hours (1 hour for decisions), from the database at scrape time, so
  // every instance reports the same fleet-wide numbers and nothing is added to the hot paths.
  const since = (hours: number) => new Date(deps.clock().getTime() - hours * 3600_000);
  new client.Gauge({
    name: "spot_job_runs_24h",
    help: "Scheduled job runs started in the last 24 hours by job and outcome (ok, error, running)",
    labelNames: ["job", "outcome"],
    registers,
    async collect() {
      const { rows } = await deps.db.execute<{ job: string; status: string; n: number }>(
        "SELECT job, status, COUNT(*) AS n FROM job_runs WHERE started_at >= ? GROUP BY job, status",
        [since(24)],
      );
      this.reset();
      for (const r of rows) this.set({ job: r.job, outcome: r.status }, Number(r.n));
    },
  });
  new client.Gauge({
    name: "spot_job_run_last_duration_seconds",
    help: "Duration of each job's latest finished run in the last 24 hours",
    labelNames: ["job"],
    registers,
    async collect() {
      const { rows } = await deps.db.execute<{ job: string; s: number | null }>(
        "SELECT j.job, TIMESTAMPDIFF(MICROSECOND, j.started_at, j.finished_at) / 1000000 AS s FROM job_runs j JOIN (SELECT job, MAX(started_at) AS m FROM job_runs WHERE finished_at IS NOT NULL AND started_at >= ? GROUP BY job) l ON l.job = j.job AND l.m = j.started_at",
        [since(24)],
      );
      this.reset();
      for (const r of rows) if (r.s !== null) this.set({ job: r.job }, Number(r.s));
    },
  });
  new client.Gauge({
    name: "spot_termination_events_24h",
    help: "Termination notices and rebalance recommendations detected in the last 24 hours",
    labelNames: ["event_type"],
    registers,
    async collect() {
      const { rows } = await deps.db.execute<{ event_type: string; n: number }>(
        "SELECT event_type, COUNT(*) AS n FROM termination_events WHERE detected_at >= ? GROUP BY event_type",
        [since(24)],
      );
      this.set({ event_type: "termination_notice" }, 0);
      this.set({ event_type: "rebalance_recommendation" }, 0);
      for (const r of rows) this.set({ event_type: r.event_type }, Number(r.n));
    },
  });
  new client.Gauge({
    name: "spot_emergency_replicas_24h",
    help: "Emergency replicas created in the last 24 hours",
    registers,
    async collect() {
      const { rows } = await deps.db.execute<{ n: number }>(
        "SELECT COUNT(*) AS n FROM replica_instances WHERE replica_type = 'emergency' AND created_at >= ?",
        [since(24)],
      );
      this.set(Number(rows[0]?.n ?? 0));
    },
  });
  new client.Gauge({
    name: "spot_decisions_1h",
    help: "Decisions recorded in the last hour by recommended action",
    labelNames: ["action"],
    registers,
    async collect() {
      const { rows } = await deps.db.execute<{ action: string | null; n: number }>(
        "SELECT recommended_action AS action, COUNT(*) AS n FROM agent_decision_history WHERE decision_time >= ? GROUP BY recommended_action",
        [since(1)],
      );
      this.reset();
      for (const r of rows) this.set({ action: r.action ?? "none" }, Number(r.n));
    },
  });

  const perRoute = new Map<string, {
    requests: client.Counter.Internal;
    latency: client.Histogram.Internal<string>;
  }>();
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const started = performance.now();
    const tally: RequestTally = { statements: 0, ms: 0 };
    try {
      await als.run(tally, () => next());
    } finally {
      const route = c.req.routePath === "*" || c.req.routePath === "/*"
        ? "unmatched"
        : c.req.routePath;
      const status = c.res.status;
      const statusClass = `${Math.floor(status / 100)}xx`;
      const method = c.req.method;
      // prom-client hashes a label object on every call; the bound children are kept instead.
      const key = `${method} ${statusClass} ${route}`;
      let series = perRoute.get(key);
      if (!series) {
        series = {
          requests: requests.labels({ method, route, status_class: statusClass }),
          latency: latency.labels({ route, status_class: statusClass }),
        };
        perRoute.set(key, series);
      }
      series.requests.inc();
      series.latency.observe((performance.now() - started) / 1000);
      if (status === 429) rateLimited.inc({ route });
      if (tally.statements > 0) {
        statements.inc({ kind: route }, tally.statements);
        dbSeconds.inc({ kind: route }, tally.ms / 1000);
      }
    }
  };
  return { registry, middleware };
}

/** Registers GET /metrics (admin credential or METRICS_TOKEN). */
export function registerMetrics(app: OpenAPIHono<AppEnv>, metrics: AppMetrics): void {
  app.get("/metrics", async (c) => {
    const deps = c.get("deps");
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    let allowed = false;
    if (m) {
      const token = m[1];
      const mt = deps.config.METRICS_TOKEN;
      if (mt && constantTimeEqual(token, mt)) allowed = true;
      else {
        allowed = await resolvePrincipal(deps, token).then((p) => p.kind === "admin", () => false);
      }
    }
    if (!allowed) {
      return c.json(
        { error: "Admin credential or METRICS_TOKEN required", code: "unauthorized" },
        401,
      );
    }
    c.header("Content-Type", metrics.registry.contentType);
    c.header("Cache-Control", "no-store");
    return c.body(await metrics.registry.metrics(), 200);
  });
}
