/**
 * `deno task bench`: runs the benchmarks one after the other, each in its own process (they
 * start their own MariaDB and servers and must not share the CPU with each other):
 *
 * 1. `psdb_select1` — SELECT 1 through the protocol endpoint over loopback HTTP;
 * 2. `agents_load` — N simulated v4.0.0 agents against the real server;
 * 3. `cpu_per_request` — server and MariaDB CPU µs per request of each hot agent endpoint;
 * 4. `boot_storm` — 1,000 / 10,000 agents of 1 / 10 clients registering with 256 / 1,000 in flight;
 * 5. `stall` — MariaDB SIGSTOPped for 20 s under 1,000 agents;
 * 6. `replay` — the decision engine over tests/fixtures/price_trace.csv (prints, records nothing);
 * 7. `calibrate_risk` — observed interruption shares after a notice vs core/risk.ts's model (prints).
 *
 *   deno task bench [--only=agents_load,replay] [--no-record] [-- args for agents_load]
 *
 * All but `replay` and `calibrate_risk` append their results to bench/RESULTS.md (unless --no-record). Exit status: the
 * first failing benchmark's, else 0.
 * @module
 */

interface Bench {
  name: string;
  file: string;
  args: (extra: string[], record: boolean) => string[];
}

const BENCHES: Bench[] = [
  {
    name: "psdb_select1",
    file: "psdb_select1.ts",
    args: (_extra, record) => (record ? [] : ["--no-record"]),
  },
  {
    name: "agents_load",
    file: "agents_load.ts",
    args: (extra, record) => [...extra, ...(record ? [] : ["--no-record"])],
  },
  {
    name: "cpu_per_request",
    file: "cpu_per_request.ts",
    args: (_extra, record) => (record ? [] : ["--no-record"]),
  },
  {
    name: "boot_storm",
    file: "boot_storm.ts",
    args: (_extra, record) => (record ? [] : ["--no-record"]),
  },
  {
    name: "stall",
    file: "stall.ts",
    args: (_extra, record) => (record ? [] : ["--no-record"]),
  },
  {
    name: "replay",
    file: "replay.ts",
    args: () => ["--trace", new URL("../tests/fixtures/price_trace.csv", import.meta.url).pathname],
  },
  { name: "calibrate_risk", file: "calibrate_risk.ts", args: () => [] },
];

/** Runs the selected benchmarks in order; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const dash = args.indexOf("--");
  const own = dash < 0 ? args : args.slice(0, dash);
  const extra = dash < 0 ? [] : args.slice(dash + 1);
  const only = own.find((a) => a.startsWith("--only="))?.slice(7).split(",");
  const record = !own.includes("--no-record");
  const unknown = only?.filter((n) => !BENCHES.some((b) => b.name === n)) ?? [];
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(", ")}; known: ${
        BENCHES.map((b) => b.name).join(", ")
      }`,
    );
    return 2;
  }
  for (const b of BENCHES) {
    if (only && !only.includes(b.name)) continue;
    console.error(`\n=== bench ${b.name} ===`);
    const started = performance.now();
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(`./${b.file}`, import.meta.url).pathname,
        ...b.args(extra, record),
      ],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    console.error(
      `=== ${b.name}: exit ${code} after ${Math.round((performance.now() - started) / 1000)} s`,
    );
    if (code !== 0) return code;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
