/**
 * CPU microseconds per request of each hot agent endpoint, measured on the whole stack.
 *
 *   deno run -A bench/cpu_per_request.ts [--agents=2000] [--seconds=8] [--in-flight=16]
 *     [--clients=10] [--cpu-prof=DIR] [--tcp] [--no-record] [--kinds=heartbeat,config]
 *
 * Registers --agents agents (one worker per client), then drives one endpoint at a time
 * (heartbeat, pending-commands, config, pricing-report: each agent in turn, --in-flight requests
 * at once, closed loop) for 2 s of warm-up and --seconds measured, and divides the CPU time the
 * server process (app + in-process protocol endpoint + its background work: engine hook, health
 * flusher, crons) and MariaDB used in the window by the requests answered. Load of other processes
 * on the machine does not enter these numbers (they are per-process CPU times from /proc), only
 * the latency columns. --cpu-prof writes a V8 CPU profile of the server into DIR. Appends to
 * bench/RESULTS.md under "## CPU per request".
 * @module
 */
import { AGENT_KINDS, type AgentKind, buildFleet, requestFor } from "./_agent_payloads.ts";
import { pool, registerOnce, startBenchStack } from "./_bench_stack.ts";
import { appendSection, cpuSeconds, machineInfo, percentile } from "./_report.ts";

const HEADING = "## CPU per request";

function flag(name: string, fallback: string): string {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

/** The measured cost of one endpoint. */
export interface KindCost {
  kind: AgentKind;
  requests: number;
  errors: number;
  rps: number;
  serverUs: number;
  mariadbUs: number;
  p50: number;
  p99: number;
}

async function drive(
  base: string,
  agents: ReturnType<typeof buildFleet>,
  kind: AgentKind,
  inFlight: number,
  seconds: number,
): Promise<{ requests: number; errors: number; lat: number[] }> {
  const until = performance.now() + seconds * 1000;
  let i = 0;
  let requests = 0;
  let errors = 0;
  const lat: number[] = [];
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < until) {
      const a = agents[i++ % agents.length];
      const { url, init } = requestFor(base, a, kind);
      const t0 = performance.now();
      const res = await fetch(url, init);
      await res.arrayBuffer();
      lat.push(performance.now() - t0);
      requests++;
      if (!res.ok) errors++;
    }
  }));
  return { requests, errors, lat };
}

async function main(): Promise<number> {
  const n = Number(flag("agents", "2000"));
  const seconds = Number(flag("seconds", "8"));
  const inFlight = Number(flag("in-flight", "16"));
  const clients = Number(flag("clients", "10"));
  const prof = flag("cpu-prof", "");
  const only = flag("kinds", "").split(",").filter((k) => k !== "");
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  const stack = await startBenchStack({
    clients,
    denoFlags: prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [],
    tcp: Deno.args.includes("--tcp"),
  });
  const costs: KindCost[] = [];
  try {
    const fleet = buildFleet(n, stack.tokens);
    const byClient = stack.tokens.map((t) => fleet.filter((a) => a.token === t));
    // One worker per client: registration storms are bench/boot_storm.ts's subject.
    await Promise.all(byClient.map((agents) =>
      pool(agents, 1, async (a) => {
        // Retried here (the real agent would not): this bench measures the steady state.
        for (let attempt = 1; (await registerOnce(stack.base, a)).status !== 200; attempt++) {
          if (attempt >= 10) throw new Error("registration failed 10 times");
        }
      })
    ));
    for (const a of fleet) {
      const { url, init } = requestFor(stack.base, a, "heartbeat");
      await (await fetch(url, init)).arrayBuffer();
    }
    for (const { kind } of AGENT_KINDS) {
      if (only.length > 0 && !only.includes(kind)) continue;
      await drive(stack.base, fleet, kind, inFlight, 2);
      const s0 = await cpuSeconds(stack.server.pid);
      const m0 = await cpuSeconds(stack.mariadbPid);
      const t0 = performance.now();
      const r = await drive(stack.base, fleet, kind, inFlight, seconds);
      const wall = (performance.now() - t0) / 1000;
      const s1 = await cpuSeconds(stack.server.pid);
      const m1 = await cpuSeconds(stack.mariadbPid);
      const sorted = Float64Array.from(r.lat).sort();
      const c: KindCost = {
        kind,
        requests: r.requests,
        errors: r.errors,
        rps: r.requests / wall,
        serverUs: ((s1 - s0) / r.requests) * 1e6,
        mariadbUs: ((m1 - m0) / r.requests) * 1e6,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
      };
      costs.push(c);
      console.error(
        `${kind}: ${c.requests} requests (${c.errors} errors), ${Math.round(c.rps)} req/s, ` +
          `server ${Math.round(c.serverUs)} µs, MariaDB ${Math.round(c.mariadbUs)} µs per request`,
      );
    }
  } finally {
    await stack.stop();
  }
  const m = await machineInfo();
  const commit = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"] }).output()).stdout,
  ).trim();
  const text = [
    `### ${m.date} (commit ${commit}; ${m.cpus} CPUs, deno ${m.deno}; load average before the run ${load})`,
    "",
    `\`deno task bench --only=cpu_per_request\` (${n} agents of ${clients} clients, MariaDB over ${
      Deno.args.includes("--tcp") ? "TCP" : "its Unix socket"
    }, ${inFlight} in flight, closed loop, 2 s warm-up + ${seconds} s per endpoint). CPU time of the server process (app, in-process endpoint, background work) and of MariaDB per answered request.`,
    "",
    "| endpoint | requests | errors | req/s | server CPU µs/request | MariaDB CPU µs/request | p50 ms | p99 ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...costs.map((c) =>
      `| ${c.kind} | ${c.requests} | ${c.errors} | ${Math.round(c.rps)} | ${
        Math.round(c.serverUs)
      } | ${Math.round(c.mariadbUs)} | ${c.p50.toFixed(1)} | ${c.p99.toFixed(1)} |`
    ),
    "",
  ].join("\n");
  console.log(text);
  if (!Deno.args.includes("--no-record")) await appendSection(HEADING, text);
  return costs.some((c) => c.errors > 0) ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
