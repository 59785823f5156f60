/**
 * Composition root. At module top level, before anything else: crons.ts registers every job with
 * Deno.cron (Deno Deploy finds crons only there). Then config -> database -> schema check (or
 * migrations in dev) -> createServices -> createApp -> the crons get their dependencies -> serve
 * -> graceful shutdown. `--dev` (deno task dev) without DATABASE_URL starts a private MariaDB
 * under .data/ and the protocol endpoint in-process, creates a demo client and prints its token.
 */
// First import: registers the crons at top level, before Deno.serve.
import { setCronDeps, stopCrons } from "./crons.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { createLogger, systemClock } from "./core/log.ts";
import { createDb } from "./db/client.ts";
import type { Db } from "./db/client.ts";
import { LATEST_SCHEMA_VERSION, migrate } from "./db/migrate.ts";
import { schemaVersionProblem } from "./db/schema_version.ts";
import { createApp } from "./routes/mod.ts";
import { createServices } from "./services/mod.ts";
import { devSecrets } from "./db/local/dev.ts";
import { seedDemo } from "./services/dev_seed.ts";
import { startHealthFlusher } from "./services/health_buffer.ts";
import { startHeartbeatFlusher } from "./services/heartbeat.ts";
import type { LocalStack } from "./db/local/stack.ts";

const dev = Deno.args.includes("--dev");

async function main(): Promise<void> {
  const env = Deno.env.toObject();
  if (dev) Object.assign(env, { ...(await devSecrets(".data")), ...env });
  const config = parseConfig(env);
  const log = createLogger({ level: config.LOG_LEVEL });

  let db: Db;
  let stack: LocalStack | null = null;
  if (config.DATABASE_URL) {
    db = createDb({ url: config.DATABASE_URL, timeoutMs: config.DB_TIMEOUT_MS });
  } else if (dev) {
    const { ensureMariaDbInstalled } = await import("./db/local/mariadb.ts");
    const { startLocalStack } = await import("./db/local/stack.ts");
    await ensureMariaDbInstalled((m) => log.info(m));
    log.info("starting private MariaDB under .data/mariadb (first run: ~10 s)");
    stack = await startLocalStack({
      dataDir: `${Deno.cwd()}/.data/mariadb`,
      log: (m) => log.debug(m),
      timeoutMs: config.DB_TIMEOUT_MS,
    });
    db = stack.open("spot_optimizer");
  } else {
    throw new ConfigError(
      "invalid configuration:\n  DATABASE_URL: required (or run `deno task dev` for the local stack)",
    );
  }

  if (dev || config.MIGRATE_ON_START) {
    const migrated = await migrate(db, { log: (m) => log.info(m) });
    log.info("schema ready", {
      version: migrated.schemaVersion,
      created: migrated.createdTables.length,
    });
  } else {
    const problem = await schemaVersionProblem(db);
    if (problem) throw new ConfigError(`${problem} (or set MIGRATE_ON_START=true)`);
    log.info("schema ready", { version: LATEST_SCHEMA_VERSION });
  }

  // The production app: createServices wires the decision engine, caches and background queue.
  const deps = createServices(config, db, systemClock, log);
  const { services } = deps;
  if (dev) await seedDemo(deps);
  const app = createApp(deps);

  const flusherAbort = new AbortController();
  // Server-side heartbeat metrics are aggregated in memory and written in batches.
  startHealthFlusher(deps, flusherAbort.signal);
  // Repeated heartbeats are answered from memory and written in batches (services/heartbeat.ts).
  startHeartbeatFlusher(deps, flusherAbort.signal);
  // From now on cron ticks run their job (CRON_ENABLED=false: every tick returns at once).
  setCronDeps({ db, config, clock: systemClock, log, instanceName: services.instanceName });

  const server = Deno.serve({
    hostname: config.HOST,
    port: config.PORT,
    onListen: ({ hostname, port }) => log.info("listening", { url: `http://${hostname}:${port}` }),
  }, app.fetch);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    stopCrons();
    flusherAbort.abort();
    await server.shutdown();
    await services.background.drain();
    if (stack) await stack.stop();
    log.info("stopped");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void shutdown("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => void shutdown("SIGINT"));
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      Deno.exit(2);
    }
    throw err;
  }
}
