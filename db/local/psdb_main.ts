/**
 * `deno task db`: serves the PlanetScale HTTP protocol endpoint from environment settings.
 *
 * PSDB_LISTEN (default 127.0.0.1:3900), PSDB_PASSWORD (required), PSDB_BACKEND_URL
 * (mysql://user:pass@host:port, or mysql://user@localhost?socket=/path/to.sock; default
 * mysql://root@127.0.0.1:3306), PSDB_CREATE_DATABASES (1/true), PSDB_ALLOWED_DATABASES (a,b),
 * PSDB_POOL_LIMIT, PSDB_QUEUE_LIMIT, PSDB_MAX_BODY_BYTES, PSDB_QUERY_TIMEOUT_MS,
 * PSDB_TX_IDLE_TIMEOUT_MS, PSDB_MAX_ROWS, PSDB_LOG_LEVEL (debug|info|warn|error, default info).
 * @module
 */
// Type-only import: psdb_server.ts loads this module from its own entry point, so a value import
// would be a cycle that deadlocks on top-level await. The factory is passed in instead.
import type { createPsdbHandler, PsdbBackend, PsdbLog, PsdbOptions } from "./psdb_server.ts";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

/** A JSON-lines logger writing to stdout, dropping lines below minLevel. */
export function jsonLogger(minLevel: Level = "info"): PsdbLog {
  const min = LEVELS[minLevel];
  return (level, msg, fields) => {
    if (LEVELS[level] < min) return;
    console.log(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }));
  };
}

/** Parses PSDB_BACKEND_URL into a backend description. */
export function parseBackendUrl(raw: string): PsdbBackend {
  const url = new URL(raw);
  if (url.protocol !== "mysql:" && url.protocol !== "mariadb:") {
    throw new Error(`PSDB_BACKEND_URL must start with mysql://, got ${url.protocol}`);
  }
  const backend: PsdbBackend = { user: decodeURIComponent(url.username) || "root" };
  if (url.password) backend.password = decodeURIComponent(url.password);
  const socket = url.searchParams.get("socket");
  if (socket) backend.socketPath = socket;
  else {
    backend.host = url.hostname || "127.0.0.1";
    backend.port = url.port ? Number(url.port) : 3306;
  }
  return backend;
}

function intEnv(name: string): number | undefined {
  const v = Deno.env.get(name);
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new Error(`${name} must be a positive integer, got ${v}`);
  }
  return n;
}

/** Reads the environment, serves until SIGTERM/SIGINT, then drains and exits. */
export async function main(create: typeof createPsdbHandler): Promise<void> {
  const levelName = (Deno.env.get("PSDB_LOG_LEVEL") ?? "info") as Level;
  const log = jsonLogger(levelName in LEVELS ? levelName : "info");
  const password = Deno.env.get("PSDB_PASSWORD");
  if (!password) {
    log("error", "psdb.config_error", { error: "PSDB_PASSWORD is required" });
    Deno.exit(2);
  }
  const listen = Deno.env.get("PSDB_LISTEN") ?? "127.0.0.1:3900";
  const colon = listen.lastIndexOf(":");
  const hostname = colon > 0 ? listen.slice(0, colon) : "127.0.0.1";
  const port = Number(colon >= 0 ? listen.slice(colon + 1) : listen);
  const opts: PsdbOptions = {
    backend: parseBackendUrl(Deno.env.get("PSDB_BACKEND_URL") ?? "mysql://root@127.0.0.1:3306"),
    password,
    createDatabases: /^(1|true|yes)$/i.test(Deno.env.get("PSDB_CREATE_DATABASES") ?? ""),
    allowedDatabases: Deno.env.get("PSDB_ALLOWED_DATABASES")?.split(",").map((s) => s.trim())
      .filter(Boolean),
    poolLimit: intEnv("PSDB_POOL_LIMIT"),
    queueLimit: intEnv("PSDB_QUEUE_LIMIT"),
    maxBodyBytes: intEnv("PSDB_MAX_BODY_BYTES"),
    queryTimeoutMs: intEnv("PSDB_QUERY_TIMEOUT_MS"),
    txIdleTimeoutMs: intEnv("PSDB_TX_IDLE_TIMEOUT_MS"),
    maxRows: intEnv("PSDB_MAX_ROWS"),
    log,
  };
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(hostname)) {
    log("warn", "psdb.non_loopback_listen", { hostname, note: "the endpoint speaks plain HTTP" });
  }
  const handler = create(opts);
  const server = Deno.serve({
    hostname,
    port,
    onListen: (addr) => log("info", "psdb.listening", { hostname: addr.hostname, port: addr.port }),
  }, (req) => handler.fetch(req));

  const { promise: stopped, resolve: stop } = Promise.withResolvers<string>();
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, () => stop(sig));
  const signal = await stopped;
  log("info", "psdb.shutting_down", { signal });
  await server.shutdown();
  await handler.close();
  Deno.exit(0);
}
