/**
 * GET /api/admin/system-health (CONTRACT E64, the seed's "System Health"): database reachability
 * and latency, schema version, every scheduled job's last run (from job_runs) and when it is due,
 * agent liveness derived from heartbeats, open and expired commands, and an overall verdict with
 * its reasons. The predecessor's keys (apiStatus, database, decisionEngineStatus, modelStatus) stay
 * so the admin dashboard's page renders; there are no uploaded engines or models any more.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { VERSION } from "../../core/version.ts";
import { latestJobRuns } from "../../db/job_runs.ts";
import type { JobRunRow } from "../../db/job_runs.ts";
import { agentLiveness, commandCounts } from "../../db/admin_system.ts";
import { currentSchemaVersion } from "../../db/migrate.ts";
import type { AgentLiveness, CommandCounts } from "../../db/admin_system.ts";
import { COMMON_ERRORS, json } from "../_openapi.ts";
import { ADMIN_AUTH, SystemHealthResponse } from "./schemas.ts";
import { evaluateJob, overallStatus } from "./_job_health.ts";

/** Database round trips slower than this degrade the verdict. */
const SLOW_DB_MS = 1000;

const route = defineRoute("admin", {
  method: "get",
  path: "/api/admin/system-health",
  tags: ["admin"],
  summary: "System health: database, jobs, agents, commands, overall verdict",
  description:
    `${ADMIN_AUTH} Always 200 (the dashboard renders the body); \`status\` is the verdict: \`down\` when the database is unreachable, \`degraded\` with the \`reasons\` (a job whose last run failed, died past its lease or is overdue by a whole period; a database round trip over ${SLOW_DB_MS} ms), else \`ok\`. Agents: online = status online with a heartbeat within AGENT_HEARTBEAT_TIMEOUT, stale = status online without one (the stale-agent job has not run yet). The decision engine is built in (configured by settings); model uploads are gone, so modelStatus is always unloaded. For load balancers use GET /health.`,
  responses: { 200: json(SystemHealthResponse, "Health report"), ...COMMON_ERRORS },
});

/** Registers E64. */
export function registerSystemHealthRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(route, async (c) => {
    const { db, clock, config, services } = c.get("deps");
    const now = clock();
    const reasons: string[] = [];
    let reachable = true;
    let latencyMs: number | null = null;
    let version: string | null = null;
    let dbError: string | null = null;
    let runs: JobRunRow[] = [];
    let agents: AgentLiveness | null = null;
    let commands: CommandCounts | null = null;
    const started = performance.now();
    try {
      version = await currentSchemaVersion(db);
      latencyMs = Math.round((performance.now() - started) * 100) / 100;
      runs = await latestJobRuns(db);
      agents = await agentLiveness(
        db,
        new Date(now.getTime() - config.AGENT_HEARTBEAT_TIMEOUT * 1000),
      );
      commands = await commandCounts(db, new Date(now.getTime() - 86_400_000));
    } catch (err) {
      if (latencyMs === null) reachable = false;
      dbError = err instanceof Error ? err.message.slice(0, 300) : String(err);
      reasons.push(
        reachable ? `database query failed: ${dbError}` : `database unreachable: ${dbError}`,
      );
    }
    if (latencyMs !== null && latencyMs > SLOW_DB_MS) {
      reasons.push(`database round trip took ${latencyMs} ms`);
    }
    const lastOf = new Map(runs.map((r) => [r.job, r]));
    const defs: { name: string; periodSeconds: number | null; offsetSeconds: number }[] = services
      .jobs.map((
        j,
      ) => ({
        name: j.name,
        periodSeconds: j.periodSeconds(config),
        offsetSeconds: j.offsetSeconds?.(config) ?? 0,
      }));
    // Jobs that left job_runs rows but are no longer scheduled are still reported.
    for (const r of runs) {
      if (!defs.some((d) => d.name === r.job)) {
        defs.push({ name: r.job, periodSeconds: null, offsetSeconds: 0 });
      }
    }
    const jobs = reachable
      ? defs.map((d) => evaluateJob(d, lastOf.get(d.name) ?? null, now))
      : defs.map((d) => evaluateJob(d, null, now));
    for (const j of jobs) if (j.problem) reasons.push(j.problem);
    const status = overallStatus(reachable, reasons);
    return c.json({
      status,
      reasons,
      timestamp: now.toISOString(),
      version: VERSION,
      apiStatus: status === "ok" ? "Healthy" : status === "degraded" ? "Degraded" : "Unhealthy",
      database: reachable ? "Connected" as const : "Disconnected" as const,
      decisionEngine: "Loaded",
      connectionPool: "n/a (stateless HTTP driver)",
      databaseStatus: { reachable, latencyMs, schemaVersion: version, error: dbError },
      decisionEngineStatus: {
        loaded: true as const,
        type: "builtin" as const,
        version: VERSION,
        filesUploaded: 0 as const,
        files: [],
      },
      modelStatus: {
        loaded: false as const,
        name: null,
        version: null,
        filesUploaded: 0 as const,
        activeModels: [],
        files: [],
      },
      jobs: jobs.map(({ problem: _p, ...j }) => j),
      agents: agents
        ? { ...agents, heartbeatTimeoutSeconds: config.AGENT_HEARTBEAT_TIMEOUT }
        : null,
      commands: commands
        ? {
          pending: commands.pending,
          delivered: commands.delivered,
          expired: commands.expired,
          expiredLast24h: commands.expiredSince,
        }
        : null,
    }, 200);
  });
}
