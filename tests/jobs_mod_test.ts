import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../core/log.ts";
import type { Db } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { cronFor, JOBS } from "../jobs/mod.ts";
import { runClaimed, slotStartFor } from "../jobs/_runner.ts";
import type { JobDef, JobDeps } from "../jobs/_runner.ts";
import { staleAgentsJob } from "../jobs/stale_agents.ts";
import { dailySavingsJob } from "../jobs/daily_savings.ts";
import { cleanupMetricsJob } from "../jobs/cleanup_metrics.ts";
import { jobsByName, parseDateFlag } from "../cli/job.ts";
import { testClock, testStack } from "./_support.ts";
import type { TestClock } from "./_support.ts";

// Until the lead lists this jobs in JOBS, they are checked beside it (same objects once).
const ALL_JOBS: JobDef[] = [
  ...new Set([...JOBS, staleAgentsJob, dailySavingsJob, cleanupMetricsJob]),
];
const silentLog = createLogger({ level: "error", sink: () => {} });

/** Minutes of the UTC epoch at which a cron expression of the forms cronFor emits fires. */
function cronFires(expr: string, epochMinute: number): boolean {
  const [min, hour, dom, mon, dow] = expr.split(" ");
  assert.deepEqual([dom, mon, dow], ["*", "*", "*"], `unexpected cron ${expr}`);
  const d = new Date(epochMinute * 60_000);
  const field = (f: string, v: number) =>
    f === "*" || (f.startsWith("*/") ? v % Number(f.slice(2)) === 0 : Number(f) === v);
  return field(min!, d.getUTCMinutes()) && field(hour!, d.getUTCHours());
}

/** Asserts every slot of the job in a window gets at least one cron tick. */
function assertEverySlotTicks(job: JobDef, config: Config, days: number): void {
  const period = job.periodSeconds(config);
  const offset = job.offsetSeconds?.(config) ?? 0;
  const expr = cronFor(period);
  const start = Date.UTC(2026, 10, 2) / 60_000; // a Monday
  const ticksBySlot = new Map<number, number>();
  for (let m = start; m < start + days * 1440; m++) {
    if (!cronFires(expr, m)) continue;
    const slot = slotStartFor(new Date(m * 60_000), period, offset).getTime();
    ticksBySlot.set(slot, (ticksBySlot.get(slot) ?? 0) + 1);
  }
  const first = slotStartFor(new Date(start * 60_000), period, offset).getTime() + period * 1000;
  for (let s = first; s + period * 1000 <= (start + days * 1440) * 60_000; s += period * 1000) {
    assert.ok(ticksBySlot.has(s), `${job.name} (${expr}) misses slot ${new Date(s).toISOString()}`);
  }
}

Deno.test("jobs: names are unique and every slot of every job gets a cron tick", () => {
  const names = ALL_JOBS.map((j) => j.name);
  assert.equal(new Set(names).size, names.length, `duplicate job names: ${names}`);
  for (const n of names) assert.match(n, /^[a-z][a-z0-9_]{0,63}$/); // job_runs.job VARCHAR(64)
  assert.deepEqual([...jobsByName().keys()].sort(), [...names].sort());

  const configs = [
    parseConfig({}),
    parseConfig({ STALE_AGENT_CHECK_INTERVAL: "60", SAVINGS_CALCULATION_HOUR: "23" }),
    parseConfig({ STALE_AGENT_CHECK_INTERVAL: "300", SAVINGS_CALCULATION_HOUR: "5" }),
    parseConfig({ STALE_AGENT_CHECK_INTERVAL: "5400", POOL_RISK_ANALYSIS_INTERVAL: "2700" }),
    parseConfig({ STALE_AGENT_CHECK_INTERVAL: "86400" }),
  ];
  for (const config of configs) {
    for (const job of ALL_JOBS) {
      const period = job.periodSeconds(config);
      assert.ok(Number.isInteger(period) && period >= 60, `${job.name} period ${period}`);
      assert.ok(job.leaseSeconds > 0);
      assertEverySlotTicks(job, config, period >= 604_800 ? 29 : 9);
    }
  }
});

Deno.test("jobs: this issue's schedules follow the configuration", () => {
  const config = parseConfig({ SAVINGS_CALCULATION_HOUR: "1" });
  assert.equal(staleAgentsJob.periodSeconds(config), 21_600); // the seed's 6 h default
  assert.equal(cronFor(staleAgentsJob.periodSeconds(config)), "0 */6 * * *");
  assert.equal(cleanupMetricsJob.periodSeconds(config), 604_800);
  // The daily slot starts at SAVINGS_CALCULATION_HOUR UTC: 00:30 still belongs to yesterday's slot.
  const slot = (iso: string) =>
    slotStartFor(
      new Date(iso),
      dailySavingsJob.periodSeconds(config),
      dailySavingsJob.offsetSeconds!(config),
    ).toISOString();
  assert.equal(slot("2026-11-27T00:30:00Z"), "2026-11-26T01:00:00.000Z");
  assert.equal(slot("2026-11-27T01:00:00Z"), "2026-11-27T01:00:00.000Z");
  assert.equal(parseDateFlag("2026-11-20").toISOString(), "2026-11-20T00:00:00.000Z");
  assert.throws(() => parseDateFlag("yesterday"), RangeError);
});

/** Two app instances: two driver clients on one database, each with its own instance name. */
async function twoInstances(suite: string, clock: TestClock): Promise<[JobDeps, JobDeps, Db]> {
  const stack = await testStack();
  const name = `t_${suite}_${crypto.randomUUID().slice(0, 8)}`;
  const dbA = stack.open(name);
  await migrate(dbA);
  const dbB = stack.open(name);
  const config = parseConfig({});
  const deps = (db: Db, instanceName: string): JobDeps => ({
    db,
    config,
    clock,
    log: silentLog,
    instanceName,
  });
  return [deps(dbA, "server-a"), deps(dbB, "server-b"), dbA];
}

Deno.test("jobs: two instances firing the same slot at the same moment: one run does the work", async () => {
  const clock = testClock("2026-11-27T12:00:00.000Z");
  const [a, b, db] = await twoInstances("jobs_race", clock);
  await db.execute("INSERT INTO clients (id, name, email) VALUES ('c1', 'One', 'one@x.test')");
  await db.execute(
    "INSERT INTO agents (id, client_id, logical_agent_id, status, last_heartbeat_at) VALUES ('a1', 'c1', 'l1', 'online', ?), ('a2', 'c1', 'l2', 'online', ?)",
    [new Date("2026-11-27T11:00:00Z"), new Date("2026-11-27T11:59:00Z")],
  );
  const outcomes = await Promise.all([
    runClaimed(a, staleAgentsJob),
    runClaimed(b, staleAgentsJob),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status).sort(), ["ok", "skipped"]);
  const winner = outcomes[0]!.status === "ok" ? "server-a" : "server-b";
  const runs = await db.execute<{ claimed_by: string; status: string; attempts: number }>(
    "SELECT claimed_by, status, attempts FROM job_runs WHERE job = 'stale_agents'",
  );
  assert.deepEqual(runs.rows, [{ claimed_by: winner, status: "ok", attempts: 1 }]);
  const events = await db.execute<{ agent_id: string }>(
    "SELECT agent_id FROM system_events WHERE event_type = 'agent_offline'",
  );
  assert.deepEqual(events.rows, [{ agent_id: "a1" }]);

  // The same with a job that counts its runs, several times over.
  let calls = 0;
  const counting: JobDef = {
    name: "counting",
    periodSeconds: () => 60,
    leaseSeconds: 30,
    run: async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return { rowsTouched: 0 };
    },
  };
  for (let i = 0; i < 5; i++) {
    const both = await Promise.all([runClaimed(a, counting), runClaimed(b, counting)]);
    assert.deepEqual(both.map((o) => o.status).sort(), ["ok", "skipped"]);
    clock.advance(60_000);
  }
  assert.equal(calls, 5);
});

Deno.test("jobs: a job that throws is recorded as error and its slot is retried", async () => {
  const clock = testClock("2026-11-27T12:00:00.000Z");
  const [a, b, db] = await twoInstances("jobs_retry", clock);
  let fail = true;
  const flaky: JobDef = {
    name: "flaky",
    periodSeconds: () => 3600,
    leaseSeconds: 60,
    run: () => {
      if (fail) return Promise.reject(new Error("database went away"));
      return Promise.resolve({ rowsTouched: 3 });
    },
  };
  const first = await runClaimed(a, flaky);
  assert.deepEqual(first, {
    status: "error",
    slotStart: new Date("2026-11-27T12:00:00.000Z"),
    error: "database went away",
  });
  const row = () =>
    db.execute<{ status: string; error: string | null; attempts: number; claimed_by: string }>(
      "SELECT status, error, attempts, claimed_by FROM job_runs WHERE job = 'flaky'",
    );
  assert.deepEqual((await row()).rows, [{
    status: "error",
    error: "database went away",
    attempts: 1,
    claimed_by: "server-a",
  }]);
  // The cron backoff retry (on any instance) claims the failed slot again and succeeds.
  fail = false;
  clock.advance(10_000);
  assert.equal((await runClaimed(b, flaky)).status, "ok");
  assert.deepEqual((await row()).rows, [{
    status: "ok",
    error: null,
    attempts: 2,
    claimed_by: "server-b",
  }]);
  assert.equal((await runClaimed(a, flaky)).status, "skipped");
});
