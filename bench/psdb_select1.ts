/**
 * Requests per second of `SELECT 1` through the PlanetScale-protocol endpoint over loopback HTTP.
 *
 * The endpoint runs as its own `deno run db/local/psdb_server.ts` process pinned to CPU 0 (when
 * `taskset` exists), while MariaDB and this load generator are pinned to CPU 1, so the figure is
 * "one core of the endpoint". The load is raw protocol requests (no driver parsing) so the
 * generator stays lighter than the endpoint; `--driver` uses @planetscale/database instead.
 *
 *   deno run -A bench/psdb_select1.ts [--warm=10] [--measure=20] [--concurrency=32] [--driver]
 *     [--no-record]
 *
 * Appends a dated line to bench/RESULTS.md under "## psdb endpoint: SELECT 1".
 * @module
 */
import { Client } from "@planetscale/database";
import { startMariaDb } from "../db/local/mariadb.ts";

const HEADING = "## psdb endpoint: SELECT 1";
const RESULTS = new URL("./RESULTS.md", import.meta.url);
const SERVER = new URL("../db/local/psdb_server.ts", import.meta.url).pathname;

function flag(name: string, fallback: number): number {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  const n = arg ? Number(arg.split("=")[1]) : fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

async function hasTaskset(): Promise<boolean> {
  try {
    return (await new Deno.Command("taskset", { args: ["-V"], stdout: "null", stderr: "null" })
      .output())
      .success;
  } catch {
    return false;
  }
}

async function pin(pid: number, cpu: number): Promise<void> {
  // -a: every thread (Deno and MariaDB are multi-threaded).
  await new Deno.Command("taskset", {
    args: ["-a", "-cp", String(cpu), String(pid)],
    stdout: "null",
  })
    .output();
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function appendResult(line: string): Promise<void> {
  let text = "";
  try {
    text = await Deno.readTextFile(RESULTS);
  } catch { /* first result */ }
  const at = text.indexOf(HEADING);
  if (at < 0) {
    const sep = text === "" ? "" : text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
    text = `${text}${sep}${HEADING}\n\n${line}\n`;
  } else {
    // Insert at the end of this section, before the next heading of the same or higher level.
    const next = text.slice(at + HEADING.length).search(/\n#{1,2} /);
    const end = next < 0 ? text.length : at + HEADING.length + next + 1;
    let before = text.slice(0, end).replace(/\n*$/, "\n");
    if (before.endsWith(`${HEADING}\n`)) before += "\n"; // first entry: blank line after the heading
    text = `${before}${line}\n${next < 0 ? "" : "\n"}${text.slice(end)}`;
  }
  await Deno.writeTextFile(RESULTS, text);
}

async function main(): Promise<void> {
  const warmS = flag("warm", 10);
  const measureS = flag("measure", 20);
  const concurrency = flag("concurrency", 32);
  const useDriver = Deno.args.includes("--driver");
  const taskset = await hasTaskset();
  const tmp = await Deno.makeTempDir({ prefix: "psdb-bench-" });
  const mariadb = await startMariaDb({ dataDir: `${tmp}/data`, log: (m) => console.error(m) });
  let server: Deno.ChildProcess | undefined;
  try {
    const mariadbPid = Number((await Deno.readTextFile(`${mariadb.dataDir}/mariadbd.pid`)).trim());
    if (taskset) {
      await pin(mariadbPid, 1);
      await pin(Deno.pid, 1);
    }
    const password = crypto.randomUUID();
    const cmd = taskset ? "taskset" : Deno.execPath();
    const args = [...(taskset ? ["-c", "0", Deno.execPath()] : []), "run", "-A", SERVER];
    server = new Deno.Command(cmd, {
      args,
      env: {
        PSDB_LISTEN: "127.0.0.1:0",
        PSDB_PASSWORD: password,
        PSDB_BACKEND_URL: `mysql://root@localhost?socket=${encodeURIComponent(mariadb.socketPath)}`,
        PSDB_CREATE_DATABASES: "1",
        PSDB_POOL_LIMIT: String(concurrency),
        PSDB_LOG_LEVEL: "info", // info lines are rare (listening, pool created); never per request
      },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const port = await listeningPort(server);
    const base = `http://127.0.0.1:${port}`;
    const url = `${base}/psdb.v1alpha1.Database/Execute`;
    const headers = {
      "content-type": "application/json",
      authorization: `Basic ${btoa(`bench:${password}`)}`,
    };
    const body = JSON.stringify({ query: "SELECT 1", session: null });
    const client = new Client({ url: `http://bench:${password}@127.0.0.1:${port}` });
    const once = useDriver ? () => client.execute("SELECT 1").then(() => true) : async () => {
      const res = await fetch(url, { method: "POST", headers, body });
      const text = await res.text();
      return res.ok && text.includes('"result"');
    };
    if (!(await once())) throw new Error("the endpoint did not answer SELECT 1");

    const t0 = performance.now();
    const measureFrom = t0 + warmS * 1000;
    const until = measureFrom + measureS * 1000;
    const latencies: number[] = [];
    let errors = 0;
    const pids = { endpoint: server.pid, mariadb: mariadbPid, load: Deno.pid };
    const sample = async () => ({
      endpoint: await cpuSeconds(pids.endpoint),
      mariadb: await cpuSeconds(pids.mariadb),
      load: await cpuSeconds(pids.load),
      wall: performance.now(),
    });
    let cpuAt: Awaited<ReturnType<typeof sample>> | undefined;
    const sampler = setTimeout(async () => (cpuAt = await sample()), warmS * 1000);
    const worker = async () => {
      while (performance.now() < until) {
        const start = performance.now();
        let ok = false;
        try {
          ok = await once();
        } catch {
          ok = false;
        }
        const end = performance.now();
        if (start >= measureFrom && end <= until) {
          if (ok) latencies.push(end - start);
          else errors++;
        }
      }
    };
    console.error(
      `warming up ${warmS} s, then measuring ${measureS} s at concurrency ${concurrency}`,
    );
    await Promise.all(Array.from({ length: concurrency }, worker));
    clearTimeout(sampler);
    const cpuEnd = await sample();
    // Share of one core each process used during the measured window.
    const cores = (k: "endpoint" | "mariadb" | "load") =>
      cpuAt ? (cpuEnd[k] - cpuAt[k]) / ((cpuEnd.wall - cpuAt.wall) / 1000) : NaN;
    const share = (k: "endpoint" | "mariadb" | "load") => `${Math.round(cores(k) * 100)}%`;

    const sorted = Float64Array.from(latencies).sort();
    const rps = latencies.length / measureS;
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const version = (await client.execute("SELECT VERSION() AS v")).rows[0] as { v: string };
    // Load-independent capacity: what a fully busy endpoint core would serve at this CPU cost.
    const perCore = Math.round(rps / cores("endpoint"));
    const summary = `${Math.round(rps).toLocaleString("en-US")} req/s, p50 ${p50.toFixed(2)} ms, ` +
      `p99 ${p99.toFixed(2)} ms; endpoint CPU ${(1e6 / perCore).toFixed(0)} µs/request ` +
      `(≈ ${perCore.toLocaleString("en-US")} req/s per endpoint core)`;
    console.log(summary + (errors ? `, ${errors} errors` : ""));
    const line = `- ${new Date().toISOString().slice(0, 16)}Z: ${summary}` +
      `${errors ? `, ${errors} errors` : ""} (concurrency ${concurrency}, ${measureS} s after ` +
      `${warmS} s warm-up, ${useDriver ? "@planetscale/database" : "raw protocol requests"}; ` +
      `endpoint ${taskset ? "pinned to CPU 0" : "unpinned (no taskset)"} at ${share("endpoint")} ` +
      `of a core; MariaDB ${version.v.split("-")[0]} at ${
        share("mariadb")
      } and the load generator ` +
      `at ${share("load")}, ${taskset ? "both on CPU 1" : "unpinned"}; ` +
      `${navigator.hardwareConcurrency} CPUs)`;
    if (Deno.args.includes("--no-record")) console.log(line);
    else {
      await appendResult(line);
      console.log(`appended to ${RESULTS.pathname}`);
    }
  } finally {
    if (server) {
      try {
        server.kill("SIGTERM");
      } catch { /* already exited */ }
      await server.status;
    }
    await mariadb.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Reads the endpoint's JSON log lines until "psdb.listening" gives the port (30 s at most). */
async function listeningPort(child: Deno.ChildProcess): Promise<number> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the endpoint did not start:\n${buf}`)), 30_000);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error(`the endpoint exited during startup:\n${buf}`);
      buf += value;
      const line = buf.split("\n").find((l) => l.includes('"psdb.listening"'));
      if (!line) continue;
      // Keep draining so the endpoint never blocks on a full stdout pipe; ends when it exits.
      (async () => {
        while (!(await reader.read()).done) { /* discard */ }
      })().catch(() => {});
      return (JSON.parse(line) as { port: number }).port;
    }
  } finally {
    clearTimeout(timer);
  }
}

if (import.meta.main) await main();
