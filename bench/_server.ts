/**
 * The server process of `bench/agents_load.ts`: the real app (createApp, the same services,
 * crons, health flusher and decision-engine hook as main.ts) on the local stack (in-process
 * protocol endpoint in front of the MariaDB the bench started), served by Deno.serve on
 * 127.0.0.1. Bench-only additions: GET /__bench/stats reports requests per route, the
 * statements the app's metrics attribute to each route, and the decision engine's statements
 * (counted with an AsyncLocalStorage around each engine run). Prints one JSON line
 * `{port, tokens}` on stdout when ready. Not a production entry point.
 *
 * Environment: BENCH_MYSQL_SOCKET, BENCH_MYSQL_USER, BENCH_MYSQL_PORT (set: TCP to 127.0.0.1 on
 * that port instead of the socket), BENCH_DB_TIMEOUT_MS, BENCH_CLIENTS (default 10),
 * BENCH_LOG_LEVEL (default warn), BENCH_ENGINE (1 = wire the decision engine, default 1),
 * BENCH_PSDB_POOL (backend connections of the endpoint, default the local stack's 120),
 * BENCH_LAG_LOG (1 = every 10 s, the event loop's lateness and the statements' durations on
 * stderr), and the production settings HEARTBEAT_WRITE_BEHIND_SECONDS and
 * COMMAND_POLL_CACHE_SECONDS (their defaults when unset).
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { parseConfig } from "../config.ts";
import { createLogger, systemClock } from "../core/log.ts";
import { signClientToken } from "../core/tokens.ts";
import type { Db, Queryable } from "../db/client.ts";
import { insertClient } from "../db/clients.ts";
import { startLocalStack } from "../db/local/stack.ts";
import { pathOf } from "../db/local/psdb_server.ts";
import { migrate } from "../db/migrate.ts";
import { registerJobs } from "../jobs/mod.ts";
import { createServices } from "../services/mod.ts";
import { createApp } from "../routes/mod.ts";
import { startHealthFlusher } from "../services/health_buffer.ts";
import { startHeartbeatFlusher } from "../services/heartbeat.ts";

interface Counter {
  n: number;
}
interface RouteStats {
  requests: number;
  statements: number;
  errors: number;
}

const als = new AsyncLocalStorage<Counter>();

/** A Db that adds each statement (BEGIN/COMMIT included) to the current request's counter. */
function countingDb(db: Db): Db {
  const bump = (k: number) => {
    const s = als.getStore();
    if (s) s.n += k;
  };
  return {
    execute(sql, args) {
      bump(1);
      return db.execute(sql, args);
    },
    transaction(fn) {
      bump(2);
      return db.transaction((tx) => {
        const counted: Queryable = {
          execute(sql, args) {
            bump(1);
            return tx.execute(sql, args);
          },
        };
        return fn(counted);
      });
    },
    roundTrips: () => db.roundTrips(),
    observeStatements: (o) => db.observeStatements!(o),
  };
}

/**
 * Requests and errors per route (counted here) with the statements the app's own metrics
 * attribute to the route (spot_db_statements_total, read from GET /metrics): no
 * AsyncLocalStorage of the bench's own around each request, so the server does what main.ts does.
 */
async function routeStats(
  app: { request(path: string, init: RequestInit): Response | Promise<Response> },
  token: string,
  routes: Map<string, { requests: number; errors: number }>,
): Promise<Record<string, RouteStats>> {
  const res = await app.request("/metrics", { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text}`);
  const byRoute = new Map<string, number>();
  for (const m of text.matchAll(/^spot_db_statements_total\{kind="([^"]*)"\} (\S+)$/gm)) {
    // `/api/agents/:agent_id/heartbeat` -> the routeKey form `/api/agents/{id}/heartbeat`.
    byRoute.set(m[1].replace(/:\w+/g, "{id}"), Number(m[2]));
  }
  const out: Record<string, RouteStats> = {};
  for (const [key, s] of routes) {
    out[key] = { ...s, statements: byRoute.get(key.slice(key.indexOf(" ") + 1)) ?? 0 };
  }
  return out;
}

/** `/api/agents/<uuid>/heartbeat` -> `POST /api/agents/{id}/heartbeat`. */
function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/^\/api\/agents\/(?!register$)[^/]+/, "/api/agents/{id}")}`;
}

function randomKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function main(): Promise<void> {
  const env = Deno.env.toObject();
  const socketPath = env.BENCH_MYSQL_SOCKET;
  const user = env.BENCH_MYSQL_USER;
  if (!socketPath || !user) throw new Error("BENCH_MYSQL_SOCKET and BENCH_MYSQL_USER are required");
  const metricsToken = randomKey();
  const config = parseConfig({
    TOKEN_SIGNING_KEYS: `bench:${randomKey()}`,
    METRICS_TOKEN: metricsToken,
    LOG_LEVEL: env.BENCH_LOG_LEVEL ?? "warn",
    HOST: "127.0.0.1",
    PORT: "0",
    ...(env.BENCH_DB_TIMEOUT_MS ? { DB_TIMEOUT_MS: env.BENCH_DB_TIMEOUT_MS } : {}),
    // The production defaults unless the bench run sets these (e.g. to compare with them off).
    ...Object.fromEntries(
      ["HEARTBEAT_WRITE_BEHIND_SECONDS", "COMMAND_POLL_CACHE_SECONDS"]
        .filter((k) => env[k] !== undefined).map((k) => [k, env[k]]),
    ),
  });
  const log = createLogger({ level: config.LOG_LEVEL, sink: (l) => console.error(l) });
  const stack = await startLocalStack({
    backend: env.BENCH_MYSQL_PORT
      ? { host: "127.0.0.1", port: Number(env.BENCH_MYSQL_PORT), user }
      : { socketPath, user },
    timeoutMs: config.DB_TIMEOUT_MS,
    ...(env.BENCH_PSDB_POOL ? { poolLimit: Number(env.BENCH_PSDB_POOL) } : {}),
  });
  const rawDb = stack.open("bench_agents");
  await migrate(rawDb);
  const db = countingDb(rawDb);
  const deps = createServices(config, db, systemClock, log, {
    instanceName: "bench",
    engine: env.BENCH_ENGINE !== "0",
  });
  const { services } = deps;
  const engine: RouteStats = { requests: 0, statements: 0, errors: 0 };
  const evaluate = services.onPricingReport;
  if (evaluate) {
    // The production hook, wrapped: the engine's statements are counted on their own, not on
    // the report.
    services.onPricingReport = (d, event) => {
      const counter = { n: 0 };
      return als.run(counter, async () => {
        try {
          await evaluate(d, event);
        } catch (err) {
          engine.errors++;
          throw err;
        } finally {
          engine.requests++;
          engine.statements += counter.n;
        }
      });
    };
  }
  const app = createApp(deps);
  const stop = new AbortController();
  if (config.CRON_ENABLED) {
    const jobDeps = { db, config, clock: systemClock, log, instanceName: services.instanceName };
    registerJobs(config, () => jobDeps, { signal: stop.signal });
  }
  startHealthFlusher(deps, stop.signal);
  startHeartbeatFlusher(deps, stop.signal);

  const clients = Number(env.BENCH_CLIENTS ?? "10");
  const tokens: string[] = [];
  for (let i = 0; i < clients; i++) {
    const id = crypto.randomUUID();
    await insertClient(rawDb, {
      id,
      name: `bench-${i}-${id.slice(0, 6)}`,
      email: `${id.slice(0, 8)}@bench.test`,
    });
    tokens.push(
      await signClientToken(services.keys, { clientId: id, version: 1, now: new Date() }),
    );
  }

  // BENCH_LAG_LOG=1: every 10 s, the event loop's lateness (a 10 ms timer) on stderr.
  if (env.BENCH_LAG_LOG === "1") {
    let lags: number[] = [];
    let stmts: number[] = [];
    rawDb.observeStatements?.((ms) => stmts.push(ms));
    let due = performance.now() + 10;
    const tick = setInterval(() => {
      const now = performance.now();
      lags.push(now - due);
      due = now + 10;
    }, 10);
    const report = setInterval(() => {
      const line = (xs: number[]) => {
        const sorted = xs.sort((a, b) => a - b);
        const at = (q: number) =>
          sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(1);
        return `p50 ${at(0.5)} p99 ${at(0.99)} max ${
          sorted.at(-1)?.toFixed(1)
        } ms (${sorted.length})`;
      };
      const t = new Date().toISOString().slice(11, 19);
      console.error(`lag ${t} ${line(lags)}; statements ${line(stmts)}`);
      lags = [];
      stmts = [];
    }, 10_000);
    stop.signal.addEventListener("abort", () => {
      clearInterval(tick);
      clearInterval(report);
    });
  }

  const routes = new Map<string, { requests: number; errors: number }>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(JSON.stringify({ port, tokens })),
  }, async (req) => {
    const path = pathOf(req.url);
    if (path === "/__bench/stats") {
      return Response.json({
        routes: await routeStats(app, metricsToken, routes),
        engine: { ...engine, wired: evaluate !== null },
        statements: rawDb.roundTrips(),
        healthBufferAgents: services.healthBuffer.size(),
        heartbeatMemo: services.heartbeats.stats(),
      });
    }
    const res = await app.fetch(req);
    const key = routeKey(req.method, path);
    let s = routes.get(key);
    if (!s) routes.set(key, s = { requests: 0, errors: 0 });
    s.requests++;
    if (res.status >= 400) s.errors++;
    return res;
  });

  const shutdown = async () => {
    stop.abort();
    await server.shutdown();
    await services.background.drain();
    await stack.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void shutdown());
  Deno.addSignalListener("SIGINT", () => void shutdown());
}

if (import.meta.main) await main();
