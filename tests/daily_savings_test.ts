import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { createLogger } from "../core/log.ts";
import type { Db } from "../db/client.ts";
import { applyRoutines } from "../db/migrate.ts";
import { computeLedgerRow } from "../db/savings.ts";
import { runClaimed } from "../jobs/_runner.ts";
import type { JobDeps } from "../jobs/_runner.ts";
import { dailySavingsJob, daysToSettle, settleDays } from "../jobs/daily_savings.ts";
import { parseRecomputeArgs } from "../cli/savings_recompute.ts";
import { testClock, testDb } from "./_support.ts";
import type { TestClock } from "./_support.ts";

const D = "2026-11-20";
const POOL_A = "t3.medium.us-east-1a";
const DAY_MS = 86_400_000;
/** `t("14:00")` = that time (HH:MM[:SS]) on day D; `t("14:00", 1)` = on the day after. */
const t = (hm: string, dayOffset = 0): Date =>
  new Date(
    new Date(`${D}T${hm.length === 5 ? `${hm}:00` : hm}.000Z`).getTime() + dayOffset * DAY_MS,
  );
const day = (offset: number): string => t("00:00", offset).toISOString().slice(0, 10);
const silentLog = createLogger({ level: "error", sink: () => {} });

function jobDeps(db: Db, clock: TestClock, instanceName = "test-a"): JobDeps {
  return {
    db,
    config: parseConfig({ SAVINGS_CALCULATION_HOUR: "1" }),
    clock,
    log: silentLog,
    instanceName,
  };
}

async function insertPrices(
  db: Db,
  spot: [string, Date, number][],
  od: [string, string, Date, number][],
) {
  for (const [pool, at, price] of spot) {
    await db.execute(
      "INSERT INTO spot_price_snapshots (pool_id, bucket_start, price, captured_at) VALUES (?, ?, ?, ?)",
      [pool, at, price, at],
    );
  }
  for (const [region, type, at, price] of od) {
    await db.execute(
      "INSERT INTO ondemand_price_snapshots (region, instance_type, bucket_start, price, captured_at) VALUES (?, ?, ?, ?, ?)",
      [region, type, at, price, at],
    );
  }
}

/**
 * The issue's day D as table rows: i-old on spot in pool A (0.03 $/h, 0.04 from 09:30) until the
 * switch at 14:00, i-new on-demand (0.10 $/h) from 14:00; i-old runs on 5 min after the switch (its
 * segment is still open: it ends at the instance's last heartbeat, 14:05); a replica ran 2 h at
 * 0.035 $/h. Client c1 has an opening balance of 10.5; client c2 has nothing.
 */
async function issueDay(db: Db): Promise<void> {
  await db.execute(
    "INSERT INTO clients (id, name, email, opening_savings) VALUES ('c1', 'One', 'one@x.test', 10.5), ('c2', 'Two', 'two@x.test', 0)",
  );
  await db.execute(
    "INSERT INTO agents (id, client_id, logical_agent_id, instance_id, status, last_heartbeat_at) VALUES ('a1', 'c1', 'l1', 'i-new', 'online', ?)",
    [t("00:59:45", 1)],
  );
  await db.execute(
    "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, current_mode, last_heartbeat_at) VALUES ('i-old', 'c1', 'a1', 't3.medium', 'us-east-1', 'us-east-1a', 'spot', ?), ('i-new', 'c1', 'a1', 't3.medium', 'us-east-1', 'us-east-1a', 'ondemand', ?)",
    [t("14:05"), t("00:59:45", 1)],
  );
  await db.execute(
    "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, pool_id, instance_type, region, started_at, superseded_at) VALUES ('c1', 'a1', 'i-old', 'spot', ?, 't3.medium', 'us-east-1', ?, ?), ('c1', 'a1', 'i-new', 'ondemand', NULL, 't3.medium', 'us-east-1', ?, NULL)",
    [POOL_A, t("20:00", -1), t("14:00"), t("14:00")],
  );
  await insertPrices(db, [
    [POOL_A, t("00:00", -2), 0.05], // superseded by the 20:00 point before the day
    [POOL_A, t("20:00", -1), 0.03],
    [POOL_A, t("05:00"), 0.03],
    [POOL_A, t("09:30"), 0.04],
    [POOL_A, t("03:00", 1), 0.09], // after the day
    ["t3.medium.us-east-1b", t("10:00"), 0.01], // another pool
  ], [
    ["us-east-1", "t3.medium", t("00:00", -10), 0.1],
    ["us-east-1", "t3.medium", t("12:00"), 0.1],
    ["eu-west-1", "t3.medium", t("00:00", -10), 0.2], // another region
  ]);
  await db.execute(
    "INSERT INTO replica_cost_log (replica_id, agent_id, client_id, hourly_cost, log_time, duration_hours, total_cost) VALUES ('r1', 'a1', 'c1', 0.035, ?, 1, 0.035), ('r1', 'a1', 'c1', 0.035, ?, 1, 0.035), ('r1', 'a1', 'c1', 0.035, ?, 1, 0.035), ('r1', 'a1', 'c1', 0.035, ?, 1, 0.035)",
    [t("23:00", -1), t("03:00"), t("04:00"), t("00:00", 1)],
  );
  await db.execute(
    "INSERT INTO switches (id, client_id, agent_id, new_instance_id, old_mode, new_mode, savings_impact, initiated_at) VALUES ('s0', 'c1', 'a1', 'i-old', 'ondemand', 'spot', 0.05, ?), ('s1', 'c1', 'a1', 'i-new', 'spot', 'ondemand', 0.02, ?)",
    [t("20:00", -1), t("14:00")],
  );
}

const SNAPSHOT_COLS =
  "client_id, snapshot_date, spot_hours, ondemand_hours, overlap_hours, unpriced_hours, total_cost, would_be_cost, gross_savings, overlap_cost, replica_cost, daily_savings, average_savings_percent, switch_count, total_savings";

async function snapshots(db: Db, extra = ""): Promise<Record<string, unknown>[]> {
  const r = await db.execute(
    `SELECT ${SNAPSHOT_COLS}${extra} FROM savings_snapshots ORDER BY client_id, snapshot_date`,
  );
  return r.rows;
}

async function clientTotals(db: Db): Promise<Record<string, number>> {
  const r = await db.execute<{ id: string; total_savings: number }>(
    "SELECT id, total_savings FROM clients ORDER BY id",
  );
  return Object.fromEntries(r.rows.map((x) => [x.id, x.total_savings]));
}

// Hand computation of day D (core/savings_test.ts has the same numbers):
//   spot 9.5 h × 0.03 + 4.5 h × 0.04 = 0.465; on-demand 10 h × 0.10 = 1.0; would-be 24 h × 0.10 = 2.4
//   gross 0.935; overlap 5 min × 0.04 = 0.0033; replicas 2 × 0.035 = 0.07; net 0.8617 (35.90 %)
// Day D−1 (settled by the same first run): spot 20:00–24:00 at 0.03 → gross 4 × 0.07 = 0.28, the
// 23:00 replica hour 0.035 → net 0.245; total 10.5 + 0.245 = 10.745, then D: 10.745 + 0.8617.
const ROW_D = {
  client_id: "c1",
  snapshot_date: D,
  spot_hours: 14,
  ondemand_hours: 10,
  overlap_hours: 0.08,
  unpriced_hours: 0,
  total_cost: 1.5383,
  would_be_cost: 2.4,
  gross_savings: 0.935,
  overlap_cost: 0.0033,
  replica_cost: 0.07,
  daily_savings: 0.8617,
  average_savings_percent: 35.9,
  switch_count: 1,
  total_savings: 11.6067,
};
const ROW_D_MINUS_1 = {
  client_id: "c1",
  snapshot_date: day(-1),
  spot_hours: 4,
  ondemand_hours: 0,
  overlap_hours: 0,
  unpriced_hours: 0,
  total_cost: 0.155,
  would_be_cost: 0.4,
  gross_savings: 0.28,
  overlap_cost: 0,
  replica_cost: 0.035,
  daily_savings: 0.245,
  average_savings_percent: 61.25,
  switch_count: 1,
  total_savings: 10.745,
};
const zeroRow = (client: string, date: string) => ({
  client_id: client,
  snapshot_date: date,
  spot_hours: 0,
  ondemand_hours: 0,
  overlap_hours: 0,
  unpriced_hours: 0,
  total_cost: 0,
  would_be_cost: 0,
  gross_savings: 0,
  overlap_cost: 0,
  replica_cost: 0,
  daily_savings: 0,
  average_savings_percent: 0,
  switch_count: 0,
  total_savings: 0,
});

Deno.test("savings ledger: the issue's day from table rows matches the hand computation to the cent", async () => {
  const db = await testDb("ledger_day");
  await issueDay(db);
  const clock = testClock(t("01:00", 1)); // SAVINGS_CALCULATION_HOUR=1 on D+1
  const deps = jobDeps(db, clock);

  const out = await runClaimed(deps, dailySavingsJob);
  assert.equal(out.status, "ok", JSON.stringify(out));
  assert.deepEqual(await snapshots(db), [
    ROW_D_MINUS_1,
    ROW_D,
    zeroRow("c2", day(-1)),
    zeroRow("c2", D),
  ]);
  assert.deepEqual(await clientTotals(db), { c1: 11.6067, c2: 0 });
  const run = await db.execute<{ s: string; status: string }>(
    "SELECT JSON_UNQUOTE(JSON_EXTRACT(summary, '$.settledThrough')) AS s, status FROM job_runs WHERE job = 'daily_savings'",
  );
  assert.deepEqual(run.rows, [{ s: D, status: "ok" }]);

  // Re-running the day (and the slot) changes nothing, not even updated_at.
  const before = await snapshots(db, ", id, updated_at");
  assert.equal((await runClaimed(deps, dailySavingsJob)).status, "skipped");
  const again = await settleDays(db, {
    clientIds: ["c1", "c2"],
    days: [D],
    now: clock(),
    log: silentLog,
  });
  assert.equal(again.rowsWritten, 2);
  assert.deepEqual(await snapshots(db, ", id, updated_at"), before);
  assert.deepEqual(await clientTotals(db), { c1: 11.6067, c2: 0 });
});

Deno.test("savings ledger: today on the fly is computed to now without writing", async () => {
  const db = await testDb("ledger_today");
  await issueDay(db);
  // At 18:00 on D: i-new's open segment is capped at now (4 h on-demand so far), i-old's at its
  // last heartbeat 14:05; the cumulative total starts from the opening balance.
  const row = await computeLedgerRow(db, { clientId: "c1", day: D, now: t("18:00") });
  assert.equal(row.ondemandHours, 4);
  assert.equal(row.spotHours, 14);
  assert.equal(row.overlapHours, 0.08);
  assert.equal(row.wouldBeCost, 1.8); // 18 h × 0.10
  assert.equal(row.dailySavings, 0.8617); // the same savings: on-demand time saves nothing
  assert.equal(row.totalSavings, 11.3617);
  assert.deepEqual(await snapshots(db), []);
  // An unknown client is an empty day, not an error.
  const none = await computeLedgerRow(db, { clientId: "nope", day: D, now: t("18:00") });
  assert.equal(none.wouldBeCost, 0);
  assert.equal(none.totalSavings, 0);
});

Deno.test("savings ledger: missed days after downtime are filled in order with chained totals", async () => {
  const db = await testDb("ledger_gap");
  await db.execute("INSERT INTO clients (id, name, email) VALUES ('c1', 'One', 'one@x.test')");
  await db.execute(
    "INSERT INTO agents (id, client_id, logical_agent_id, instance_id, status) VALUES ('a1', 'c1', 'l1', 'i-1', 'online')",
  );
  // On spot at 0.03 (on-demand 0.10) all along: 24 × 0.07 = 1.68 a day; D+2 also had 0.5 of replicas.
  await db.execute(
    "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, pool_id, instance_type, region, started_at) VALUES ('c1', 'a1', 'i-1', 'spot', ?, 't3.medium', 'us-east-1', ?)",
    [POOL_A, t("00:00", -3)],
  );
  await insertPrices(db, [[POOL_A, t("00:00", -5), 0.03]], [[
    "us-east-1",
    "t3.medium",
    t("00:00", -5),
    0.1,
  ]]);
  await db.execute(
    "INSERT INTO replica_cost_log (replica_id, agent_id, client_id, log_time, total_cost) VALUES ('r1', 'a1', 'c1', ?, 0.5)",
    [t("05:00", 2)],
  );
  const clock = testClock(t("01:00", 1));
  const deps = jobDeps(db, clock);
  const beat = () =>
    db.execute("UPDATE agents SET last_heartbeat_at = ? WHERE id = 'a1'", [
      new Date(clock().getTime() - 20_000),
    ]);

  await beat();
  assert.equal((await runClaimed(deps, dailySavingsJob)).status, "ok"); // settles D−1 and D
  // No server runs on D+2, D+3, D+4; the run on D+5 settles D+1 … D+4.
  clock.set(t("01:00", 5));
  await beat();
  const out = await runClaimed(deps, dailySavingsJob);
  assert.equal(out.status, "ok");
  assert.deepEqual(out.status === "ok" && out.result.summary, {
    from: day(1),
    settledThrough: day(4),
    days: 4,
    clients: 1,
    rowsWritten: 4,
  });
  const rows = await db.execute<{ d: string; daily: number; total: number }>(
    "SELECT snapshot_date AS d, daily_savings AS daily, total_savings AS total FROM savings_snapshots ORDER BY snapshot_date",
  );
  assert.deepEqual(rows.rows, [
    { d: day(-1), daily: 1.68, total: 1.68 },
    { d: day(0), daily: 1.68, total: 3.36 },
    { d: day(1), daily: 1.68, total: 5.04 },
    { d: day(2), daily: 1.18, total: 6.22 },
    { d: day(3), daily: 1.68, total: 7.9 },
    { d: day(4), daily: 1.68, total: 9.58 },
  ]);
  assert.deepEqual(await clientTotals(db), { c1: 9.58 });

  // A late replica row for D+1, then a recompute of that day: the later totals re-chain.
  await db.execute(
    "INSERT INTO replica_cost_log (replica_id, agent_id, client_id, log_time, total_cost) VALUES ('r2', 'a1', 'c1', ?, 1)",
    [t("07:00", 1)],
  );
  await settleDays(db, { clientIds: ["c1"], days: [day(1)], now: clock(), log: silentLog });
  const after = await db.execute<{ total: number }>(
    "SELECT total_savings AS total FROM savings_snapshots ORDER BY snapshot_date",
  );
  assert.deepEqual(after.rows.map((r) => r.total), [1.68, 3.36, 4.04, 5.22, 6.9, 8.58]);
  assert.deepEqual(await clientTotals(db), { c1: 8.58 });

  // The catch-up is bounded: after 60 days down, the last 31 days are settled.
  const due = await daysToSettle(db, { now: t("01:00", 60) });
  assert.equal(due.length, 31);
  assert.deepEqual([due[0], due[30]], [day(29), day(59)]);
});

Deno.test("savings ledger: the job and sp_calculate_daily_savings agree on the switch count", async () => {
  const db = await testDb("ledger_routine");
  await issueDay(db);
  await applyRoutines(db);
  await db.execute("CALL sp_calculate_daily_savings(?)", [D]);
  const seed = await db.execute<{ client_id: string; daily_savings: number; switch_count: number }>(
    "SELECT client_id, daily_savings, switch_count FROM savings_snapshots WHERE snapshot_date = ? ORDER BY client_id",
    [D],
  );
  // The seed's formula: Σ savings_impact × 24 of the day's switches (0.02 × 24).
  assert.deepEqual(seed.rows, [
    { client_id: "c1", daily_savings: 0.48, switch_count: 1 },
    { client_id: "c2", daily_savings: 0, switch_count: 0 },
  ]);
  // The ledger rewrites the same rows with time integrated per mode and pool.
  await settleDays(db, { clientIds: ["c1", "c2"], days: [D], now: t("01:00", 1), log: silentLog });
  const ours = await db.execute<{ client_id: string; daily_savings: number; switch_count: number }>(
    "SELECT client_id, daily_savings, switch_count FROM savings_snapshots WHERE snapshot_date = ? ORDER BY client_id",
    [D],
  );
  assert.deepEqual(ours.rows.map((r) => [r.client_id, r.switch_count]), [["c1", 1], ["c2", 0]]);
  assert.deepEqual(ours.rows.map((r) => r.daily_savings), [0.8617, 0]);
});

Deno.test("savings ledger: savings:recompute validates its range", () => {
  const now = new Date("2026-11-27T12:00:00Z");
  const ok = parseRecomputeArgs(
    ["--client", "all", "--from", "2026-11-20", "--to=2026-11-26"],
    now,
  );
  assert.equal(ok.client, "all");
  assert.equal(ok.days.length, 7);
  const bad = (args: string[]) => assert.throws(() => parseRecomputeArgs(args, now), RangeError);
  bad(["--from", "2026-11-20", "--to", "2026-11-26"]); // no client
  bad(["--client", "c1", "--from", "2026-11-26", "--to", "2026-11-20"]); // inverted
  bad(["--client", "c1", "--from", "2026-11-20", "--to", "2026-11-27"]); // today is not over
  bad(["--client", "c1", "--from", "2026-02-30", "--to", "2026-03-01"]); // not a day
  assert.throws(
    () => parseRecomputeArgs(["--client", "c1", "--form", "2026-11-20"], now),
    TypeError,
  );
});
