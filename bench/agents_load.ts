/**
 * Load generator: N simulated agent v4.0.0 processes against the real server over HTTP.
 *
 *   deno run -A bench/agents_load.ts [--steps=1000,5000,8000,10000,12000,15000,18000,20000]
 *     [--warm=10] [--ramp=0] [--measure=30] [--speedup=1] [--clients=10] [--max-seconds=600] [--log-level=warn]
 *     [--quiet-wait=30] [--no-engine] [--keep-going] [--no-record] [--fetch]
 *     [--server-cpu-prof=DIR]
 *
 * Starts a private MariaDB in a temporary directory and `bench/_server.ts` (the app on the local
 * stack, Deno.serve on 127.0.0.1) as a child process, starts agents as v4.0.0 does (POST
 * /api/agents/register, then the first pricing report and heartbeat; one worker per client), then
 * drives every registered agent on the v4.0.0 schedule
 * (heartbeat 30 s, pending-commands 15 s, config 60 s, pricing report with 6 pools 300 s, each
 * divided by --speedup, random phases so the mix is the steady state) for --warm + --measure
 * seconds per step. --ramp=S brings each agent online at a random time within the first S s of
 * the warm-up, as a fleet that has been running reaches the server (default 0: all agents at once
 * with cold memos, the first seconds after a server restart). Open loop: a request is sent at its
 * due time whatever is still in flight, and its latency counts from that due time. Per step: throughput and p50/p90/p99 per endpoint,
 * statements per request per endpoint (counted in the server), server RSS, CPU of server, MariaDB
 * and generator. Stops at the first step whose worst endpoint p99 reaches 100 ms (or > 1 % errors)
 * (unless --keep-going) or when the time budget is spent. Before each step it waits (up to --quiet-wait s) for other
 * processes on the machine to go quiet, and reports the CPU they used anyway. Appends the table
 * to bench/RESULTS.md under "## Agent load (v4.0.0 mix)".
 *
 * The measured requests go through bench/_http1.ts (pre-encoded requests on keep-alive
 * connections, so the generator takes little CPU from the server it shares the machine with);
 * --fetch sends them with one `fetch` each instead (the old, CPU-hungry path, for comparison).
 * Start-up calls and the server's stats always use fetch.
 * @module
 */
import { ensureMariaDbInstalled, startMariaDb } from "../db/local/mariadb.ts";
import {
  type AgentKind,
  buildFleet,
  type FleetAgent,
  registerBody,
  requestFor,
} from "./_agent_payloads.ts";
import { runStep, type StepResult } from "./_load_step.ts";
import { readServerHello } from "./_bench_stack.ts";
import {
  appendSection,
  cpuSeconds,
  type Machine,
  machineBusySeconds,
  machineInfo,
} from "./_report.ts";

const HEADING = "## Agent load (v4.0.0 mix)";
const SERVER = new URL("./_server.ts", import.meta.url).pathname;
const P99_LIMIT_MS = 100;

function flag(name: string, fallback: string): string {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}
function numFlag(name: string, fallback: number): number {
  const n = Number(flag(name, String(fallback)));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

/** Failed registration attempts that were retried (the real agent would have exited). */
let registerFailures = 0;

/** Failed start-up calls (retried; the start-up phase is not measured). */
let startupFailures = 0;

async function call(url: string, init: RequestInit): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const res = await fetch(url, init);
    await res.arrayBuffer();
    if (res.ok) return;
    startupFailures++;
    if (attempt >= 5) throw new Error(`${init.method} ${url}: ${res.status}`);
    await new Promise((r) => setTimeout(r, 20 * attempt));
  }
}

/**
 * Starts agents `from`..`to` as agent v4.0.0 starts: register, then the first pricing report and
 * heartbeat. One worker per client: concurrent first registrations of one client deadlock in the
 * server (reported), and the real agent does not retry a failed registration.
 */
async function startAgents(
  base: string,
  fleet: FleetAgent[],
  opts: { from: number; to: number; clients: number },
): Promise<void> {
  const worker = async (c: number) => {
    for (
      let i = opts.from + ((c - opts.from % opts.clients) + opts.clients) % opts.clients;
      i < opts.to;
      i += opts.clients
    ) {
      const a = fleet[i];
      for (let attempt = 1;; attempt++) {
        const res = await fetch(`${base}/api/agents/register`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${a.token}` },
          body: registerBody(a),
        });
        const body = await res.json();
        if (res.status === 200 && typeof body.agent_id === "string") {
          a.agentId = body.agent_id;
          break;
        }
        registerFailures++;
        if (attempt >= 10) {
          throw new Error(`register failed: ${res.status} ${JSON.stringify(body)}`);
        }
        await new Promise((r) => setTimeout(r, 20 * attempt * Math.random()));
      }
      for (const kind of ["pricing_report", "heartbeat"] as const) {
        const { url, init } = requestFor(base, a, kind);
        await call(url, init);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, c) => worker(c)));
}

/**
 * CPU (in cores) used by processes other than ours over `ms`; other sessions may share this
 * machine, and their load would be charged to the server.
 */
async function otherLoad(pids: number[], ms: number): Promise<number> {
  const ours = async () => (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
  const [m0, o0] = [await machineBusySeconds(), await ours()];
  await new Promise((r) => setTimeout(r, ms));
  const [m1, o1] = [await machineBusySeconds(), await ours()];
  return Math.max(0, (m1 - m0 - (o1 - o0)) / (ms / 1000));
}

/** Waits (up to `maxS`) until other processes use less than a quarter of a core. */
async function waitForQuiet(pids: number[], maxS: number): Promise<number> {
  const until = performance.now() + maxS * 1000;
  let load = await otherLoad(pids, 2000);
  while (load > 0.25 && performance.now() < until) {
    console.error(`  other processes use ${Math.round(load * 100)}% CPU; waiting for quiet`);
    load = await otherLoad(pids, 5000);
  }
  return load;
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "-";
}

function stepLine(r: StepResult): string {
  const k = (kind: AgentKind) => {
    const x = r.kinds[kind];
    return `${fmt(x.p50)}/${fmt(x.p90)}/${fmt(x.p99)}`;
  };
  return `| ${r.agents.toLocaleString("en-US")} | ${Math.round(r.offeredRps)} | ${
    Math.round(r.achievedRps)
  } | ${k("heartbeat")} | ${k("pending_commands")} | ${k("config")} | ${k("pricing_report")} | ${
    fmt(r.worstP99)
  } | ${fmt(r.errorRate * 100, 2)} | ${Math.round(r.rssMb)} (${Math.round(r.peakRssMb)}) | ${
    Math.round(r.cpu.server * 100)
  }/${Math.round(r.cpu.mariadb * 100)}/${Math.round(r.cpu.generator * 100)}/${
    Math.round(r.cpu.other * 100)
  } | ${Math.round((r.cpu.server / r.achievedRps) * 1e6)} | ${r.pass ? "yes" : "**no**"} |`;
}

function report(
  results: StepResult[],
  m: Machine,
  o: Record<string, string | number | boolean>,
): string {
  const best = results.filter((r) => r.pass).at(-1);
  const last = results.at(-1);
  // Statement counts of the highest passing step (a saturated step also counts failed requests).
  const ref = best ?? last;
  const stmts = (kind: AgentKind) => {
    const v = ref?.kinds[kind].statementsPerRequest;
    return v === null || v === undefined ? "-" : v.toFixed(2);
  };
  const eng = ref?.engine.statementsPerRun;
  return [
    `### ${m.date} (${m.cpus} CPUs ${m.cpuModel}, ${m.memoryMb} MB RAM, deno ${m.deno})`,
    "",
    `Whole stack on this machine: MariaDB, the server (${
      last?.engine.wired ? "with" : "without"
    } the decision engine hook, crons and the health-metrics flusher), the in-process protocol endpoint and this load generator. ${o.clients} clients, speed-up ${o.speedup}, ${o.warm} s warm-up${
      Number(o.ramp) > 0 ? ` (agents coming online over its first ${o.ramp} s)` : ""
    } + ${o.measure} s measured per step, server LOG_LEVEL=${o.logLevel}. Latency from each request's due time (open loop), ms p50/p90/p99.`,
    "",
    "| agents | offered req/s | done req/s | heartbeat | pending-commands | config | pricing-report | worst p99 | errors % | server RSS MB (peak) | CPU % server/MariaDB/generator/other | server CPU µs/request | p99 < 100 ms |",
    "| ---: | ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: | --- | ---: | --- |",
    ...results.map(stepLine),
    "",
    `Highest N with every endpoint's p99 < ${P99_LIMIT_MS} ms: **${
      best ? best.agents.toLocaleString("en-US") : "none"
    }**${
      best
        ? ` (server RSS ${Math.round(best.rssMb)} MB, peak ${Math.round(best.peakRssMb)} MB)`
        : ""
    }${
      best && best === last
        ? "; every step passed, so this is a lower bound (no larger step was run)"
        : ""
    }.`,
    `Statements per request, counted at the endpoint (at ${
      ref?.agents.toLocaleString("en-US")
    } agents): heartbeat ${stmts("heartbeat")}, pending-commands ${
      stmts("pending_commands")
    }, config ${stmts("config")}, pricing-report ${stmts("pricing_report")}${
      eng === null || eng === undefined
        ? ""
        : `; decision engine after a report ${eng.toFixed(2)} (background)`
    }. Registration: ${
      Math.round(results[0]?.registerRps ?? 0)
    } agents/s (register + first pricing report + first heartbeat, one worker per client), ${registerFailures} failed registrations and ${startupFailures} failed start-up calls retried (server errors; the real agent would not retry).`,
    "",
  ].join("\n");
}

async function main(): Promise<number> {
  const steps = flag("steps", "1000,5000,8000,10000,12000,15000,18000,20000").split(",").map(Number)
    .filter((n) => n > 0);
  const warmS = numFlag("warm", 10);
  const rampS = Number(flag("ramp", "0"));
  if (!Number.isFinite(rampS) || rampS < 0 || rampS >= warmS) {
    throw new Error("--ramp must be a number of seconds >= 0 and below --warm");
  }
  const measureS = numFlag("measure", 30);
  const speedup = numFlag("speedup", 1);
  const clients = numFlag("clients", 10);
  const maxSeconds = numFlag("max-seconds", 600);
  const logLevel = flag("log-level", "warn");
  const quietWaitS = numFlag("quiet-wait", 30);
  const engine = !Deno.args.includes("--no-engine");
  const keepGoing = Deno.args.includes("--keep-going");
  const client = Deno.args.includes("--fetch") ? "fetch" : "http1";
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;

  await ensureMariaDbInstalled((m) => console.error(m));
  const tmp = await Deno.makeTempDir({ prefix: "agents-load-" });
  const mariadb = await startMariaDb({ dataDir: `${tmp}/data`, log: () => {} });
  let server: Deno.ChildProcess | undefined;
  const results: StepResult[] = [];
  try {
    const mariadbPid = Number((await Deno.readTextFile(`${mariadb.dataDir}/mariadbd.pid`)).trim());
    server = new Deno.Command(Deno.execPath(), {
      // --server-cpu-prof=DIR: a V8 CPU profile of the server, written when it exits.
      args: [
        "run",
        "-A",
        ...(flag("server-cpu-prof", "")
          ? ["--cpu-prof", `--cpu-prof-dir=${flag("server-cpu-prof", "")}`]
          : []),
        SERVER,
      ],
      env: {
        BENCH_MYSQL_SOCKET: mariadb.socketPath,
        BENCH_MYSQL_USER: mariadb.user,
        BENCH_CLIENTS: String(clients),
        BENCH_LOG_LEVEL: logLevel,
        BENCH_ENGINE: engine ? "1" : "0",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const hello = await readServerHello(server);
    const base = `http://127.0.0.1:${hello.port}`;
    const fleet = buildFleet(Math.max(...steps), hello.tokens);
    let registered = 0;
    let regRate = 200;
    for (const n of steps) {
      const estimate = ((n - registered) / regRate + warmS + measureS + 15) * 1000;
      if (performance.now() + estimate > deadline) {
        console.error(
          `skipping ${n} agents and beyond: the time budget (${maxSeconds} s) is spent`,
        );
        break;
      }
      const regStart = performance.now();
      if (n > registered) {
        console.error(`registering agents ${registered + 1}..${n}`);
        await startAgents(base, fleet, { from: registered, to: n, clients });
        regRate = (n - registered) / ((performance.now() - regStart) / 1000);
        registered = n;
      }
      await waitForQuiet([server.pid, mariadbPid, Deno.pid], quietWaitS);
      console.error(`running ${n} agents: ${warmS} s warm-up + ${measureS} s measured`);
      const r = await runStep(base, fleet, n, {
        warmS,
        rampS,
        measureS,
        speedup,
        pids: { server: server.pid, mariadb: mariadbPid },
        client,
      });
      const step: StepResult = {
        ...r,
        registerRps: regRate,
        pass: r.worstP99 < P99_LIMIT_MS && r.errorRate <= 0.01,
      };
      results.push(step);
      console.log(stepLine(step));
      console.error(
        `  generator lag max ${fmt(step.maxLagMs)} ms, engine runs ${step.engine.runs}`,
      );
      if (!step.pass && !keepGoing) break;
    }
    const text = report(results, await machineInfo(), {
      clients,
      speedup,
      warm: warmS,
      ramp: rampS,
      measure: measureS,
      logLevel,
      engine,
    });
    console.log(text);
    if (!Deno.args.includes("--no-record") && results.length > 0) {
      await appendSection(HEADING, text);
      console.error("appended to bench/RESULTS.md");
    }
    return 0;
  } finally {
    if (server) {
      try {
        server.kill("SIGTERM");
      } catch { /* already gone */ }
      await server.status;
    }
    await mariadb.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

const USAGE = "usage: deno run -A bench/agents_load.ts [--steps=1000,5000,...] [--warm=10] " +
  "[--measure=30] [--speedup=1] [--clients=10] [--max-seconds=600] [--log-level=warn] " +
  "[--quiet-wait=30] [--no-engine] [--keep-going] [--no-record] [--fetch] " +
  "[--server-cpu-prof=DIR]";

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  Deno.exit(await main());
}
