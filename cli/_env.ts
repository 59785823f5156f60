/**
 * Shared bootstrap of the operator CLIs: configuration from the environment (plus the local
 * development secrets in .data/dev_secrets.json when that file exists), and the database from
 * DATABASE_URL or, when unset, the private local stack under .data/ that `deno task dev` uses.
 * Logs go to stderr so stdout carries only what the command prints.
 */
import { ConfigError, parseConfig } from "../config.ts";
import type { Config } from "../config.ts";
import { createLogger, systemClock } from "../core/log.ts";
import type { Logger } from "../core/log.ts";
import { createDb } from "../db/client.ts";
import type { Db } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { devSecrets } from "../db/local/dev.ts";
import type { LocalStack } from "../db/local/stack.ts";
import { createServices } from "../services/mod.ts";
import type { AppDeps } from "../routes/_app.ts";

const DATA_DIR = ".data";

/** Dependencies of a CLI run plus `close()`, which must be awaited before exiting. */
export interface CliDeps extends AppDeps {
  close(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Parses the configuration: the environment wins over the local development secrets. */
export async function loadCliConfig(): Promise<Config> {
  const env = Deno.env.toObject();
  // Only read the dev secrets when present: devSecrets() would create them otherwise.
  if (await exists(`${DATA_DIR}/dev_secrets.json`)) {
    Object.assign(env, { ...(await devSecrets(DATA_DIR)), ...env });
  }
  return parseConfig(env);
}

/** A logger on stderr: warnings and errors only, unless LOG_LEVEL=debug. */
export function cliLogger(config: Config): Logger {
  const level = config.LOG_LEVEL === "debug" ? "debug" : "warn";
  return createLogger({ level, sink: (line) => console.error(line) });
}

/** The operator running a CLI, for the audit log (`cli:<login>`). */
export function cliActorId(): string {
  return `cli:${Deno.env.get("USER") ?? Deno.env.get("LOGNAME") ?? "unknown"}`;
}

/** An open database for a CLI command, and how to let go of it. */
export interface CliDb {
  db: Db;
  close(): Promise<void>;
}

/**
 * Opens DATABASE_URL, or the local stack under .data/ when it is unset. A MariaDB that
 * `deno task dev` runs is reused and keeps running after the command.
 */
export async function openCliDb(config: Config, log: Logger): Promise<CliDb> {
  if (config.DATABASE_URL) {
    const db = createDb({ url: config.DATABASE_URL, timeoutMs: config.DB_TIMEOUT_MS });
    return { db, close: () => Promise.resolve() };
  }
  const { ensureMariaDbInstalled } = await import("../db/local/mariadb.ts");
  const { startLocalStack } = await import("../db/local/stack.ts");
  const dataDir = `${Deno.cwd()}/${DATA_DIR}/mariadb`;
  const launcher = `${dataDir}/launcher.json`;
  const before = await Deno.readTextFile(launcher).catch(() => null);
  await ensureMariaDbInstalled((m) => log.info(m));
  const stack: LocalStack = await startLocalStack({
    dataDir,
    log: (m) => log.debug(m),
    timeoutMs: config.DB_TIMEOUT_MS,
  });
  const startedHere = before === null ||
    before !== await Deno.readTextFile(launcher).catch(() => null);
  return {
    db: stack.open("spot_optimizer"),
    close: () => startedHere ? stack.stop() : stack.handler.close(),
  };
}

/** Opens the database (migrated) and builds the app dependencies for a CLI command. */
export async function openCliDeps(config: Config): Promise<CliDeps> {
  const log = cliLogger(config);
  const { db, close } = await openCliDb(config, log);
  await migrate(db, { log: (m) => log.info(m) });
  const services = createServices(config, log, `cli-${Deno.pid}`);
  return {
    db,
    config,
    clock: systemClock,
    log,
    services,
    async close() {
      await services.background.drain();
      await close();
    },
  };
}

/**
 * Runs a CLI's `main` and exits with its code. A configuration error exits 2 with its message,
 * anything else 1 with `error: ...`; with `usage`, a RangeError or TypeError (bad arguments) exits
 * 2 and prints the usage after the message.
 */
export async function runCli(
  main: (args: string[]) => Promise<number>,
  opts: { usage?: string } = {},
): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    const usage = opts.usage !== undefined &&
      (err instanceof RangeError || err instanceof TypeError);
    console.error(
      err instanceof ConfigError
        ? err.message
        : `error: ${err instanceof Error ? err.message : err}${usage ? `\n${opts.usage}` : ""}`,
    );
    Deno.exit(err instanceof ConfigError || usage ? 2 : 1);
  }
}
