import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import type { JobDeps } from "../jobs/_runner.ts";
import { runPoolRisk } from "../jobs/pool_risk.ts";

const T = (iso: string) => new Date(iso);
const NOW = "2026-03-10T12:00:00.000Z"; // a slot start of the 900 s period

function jobDeps(ctx: TestContext): JobDeps {
  const { db, config, clock, log } = ctx.deps;
  return { db, config, clock, log, instanceName: "risk-test" };
}

async function fixture(ctx: TestContext): Promise<void> {
  const db = ctx.db;
  for (const az of ["a", "b", "c", "d"]) {
    await db.execute(
      "INSERT INTO spot_pools (id, instance_type, region, az) VALUES (?, 'm5.large', 'us-east-1', ?)",
      [`m5.large.us-east-1${az}`, `us-east-1${az}`],
    );
  }
  const price = (pool: string, at: string, p: number) =>
    db.execute(
      "INSERT INTO spot_price_snapshots (pool_id, bucket_start, price, captured_at) VALUES (?, ?, ?, ?)",
      [`m5.large.us-east-1${pool}`, T(at), p, T(at)],
    );
  // Scores are P = 1 − e^(−24 λ) (core/risk.ts).
  // A: 0.044/0.2 = 0.22 of on-demand (π 0; cv 0.1 is reported, not scored); its notice is 31 days
  //    old; B's notice is one client's in another AZ (no burst) → λ = 0.0001 → 0.0024 safe.
  await price("a", "2026-03-09T16:00:00Z", 0.036);
  await price("a", "2026-03-10T10:00:00Z", 0.044);
  // B: one price, a notice 5 minutes ago → fresh-notice floor 0.90 → avoid.
  await price("b", "2026-03-10T11:00:00Z", 0.05);
  // C: 0.164/0.2 = 0.82 of on-demand → near 0.1 → π = 0.025; a notice exactly 72 h ago
  //    (0.5^6 = 0.015625) and two rebalances now (0.25 each): E = 0.515625, λ = 0.0001 + 0.008 E
  //    + 0.025 = 0.029225 → 0.5041 caution.
  await price("c", "2026-03-10T11:00:00Z", 0.164);
  // D: no price in the last 24 h → not an active pool, not analysed.
  await price("d", "2026-03-09T06:00:00Z", 0.05);
  await db.execute(
    "INSERT INTO ondemand_price_snapshots (region, instance_type, bucket_start, price, captured_at) VALUES ('us-east-1', 'm5.large', ?, 0.2, ?)",
    [T("2026-03-10T11:55:00Z"), T("2026-03-10T11:55:00Z")],
  );
  let n = 0;
  const event = (pool: string, type: string, at: string) =>
    db.execute(
      "INSERT INTO termination_events (agent_id, client_id, instance_id, event_type, detected_at, pool_id, notice_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
      // Unattributed (client_id NULL): each event counts on its own, as before the per-client cap.
      ["agent-x", null, `i-${++n}`, type, T(at), `m5.large.us-east-1${pool}`, `k${n}`],
    );
  await event("a", "termination_notice", "2026-02-07T12:00:00Z"); // 31 days: outside the window
  await event("b", "termination_notice", "2026-03-10T11:55:00Z");
  await event("c", "termination_notice", "2026-03-07T12:00:00Z");
  await event("c", "rebalance_recommendation", NOW);
  await event("c", "rebalance_recommendation", NOW);
}

Deno.test("pool risk job: hand-computed scores per pool, stored per slot and mirrored on spot_pools", async () => {
  const ctx = await testContext("pool_risk_job");
  ctx.clock.set(NOW);
  await fixture(ctx);
  const result = await runPoolRisk(jobDeps(ctx), ctx.clock());
  assert.deepEqual(result.summary, {
    pools: 3,
    analysisTime: NOW,
    safe: 1,
    caution: 1,
    avoid: 1,
    closed: 0,
  });
  const stored = (await ctx.db.execute(
    "SELECT pool_id, analysis_time, risk_score, recommendation, interruption_frequency, avg_price_24h, min_price_24h, max_price_24h, price_volatility FROM pool_risk_analysis ORDER BY pool_id",
  )).rows;
  assert.deepEqual(stored, [
    {
      pool_id: "m5.large.us-east-1a",
      analysis_time: NOW,
      risk_score: 0.0024,
      recommendation: "safe",
      interruption_frequency: 0,
      avg_price_24h: 0.04,
      min_price_24h: 0.036,
      max_price_24h: 0.044,
      price_volatility: 0.1,
    },
    {
      pool_id: "m5.large.us-east-1b",
      analysis_time: NOW,
      risk_score: 0.9,
      recommendation: "avoid",
      interruption_frequency: 1,
      avg_price_24h: 0.05,
      min_price_24h: 0.05,
      max_price_24h: 0.05,
      price_volatility: 0,
    },
    {
      pool_id: "m5.large.us-east-1c",
      analysis_time: NOW,
      risk_score: 0.5041,
      recommendation: "caution",
      interruption_frequency: 3,
      avg_price_24h: 0.164,
      min_price_24h: 0.164,
      max_price_24h: 0.164,
      price_volatility: 0,
    },
  ]);
  const [meta] = (await ctx.db.execute<{ metadata: string }>(
    "SELECT metadata FROM pool_risk_analysis WHERE pool_id = 'm5.large.us-east-1c'",
  )).rows;
  const m = typeof meta.metadata === "string" ? JSON.parse(meta.metadata) : meta.metadata;
  assert.equal(m.components.evidence, 0.5156);
  assert.equal(m.components.scarcity, 0.1);
  assert.equal(m.components.priceHazard, 0.025);
  assert.equal(m.components.rebalanceRecommendations, 2);
  const mirror = (await ctx.db.execute(
    "SELECT id, risk_score, risk_recommendation, risk_analyzed_at FROM spot_pools ORDER BY id",
  )).rows;
  assert.deepEqual(mirror, [
    {
      id: "m5.large.us-east-1a",
      risk_score: 0.0024,
      risk_recommendation: "safe",
      risk_analyzed_at: NOW,
    },
    {
      id: "m5.large.us-east-1b",
      risk_score: 0.9,
      risk_recommendation: "avoid",
      risk_analyzed_at: NOW,
    },
    {
      id: "m5.large.us-east-1c",
      risk_score: 0.5041,
      risk_recommendation: "caution",
      risk_analyzed_at: NOW,
    },
    {
      id: "m5.large.us-east-1d",
      risk_score: null,
      risk_recommendation: null,
      risk_analyzed_at: null,
    },
  ]);

  // A re-run of the same slot (5 minutes later) overwrites its rows: C's evidence decayed a bit.
  // E = 0.5^((72+1/12)/12) + 2·0.25·0.5^((1/12)/12) = 0.513149 → 0.5039.
  ctx.clock.advance(5 * 60_000);
  await runPoolRisk(jobDeps(ctx), ctx.clock());
  const again = (await ctx.db.execute(
    "SELECT pool_id, analysis_time, risk_score FROM pool_risk_analysis ORDER BY pool_id",
  )).rows;
  assert.equal(again.length, 3);
  assert.deepEqual(again[2], {
    pool_id: "m5.large.us-east-1c",
    analysis_time: NOW,
    risk_score: 0.5039,
  });

  // The next slot adds rows; the view serves the latest per pool.
  ctx.clock.set("2026-03-10T12:15:00.000Z");
  await runPoolRisk(jobDeps(ctx), ctx.clock());
  const count = (await ctx.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM pool_risk_analysis",
  )).rows[0].n;
  assert.equal(Number(count), 6);
  const current = (await ctx.db.execute(
    "SELECT pool_id, analysis_time FROM v_pool_risk_current ORDER BY pool_id",
  )).rows;
  assert.deepEqual(current.map((r) => r.analysis_time), [
    "2026-03-10T12:15:00.000Z",
    "2026-03-10T12:15:00.000Z",
    "2026-03-10T12:15:00.000Z",
  ]);
});

Deno.test("pool risk job: a risk raised by a newer notice is kept; unfulfilled replica requests fail", async () => {
  const ctx = await testContext("pool_risk_keep");
  ctx.clock.set(NOW);
  await fixture(ctx);
  // A notice raised A after the job's `now` (another instance, a moment later).
  await ctx.db.execute(
    "UPDATE spot_pools SET risk_score = 0.9, risk_recommendation = 'avoid', risk_analyzed_at = ? WHERE id = 'm5.large.us-east-1a'",
    [T("2026-03-10T12:00:01Z")],
  );
  await ctx.db.execute(
    "INSERT INTO termination_events (agent_id, client_id, instance_id, event_type, detected_at, pool_id, notice_key, status, replica_requested_at) VALUES ('agent-y', 'client-y', 'i-old', 'termination_notice', ?, 'm5.large.us-east-1b', 'x', 'handling', ?)",
    [T("2026-03-10T11:00:00Z"), T("2026-03-10T11:00:00Z")],
  );
  const r = await runPoolRisk(jobDeps(ctx), ctx.clock());
  assert.equal(r.summary?.closed, 1);
  const [a] = (await ctx.db.execute(
    "SELECT risk_score, risk_recommendation FROM spot_pools WHERE id = 'm5.large.us-east-1a'",
  )).rows;
  assert.deepEqual(a, { risk_score: 0.9, risk_recommendation: "avoid" });
  const [ev] = (await ctx.db.execute(
    "SELECT status, no_replica_reason FROM termination_events WHERE agent_id = 'agent-y'",
  )).rows;
  assert.deepEqual(ev, { status: "failed", no_replica_reason: "never_registered" });
});

Deno.test("pool risk job: a burst in the type's other AZs raises a pool only when two clients saw it", async () => {
  const ctx = await testContext("pool_risk_siblings");
  ctx.clock.set(NOW);
  const db = ctx.db;
  const pools = [
    ["m5.large.us-east-1a", "m5.large", "us-east-1", "us-east-1a"],
    ["m5.large.us-east-1b", "m5.large", "us-east-1", "us-east-1b"],
    ["m5.large.us-east-1c", "m5.large", "us-east-1", "us-east-1c"],
    ["m5.large.us-west-2a", "m5.large", "us-west-2", "us-west-2a"], // another region
    ["c5.large.us-east-1b", "c5.large", "us-east-1", "us-east-1b"], // another type
  ];
  for (const [id, type, region, az] of pools) {
    await db.execute(
      "INSERT INTO spot_pools (id, instance_type, region, az) VALUES (?, ?, ?, ?)",
      [id, type, region, az],
    );
    await db.execute(
      "INSERT INTO spot_price_snapshots (pool_id, bucket_start, price, captured_at) VALUES (?, ?, 0.05, ?)",
      [id, T("2026-03-10T11:55:00Z"), T("2026-03-10T11:55:00Z")],
    );
  }
  let n = 0;
  const notice = (pool: string, client: string, at: string) =>
    db.execute(
      "INSERT INTO termination_events (agent_id, client_id, instance_id, event_type, detected_at, pool_id, notice_key) VALUES (?, ?, ?, 'termination_notice', ?, ?, ?)",
      [`agent-${client}`, client, `i-${++n}`, T(at), pool, `k${n}`],
    );
  const scores = async () =>
    Object.fromEntries(
      (await db.execute<{ id: string; risk_score: number }>(
        "SELECT id, risk_score FROM spot_pools ORDER BY id",
      )).rows.map((r) => [r.id, r.risk_score]),
    );
  // One tenant's notices in b, 2 minutes ago: capped, no burst for a (and no floor for b).
  await notice("m5.large.us-east-1b", "tenant-b", "2026-03-10T11:58:00Z");
  await notice("m5.large.us-east-1b", "tenant-b", "2026-03-10T11:58:30Z");
  await runPoolRisk(jobDeps(ctx), ctx.clock());
  let s = await scores();
  assert.equal(s["m5.large.us-east-1a"], 0.0024);
  assert.ok(
    s["m5.large.us-east-1b"] < 0.3,
    `one tenant never raises b past 0.3: ${s["m5.large.us-east-1b"]}`,
  );
  // A second tenant in c confirms the burst: a is about to be hit; other regions and types are not.
  await notice("m5.large.us-east-1c", "tenant-c", "2026-03-10T11:59:00Z");
  ctx.clock.set("2026-03-10T12:15:00.000Z");
  await db.execute(
    "UPDATE termination_events SET detected_at = DATE_ADD(detected_at, INTERVAL 15 MINUTE)",
  );
  await runPoolRisk(jobDeps(ctx), ctx.clock());
  s = await scores();
  assert.ok(s["m5.large.us-east-1a"] > 0.7, `two tenants' burst: ${s["m5.large.us-east-1a"]}`);
  assert.equal(s["m5.large.us-west-2a"], 0.0024);
  assert.equal(s["c5.large.us-east-1b"], 0.0024);
});
