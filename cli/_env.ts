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
import { schemaVersionProblem } from "../db/schema_version.ts";
import { devSecrets } from "../db/local/dev.ts";
import type { LocalStack } from "../db/local/stack.ts";
import { createServices } from "../services/mod.ts";
import type { AppDeps } from "../services/types.ts";

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

/** Refused before any work: the database is not at the schema version this code needs. */
export class SchemaRefusal extends Error {
  override name = "SchemaRefusal";
}

/**
 * Opens the database and builds the app dependencies for CLI `command`. Never changes the schema
 * (only `deno task migrate` does): a database at another schema version is refused with a
 * SchemaRefusal naming the command to run, after one read.
 */
export async function openCliDeps(config: Config, command: string): Promise<CliDeps> {
  const log = cliLogger(config);
  const { db, close } = await openCliDb(config, log);
  const problem = await schemaVersionProblem(db, `\`deno task ${command}\``).catch(async (err) => {
    await close();
    throw err;
  });
  if (problem) {
    await close();
    throw new SchemaRefusal(problem);
  }
  const deps = createServices(config, db, systemClock, log, { instanceName: `cli-${Deno.pid}` });
  const { services } = deps;
  return {
    ...deps,
    async close() {
      await services.background.drain();
      await close();
    },
  };
}

/**
 * Runs a CLI's `main` and exits with its code. `--help` or `-h` prints `usage` on stdout and exits
 * 0 without running anything. A configuration error exits 2 with its message, a bad argument (a
 * RangeError, or parseArgs' TypeError) 2 with the message and the usage, anything else 1 with
 * `error: ...` (a SchemaRefusal names `deno task migrate`).
 */
export async function runCli(
  main: (args: string[]) => Promise<number>,
  opts: { usage: string },
): Promise<never> {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(opts.usage);
    Deno.exit(0);
  }
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    const badArgs = err instanceof RangeError || err instanceof TypeError;
    console.error(
      err instanceof ConfigError
        ? err.message
        : `error: ${err instanceof Error ? err.message : err}${badArgs ? `\n${opts.usage}` : ""}`,
    );
    Deno.exit(err instanceof ConfigError || badArgs ? 2 : 1);
  }
}
