/**
 * CPU microseconds of one statement on the app's side of the in-process stack: the driver, the
 * in-process protocol endpoint and mysql2, for the config poll's SELECT (14 columns, two `?`).
 *
 *   deno run -A bench/statement_cost.ts [--statements=30000] [--concurrency=16]
 *     [--endpoint-thread=1] [label]
 *
 * Starts a private MariaDB in a temporary directory, runs the statement --statements times with
 * --concurrency in flight, twice, and prints the second round: this process's CPU time (from
 * /proc/self/stat, so MariaDB's own CPU is not in it), the part of it on the app's (main) thread,
 * and wall time per statement. --endpoint-thread=0 runs the endpoint on the app's thread instead
 * of its Worker (db/local/psdb_thread.ts). Nothing is
 * recorded; pair runs of two checkouts interleaved, this VM drifts by 20 % within minutes.
 * @module
 */
import { startLocalStack } from "../db/local/stack.ts";
import { migrate } from "../db/migrate.ts";
import { startMariaDb } from "../db/local/mariadb.ts";

function flag(name: string, fallback: number, min = 1): number {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  const n = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

const SQL =
  "SELECT a.status, a.enabled, a.auto_switch_enabled, a.auto_terminate_enabled, a.terminate_wait_seconds, a.replica_enabled, a.replica_count, a.manual_replica_enabled, a.cleanup_enabled, ac.min_savings_percent, ac.risk_threshold, ac.max_switches_per_week, ac.max_switches_per_day, ac.min_pool_duration_hours FROM agents a LEFT JOIN agent_configs ac ON ac.agent_id = a.id WHERE a.id = ? AND a.client_id = ?";

/** CPU milliseconds so far (utime + stime, 10 ms ticks) of this process or of one thread. */
function cpuMs(file = "/proc/self/stat"): number {
  const st = Deno.readTextFileSync(file);
  const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
const MAIN_THREAD = `/proc/self/task/${Deno.pid}/stat`;

const n = flag("statements", 30_000);
const concurrency = flag("concurrency", 16);
const endpointThread = flag("endpoint-thread", 1, 0) !== 0;
const label = Deno.args.find((a) => !a.startsWith("--")) ?? "";
const dataDir = await Deno.makeTempDir({ prefix: "stmt-cost-" });
const mariadb = await startMariaDb({ dataDir });
const stack = await startLocalStack({
  backend: { socketPath: mariadb.socketPath, user: mariadb.user },
  endpointThread,
});
try {
  const db = stack.open(`stmt_${crypto.randomUUID().slice(0, 8)}`);
  await migrate(db);
  for (let round = 0; round < 2; round++) {
    let i = 0;
    const c0 = cpuMs();
    const m0 = cpuMs(MAIN_THREAD);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (i++ < n) await db.execute(SQL, [crypto.randomUUID(), "c1"]);
    }));
    const wall = performance.now() - t0;
    if (round === 1) {
      console.log(
        `${label} CPU µs/statement ${((cpuMs() - c0) * 1000 / n).toFixed(1)} (main thread ${
          ((cpuMs(MAIN_THREAD) - m0) * 1000 / n).toFixed(1)
        }), wall µs/statement ${(wall * 1000 / n).toFixed(1)}`.trim(),
      );
    }
  }
} finally {
  await stack.stop();
  await mariadb.stop();
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
}
