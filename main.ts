/**
 * Composition root: config -> database -> migrations -> createApp -> crons -> serve -> graceful
 * shutdown. `--dev` (deno task dev) without DATABASE_URL starts a private MariaDB under .data/
 * and the protocol endpoint in-process, creates a demo client and prints its token.
 */
import { ConfigError, parseConfig } from "./config.ts";
import { createLogger, systemClock } from "./core/log.ts";
import { createDb } from "./db/client.ts";
import type { Db } from "./db/client.ts";
import { currentSchemaVersion, LATEST_SCHEMA_VERSION, migrate } from "./db/migrate.ts";
import { createApp } from "./routes/mod.ts";
import { createServices } from "./services/mod.ts";
import type { AppDeps } from "./routes/_app.ts";
import { registerJobs } from "./jobs/mod.ts";
import { devSecrets, seedDemo } from "./db/local/dev.ts";
import { evaluateAfterPricingReport } from "./services/decision_evaluation.ts";
import { startHealthFlusher } from "./services/health_buffer.ts";
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
    const current = await currentSchemaVersion(db);
    if (current !== LATEST_SCHEMA_VERSION) {
      throw new ConfigError(
        `database schema is at ${
          current ?? "nothing"
        }, this server needs ${LATEST_SCHEMA_VERSION}: run \`deno task migrate\` first (or set MIGRATE_ON_START=true)`,
      );
    }
    log.info("schema ready", { version: current });
  }

  const services = createServices(config, log);
  // The decision engine runs after every stored pricing report, off the agent's request path.
  services.onPricingReport = evaluateAfterPricingReport;
  const deps: AppDeps = { db, config, clock: systemClock, log, services };
  if (dev) await seedDemo(deps);
  const app = createApp(deps);

  const cronAbort = new AbortController();
  // Server-side heartbeat metrics are aggregated in memory and written in batches.
  startHealthFlusher(deps, cronAbort.signal);
  if (config.CRON_ENABLED) {
    registerJobs(
      { db, config, clock: systemClock, log, instanceName: services.instanceName },
      cronAbort.signal,
    );
  }

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
    cronAbort.abort();
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
