/**
 * The whole stack of a benchmark on this machine: a private MariaDB in a temporary directory and
 * `bench/_server.ts` (the real app on the in-process protocol endpoint) as a child process.
 * Shared by the boot-storm, CPU-per-request and stall benchmarks.
 * @module
 */
import { ensureMariaDbInstalled, type MariaDbServer, startMariaDb } from "../db/local/mariadb.ts";
import { type FleetAgent, registerBody } from "./_agent_payloads.ts";

const SERVER = new URL("./_server.ts", import.meta.url).pathname;

/** A running bench stack. */
export interface BenchStack {
  base: string;
  tokens: string[];
  server: Deno.ChildProcess;
  mariadb: MariaDbServer;
  mariadbPid: number;
  stop(): Promise<void>;
}

/** Options of startBenchStack. */
export interface BenchStackOptions {
  clients: number;
  logLevel?: string;
  engine?: boolean;
  /** Extra `deno run` flags for the server (e.g. `--cpu-prof`). */
  denoFlags?: string[];
  /** Extra environment of the server (e.g. BENCH_DB_TIMEOUT_MS). */
  env?: Record<string, string>;
  /** Reach MariaDB over TCP on loopback instead of its Unix socket. */
  tcp?: boolean;
}

/** Reads the bench server's first stdout line ({port, tokens}), then keeps draining stdout. */
export async function readServerHello(
  child: Deno.ChildProcess,
): Promise<{ port: number; tokens: string[] }> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const nl = buf.indexOf("\n");
    if (nl >= 0) {
      reader.releaseLock();
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout.pipeTo(new WritableStream()).catch(() => {});
      return JSON.parse(buf.slice(0, nl));
    }
  }
  throw new Error("the bench server did not report its port");
}

/** Starts MariaDB and the server; `stop` ends both and removes the data. */
export async function startBenchStack(o: BenchStackOptions): Promise<BenchStack> {
  await ensureMariaDbInstalled((m) => console.error(m));
  const tmp = await Deno.makeTempDir({ prefix: "bench-stack-" });
  const mariadb = await startMariaDb({ dataDir: `${tmp}/data`, log: () => {} });
  const mariadbPid = Number((await Deno.readTextFile(`${mariadb.dataDir}/mariadbd.pid`)).trim());
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...(o.denoFlags ?? []), SERVER],
    env: {
      BENCH_MYSQL_SOCKET: mariadb.socketPath,
      BENCH_MYSQL_USER: mariadb.user,
      BENCH_CLIENTS: String(o.clients),
      BENCH_LOG_LEVEL: o.logLevel ?? "warn",
      BENCH_ENGINE: o.engine === false ? "0" : "1",
      ...(o.tcp ? { BENCH_MYSQL_PORT: String(mariadb.port) } : {}),
      ...o.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let hello;
  try {
    hello = await readServerHello(server);
  } catch (err) {
    server.kill("SIGKILL");
    await mariadb.stop();
    throw err;
  }
  return {
    base: `http://127.0.0.1:${hello.port}`,
    tokens: hello.tokens,
    server,
    mariadb,
    mariadbPid,
    async stop() {
      try {
        server.kill("SIGTERM");
      } catch { /* already gone */ }
      await server.status;
      await mariadb.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    },
  };
}

/** Outcome of one registration as agent v4.0.0 sees it (it exits on anything but 200). */
export interface RegisterOutcome {
  status: number;
  ms: number;
}

/** Registers one agent once (no retry, like the real agent); sets agentId on success. */
export async function registerOnce(base: string, a: FleetAgent): Promise<RegisterOutcome> {
  const started = performance.now();
  try {
    const res = await fetch(`${base}/api/agents/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${a.token}` },
      body: registerBody(a),
      signal: AbortSignal.timeout(30_000), // the agent's own HTTP timeout (CONTRACT.md)
    });
    const body = await res.json().catch(() => null);
    if (res.status === 200 && typeof body?.agent_id === "string") a.agentId = body.agent_id;
    return { status: res.status, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

/** Runs `work` over `items` with at most `inFlight` at once. */
export async function pool<T>(
  items: T[],
  inFlight: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
}
