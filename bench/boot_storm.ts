/**
 * Boot storm: a fleet that starts at once registers, as agent v4.0.0 does (one POST
 * /api/agents/register per agent, 30 s HTTP timeout, no retry: a failed registration is a dead
 * agent).
 *
 *   deno run -A bench/boot_storm.ts [--n=1000,10000] [--in-flight=256,1000] [--clients=1,10]
 *     [--no-record]
 *
 * One stack (MariaDB + the server) for every combination; each combination registers a fresh
 * fleet of N agents spread over 1 or 10 clients with at most --in-flight registrations at once.
 * Per run: registered / failed (by HTTP status, 0 = timeout or connection error), registration
 * latency p50/p99/max, and the time until the last agent was answered. Appends to
 * bench/RESULTS.md under "## Boot storm (registration)".
 * @module
 */
import { buildFleet } from "./_agent_payloads.ts";
import { pool, registerOnce, startBenchStack } from "./_bench_stack.ts";
import { appendSection, machineInfo, percentile } from "./_report.ts";

const HEADING = "## Boot storm (registration)";

function list(name: string, fallback: string): number[] {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return (arg ? arg.slice(name.length + 3) : fallback).split(",").map(Number).filter((n) => n > 0);
}

interface Run {
  n: number;
  clients: number;
  inFlight: number;
  ok: number;
  failed: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
  seconds: number;
  load: string;
}

async function loadavg(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
}

async function main(): Promise<number> {
  const ns = list("n", "1000,10000");
  const inFlights = list("in-flight", "256,1000");
  const clientCounts = list("clients", "1,10");
  const stack = await startBenchStack({ clients: Math.max(...clientCounts) });
  const runs: Run[] = [];
  try {
    for (const n of ns) {
      for (const clients of clientCounts) {
        for (const inFlight of inFlights) {
          const fleet = buildFleet(n, stack.tokens.slice(0, clients));
          const load = await loadavg();
          const lat: number[] = [];
          const failed: Record<string, number> = {};
          const t0 = performance.now();
          await pool(fleet, inFlight, async (a) => {
            const r = await registerOnce(stack.base, a);
            lat.push(r.ms);
            if (r.status !== 200) failed[r.status] = (failed[r.status] ?? 0) + 1;
          });
          const seconds = (performance.now() - t0) / 1000;
          const sorted = Float64Array.from(lat).sort();
          const run: Run = {
            n,
            clients,
            inFlight,
            ok: fleet.filter((a) => a.agentId !== null).length,
            failed,
            p50: percentile(sorted, 50),
            p99: percentile(sorted, 99),
            max: sorted[sorted.length - 1],
            seconds,
            load,
          };
          runs.push(run);
          console.error(line(run));
          await new Promise((r) => setTimeout(r, 3000)); // let background work settle
        }
      }
    }
  } finally {
    await stack.stop();
  }
  const m = await machineInfo();
  const commit = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"] }).output()).stdout,
  ).trim();
  const text = [
    `### ${m.date} (commit ${commit}; ${m.cpus} CPUs, deno ${m.deno})`,
    "",
    "`deno task bench --only=boot_storm`: the real v4.0.0 registration body, no retry, 30 s client timeout; whole stack on this machine (MariaDB, server with in-process endpoint, crons, engine hook, this generator). Failed = non-200 answers by status (0 = timeout/connection error).",
    "",
    "| agents | clients | in flight | registered | failed (by status) | p50 ms | p99 ms | max ms | until all answered s | reg/s | load avg before |",
    "| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...runs.map(line),
    "",
  ].join("\n");
  console.log(text);
  if (!Deno.args.includes("--no-record")) await appendSection(HEADING, text);
  return runs.every((r) => r.ok === r.n) ? 0 : 1;
}

function line(r: Run): string {
  const failed = Object.entries(r.failed).map(([s, k]) => `${k} × ${s}`).join(", ") || "0";
  return `| ${r.n.toLocaleString("en-US")} | ${r.clients} | ${r.inFlight} | ${
    r.ok.toLocaleString("en-US")
  } | ${failed} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.max.toFixed(0)} | ${
    r.seconds.toFixed(1)
  } | ${Math.round(r.n / r.seconds)} | ${r.load} |`;
}

if (import.meta.main) Deno.exit(await main());
