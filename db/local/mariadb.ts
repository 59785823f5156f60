/**
 * A private MariaDB server for development and tests: its own data directory, socket, pid file and
 * loopback port, never the system instance (no /etc/mysql config, no /var/lib/mysql).
 * @module
 */
import mysql from "mysql2/promise";
import { findMariaDbBinaries, isAlive, readPid, run, tail } from "./mariadb_install.ts";

export { ensureMariaDbInstalled, findMariaDbBinaries } from "./mariadb_install.ts";

/** A running private MariaDB server and how to reach it. */
export interface MariaDbServer {
  socketPath: string;
  host: string;
  port: number;
  user: string;
  dataDir: string;
  /** Shuts the server down (SIGTERM, then waits for it to exit). Safe to call twice. */
  stop(): Promise<void>;
}

type Log = (msg: string) => void;

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 60_000;
// Unix socket paths are limited to 108 bytes (sun_path) including the terminating NUL.
const MAX_SOCKET_PATH = 100;

async function isMariaDbFor(pid: number, dataDir: string): Promise<boolean> {
  try {
    const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
    return /(mariadbd|mysqld)$/.test(cmdline[0] ?? "") && cmdline.includes(`--datadir=${dataDir}`);
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function socketPathFor(dataDir: string): Promise<string> {
  const inside = `${dataDir}/mysqld.sock`;
  if (new TextEncoder().encode(inside).length <= MAX_SOCKET_PATH) return inside;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(dataDir));
  const hex = Array.from(
    new Uint8Array(digest).slice(0, 6),
    (b) => b.toString(16).padStart(2, "0"),
  );
  return `/tmp/mariadb-${hex.join("")}.sock`;
}

async function tryPing(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({
      socketPath,
      user: "root",
      connectTimeout: timeoutMs,
    });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

async function readErrorLogTail(path: string, from: number): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return tail(text.slice(from), 25);
  } catch {
    return "(no error log)";
  }
}

async function waitForExit(pid: number, child?: Deno.ChildProcess): Promise<boolean> {
  child?.ref();
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (await isAlive(pid)) return false;
  if (child) await child.status; // reap it, so no zombie is left behind
  return true;
}

function makeServer(
  base: Omit<MariaDbServer, "stop">,
  pid: number,
  child: Deno.ChildProcess | undefined,
  log: Log,
): MariaDbServer {
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!(await isAlive(pid))) return;
      Deno.kill(pid, "SIGTERM");
      if (!(await waitForExit(pid, child))) {
        log(`mariadb: pid ${pid} ignored SIGTERM for ${STOP_TIMEOUT_MS} ms, killing it`);
        Deno.kill(pid, "SIGKILL");
        await waitForExit(pid, child);
      }
      await Deno.remove(`${base.dataDir}/launcher.json`).catch(() => {});
      log(`mariadb: stopped (pid ${pid})`);
    })();
    return stopping;
  };
  return { ...base, stop };
}

/** A private tmpdir beside the data dir: /tmp is shared, and a dir inside would show as a database. */
async function privateTmpDir(dataDir: string): Promise<string> {
  const dir = `${dataDir}.tmp`;
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

async function initDataDir(installDb: string, dataDir: string, log: Log): Promise<void> {
  log(`mariadb: initialising ${dataDir}`);
  const args = [
    "--no-defaults",
    `--datadir=${dataDir}`,
    `--tmpdir=${await privateTmpDir(dataDir)}`, // passed through to the bootstrap server
    "--auth-root-authentication-method=normal",
    "--skip-test-db",
  ];
  // mariadbd refuses to run as root unless told to; install-db runs it internally.
  if (Deno.uid() === 0) args.push("--user=root");
  for (let attempt = 1;; attempt++) {
    const res = await run(installDb, args);
    if (res.ok) return;
    if (attempt >= 2) throw new Error(`${installDb} failed for ${dataDir}:\n${tail(res.output)}`);
    log(`mariadb: initialisation failed, retrying once:\n${tail(res.output, 3)}`);
    // Start from an empty dir again (keeping the lock we hold).
    for await (const e of Deno.readDir(dataDir)) {
      if (e.name !== ".launcher.lock") {
        await Deno.remove(`${dataDir}/${e.name}`, { recursive: true });
      }
    }
  }
}

function serverArgs(
  o: { dataDir: string; tmpDir: string; socketPath: string; port: number; errLog: string },
) {
  const args = [
    "--no-defaults", // must come first: ignore /etc/mysql so the system instance is never involved
    `--datadir=${o.dataDir}`,
    `--tmpdir=${o.tmpDir}`,
    `--socket=${o.socketPath}`,
    `--pid-file=${o.dataDir}/mariadbd.pid`,
    `--port=${o.port}`,
    "--bind-address=127.0.0.1",
    `--log-error=${o.errLog}`,
    // Sized for a 2-core test box; durability per second is enough for dev and tests.
    "--innodb-buffer-pool-size=256M",
    "--innodb-flush-log-at-trx-commit=2",
    "--skip-name-resolve",
    "--max-connections=500",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
    "--default-time-zone=+00:00",
    // A few threads serve all connections (the endpoint keeps 120 per database): one thread per
    // connection woke a thread per statement, ~35 % more MariaDB CPU per poll on 2 cores
    // (bench/RESULTS.md, fleet scale).
    "--thread-handling=pool-of-threads",
  ];
  if (Deno.uid() === 0) args.push("--user=root");
  return args;
}

async function grantLoopbackRoot(socketPath: string): Promise<void> {
  const conn = await mysql.createConnection({ socketPath, user: "root" });
  try {
    // --skip-name-resolve means TCP logins match 127.0.0.1, never 'localhost'.
    await conn.query("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'");
    await conn.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
  } finally {
    await conn.end();
  }
}

async function reuseRunning(dataDir: string, log: Log): Promise<MariaDbServer | undefined> {
  const pid = await readPid(`${dataDir}/mariadbd.pid`);
  if (!pid || !(await isAlive(pid)) || !(await isMariaDbFor(pid, dataDir))) return undefined;
  let state: { port?: number; socketPath?: string };
  try {
    state = JSON.parse(await Deno.readTextFile(`${dataDir}/launcher.json`));
  } catch {
    return undefined;
  }
  if (typeof state.port !== "number" || typeof state.socketPath !== "string") return undefined;
  if (!(await tryPing(state.socketPath, 2000))) return undefined;
  log(`mariadb: reusing running server pid ${pid} (port ${state.port})`);
  const base = {
    socketPath: state.socketPath,
    host: "127.0.0.1",
    port: state.port,
    user: "root",
    dataDir,
  };
  return makeServer(base, pid, undefined, log);
}

function launch(
  server: string,
  o: { dataDir: string; tmpDir: string; socketPath: string; port: number; errLog: string },
): { child: Deno.ChildProcess; exited: () => boolean } {
  const child = new Deno.Command(server, {
    args: serverArgs(o),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Lets `deno task dev` exit while the server keeps running for the next start to reuse.
  child.unref();
  let done = false;
  child.status.then(() => (done = true), () => (done = true));
  return { child, exited: () => done };
}

/** Starts (or reuses) a private MariaDB on dataDir (initialised when empty; tmpdir `${dataDir}.tmp`). */
export async function startMariaDb(
  opts: { dataDir: string; port?: number; log?: Log },
): Promise<MariaDbServer> {
  const log = opts.log ?? (() => {});
  await Deno.mkdir(opts.dataDir, { recursive: true });
  const dataDir = await Deno.realPath(opts.dataDir);
  // One launcher at a time per data dir (e.g. `deno task dev` and `deno task test` together).
  using lock = await Deno.open(`${dataDir}/.launcher.lock`, { create: true, write: true });
  await lock.lock(true);
  const reused = await reuseRunning(dataDir, log);
  if (reused) return reused;

  const { server, installDb } = await findMariaDbBinaries();
  const initialised = await Deno.stat(`${dataDir}/mysql`).then((s) => s.isDirectory, () => false);
  if (!initialised) await initDataDir(installDb, dataDir, log);

  const socketPath = await socketPathFor(dataDir);
  const errLog = `${dataDir}/mariadbd.err`;
  const tmpDir = await privateTmpDir(dataDir);
  const fixedPort = opts.port && opts.port > 0 ? opts.port : undefined;
  for (let attempt = 1;; attempt++) {
    const port = fixedPort ?? freePort();
    const logStart = await Deno.stat(errLog).then((s) => s.size, () => 0);
    await Deno.remove(socketPath).catch(() => {});
    const { child, exited } = launch(server, { dataDir, tmpDir, socketPath, port, errLog });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let ready = false;
    while (!exited() && Date.now() < deadline) {
      if (await tryPing(socketPath)) {
        ready = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (ready) {
      await grantLoopbackRoot(socketPath);
      await Deno.writeTextFile(
        `${dataDir}/launcher.json`,
        JSON.stringify({ pid: child.pid, port, socketPath }),
      );
      log(`mariadb: ready pid ${child.pid} port ${port} socket ${socketPath}`);
      const base = { socketPath, host: "127.0.0.1", port, user: "root", dataDir };
      return makeServer(base, child.pid, child, log);
    }
    const errTail = await readErrorLogTail(errLog, logStart);
    const diedEarly = exited();
    if (!diedEarly) {
      Deno.kill(child.pid, "SIGKILL");
      await waitForExit(child.pid, child);
    } else {
      await child.status;
    }
    // An auto-picked port can be taken between probing and binding; try another one.
    if (!fixedPort && attempt < 3 && /bind on tcp\/ip port|address already in use/i.test(errTail)) {
      continue;
    }
    const why = diedEarly
      ? "exited during startup"
      : `did not answer within ${READY_TIMEOUT_MS} ms`;
    throw new Error(`MariaDB (${server}) ${why}; tail of ${errLog}:\n${errTail}`);
  }
}
