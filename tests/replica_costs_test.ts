import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import type { JobDeps } from "../jobs/_runner.ts";
import { runReplicaCosts } from "../jobs/replica_costs.ts";

const T = (iso: string) => new Date(iso);

function jobDeps(ctx: TestContext): JobDeps {
  const { db, config, clock, log } = ctx.deps;
  return { db, config, clock, log, instanceName: "costs-test" };
}

async function replica(
  ctx: TestContext,
  r: {
    id: string;
    instanceId: string;
    pool: string;
    status: string;
    launched: string;
    ended?: string | null;
    active?: number;
    hourly?: number | null;
  },
): Promise<void> {
  await ctx.db.execute(
    "INSERT INTO replica_instances (id, agent_id, client_id, instance_id, replica_type, pool_id, status, created_at, launched_at, ended_at, is_active, hourly_cost) VALUES (?, 'agent-1', 'client-1', ?, 'automatic-termination', ?, ?, ?, ?, ?, ?, ?)",
    [
      r.id,
      r.instanceId,
      r.pool,
      r.status,
      T(r.launched),
      T(r.launched),
      r.ended ? T(r.ended) : null,
      r.active ?? 1,
      r.hourly ?? null,
    ],
  );
}

async function price(ctx: TestContext, pool: string, at: string, p: number): Promise<void> {
  await ctx.db.execute(
    "INSERT INTO spot_price_snapshots (pool_id, bucket_start, price, captured_at) VALUES (?, ?, ?, ?)",
    [pool, T(at), p, T(at)],
  );
}

async function totals(ctx: TestContext) {
  return (await ctx.db.execute(
    "SELECT id, total_runtime_hours AS h, accumulated_cost AS c FROM replica_instances ORDER BY id",
  )).rows;
}

Deno.test("replica costs: a fixture day gives hand-computed hours and costs; a re-run changes nothing", async () => {
  const ctx = await testContext("replica_costs_day");
  const A = "t3.medium.us-east-1a";
  const B = "t3.medium.us-east-1b";
  // Pool A costs 0.0300 until noon, then 0.0360; pool B 0.0500 all day.
  await price(ctx, A, "2026-03-09T23:55:00Z", 0.03);
  await price(ctx, A, "2026-03-10T12:00:00Z", 0.036);
  await price(ctx, B, "2026-03-10T00:00:00Z", 0.05);
  // r1 ran 10:20 → 14:45 (promoted): 10h 40 min at 0.03 = 0.0200 (0.67 h), 11h 1 h at 0.03,
  // 12h and 13h 1 h at 0.036, 14h 45 min at 0.036 = 0.0270 (0.75 h):
  // hours 0.67 + 1 + 1 + 1 + 0.75 = 4.42; cost 0.02 + 0.03 + 0.036 + 0.036 + 0.027 = 0.149.
  await replica(ctx, {
    id: "r1",
    instanceId: "i-00000000000000r01",
    pool: A,
    status: "promoted",
    launched: "2026-03-10T10:20:00Z",
    ended: "2026-03-10T14:45:00Z",
    active: 0,
  });
  // r2 runs all day (still ready): 24 × 1 h × 0.05 = 1.2.
  await replica(ctx, {
    id: "r2",
    instanceId: "i-00000000000000r02",
    pool: B,
    status: "ready",
    launched: "2026-03-09T22:00:00Z",
  });
  // A predecessor placeholder never ran: no cost.
  await replica(ctx, {
    id: "r3",
    instanceId: "manual-1a2b3c4d",
    pool: B,
    status: "launching",
    launched: "2026-03-10T01:00:00Z",
  });

  ctx.clock.set("2026-03-11T00:05:00.000Z"); // the slot of 00:00 logs 2026-03-10 00:00 … 23:00
  const first = await runReplicaCosts(jobDeps(ctx), ctx.clock());
  assert.equal(first.rowsTouched, 29);
  const r1 = (await ctx.db.execute(
    "SELECT log_time, duration_hours, hourly_cost, total_cost, instance_id, pool_id FROM replica_cost_log WHERE replica_id = 'r1' ORDER BY log_time",
  )).rows;
  assert.deepEqual(r1.map((r) => [r.log_time, r.duration_hours, r.hourly_cost, r.total_cost]), [
    ["2026-03-10T10:00:00.000Z", 0.67, 0.03, 0.02],
    ["2026-03-10T11:00:00.000Z", 1, 0.03, 0.03],
    ["2026-03-10T12:00:00.000Z", 1, 0.036, 0.036],
    ["2026-03-10T13:00:00.000Z", 1, 0.036, 0.036],
    ["2026-03-10T14:00:00.000Z", 0.75, 0.036, 0.027],
  ]);
  assert.equal(r1[0].instance_id, "i-00000000000000r01");
  // r2 started before the window: the run logs the window's 24 hours (catch-up bound).
  const r2 = (await ctx.db.execute<{ n: number; h: number; c: number }>(
    "SELECT COUNT(*) AS n, SUM(duration_hours) AS h, SUM(total_cost) AS c FROM replica_cost_log WHERE replica_id = 'r2' AND log_time >= ?",
    [T("2026-03-10T00:00:00Z")],
  )).rows[0];
  assert.deepEqual([Number(r2.n), r2.h, r2.c], [24, 24, 1.2]);
  const expected = [
    { id: "r1", h: 4.42, c: 0.149 },
    { id: "r2", h: 24, c: 1.2 },
    { id: "r3", h: 0, c: 0 },
  ];
  assert.deepEqual(await totals(ctx), expected);

  // A re-run of the same slot writes nothing and changes nothing.
  ctx.clock.set("2026-03-11T00:40:00.000Z");
  const rerun = await runReplicaCosts(jobDeps(ctx), ctx.clock());
  assert.equal(rerun.rowsTouched, 0);
  assert.deepEqual(await totals(ctx), expected);

  // The next hour adds r2's hour only.
  ctx.clock.set("2026-03-11T01:00:00.000Z");
  const next = await runReplicaCosts(jobDeps(ctx), ctx.clock());
  assert.equal(next.rowsTouched, 1);
  assert.deepEqual((await totals(ctx))[1], { id: "r2", h: 25, c: 1.25 });
});

Deno.test("replica costs: without any snapshot the replica's recorded hourly cost is used", async () => {
  const ctx = await testContext("replica_costs_fallback");
  await replica(ctx, {
    id: "r9",
    instanceId: "i-00000000000000r09",
    pool: "t3.medium.us-east-1c",
    status: "syncing",
    launched: "2026-03-10T08:30:00Z",
    hourly: 0.02,
  });
  ctx.clock.set("2026-03-10T10:00:00.000Z");
  await runReplicaCosts(jobDeps(ctx), ctx.clock());
  assert.deepEqual(await totals(ctx), [{ id: "r9", h: 1.5, c: 0.03 }]);
});
