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
  // A: mean 0.04, std 0.004 → cv 0.1 → v 0.5; rise (0.044−0.036)/0.036 = 0.2222 → r 0.4444;
  //    level 0.044/0.2 = 0.22 < 0.5 → l 0; P = 0.6 · 0.5 = 0.30; no events → score 0.30 safe.
  await price("a", "2026-03-09T16:00:00Z", 0.036);
  await price("a", "2026-03-10T10:00:00Z", 0.044);
  // B: one price (P 0) and a notice 30 minutes ago → fresh-notice floor 0.90 → avoid.
  await price("b", "2026-03-10T11:00:00Z", 0.05);
  // C: one price (P 0); a notice exactly 72 h ago (evidence 0.5) and two rebalances now
  //    (0.25 each) → E = 1.0 → I = 0.5 → score 0.50 caution.
  await price("c", "2026-03-10T11:00:00Z", 0.05);
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
  await event("b", "termination_notice", "2026-03-10T11:30:00Z");
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
      risk_score: 0.3,
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
      risk_score: 0.5,
      recommendation: "caution",
      interruption_frequency: 3,
      avg_price_24h: 0.05,
      min_price_24h: 0.05,
      max_price_24h: 0.05,
      price_volatility: 0,
    },
  ]);
  const [meta] = (await ctx.db.execute<{ metadata: string }>(
    "SELECT metadata FROM pool_risk_analysis WHERE pool_id = 'm5.large.us-east-1c'",
  )).rows;
  const m = typeof meta.metadata === "string" ? JSON.parse(meta.metadata) : meta.metadata;
  assert.equal(m.components.evidence, 1);
  assert.equal(m.components.interruptionRisk, 0.5);
  assert.equal(m.components.rebalanceRecommendations, 2);
  const mirror = (await ctx.db.execute(
    "SELECT id, risk_score, risk_recommendation, risk_analyzed_at FROM spot_pools ORDER BY id",
  )).rows;
  assert.deepEqual(mirror, [
    {
      id: "m5.large.us-east-1a",
      risk_score: 0.3,
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
      risk_score: 0.5,
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
  // E = 0.5·0.5^((72+1/12)/72) + 2·0.25·0.5^((1/12)/72) = 0.999198 → I = 0.4998.
  ctx.clock.advance(5 * 60_000);
  await runPoolRisk(jobDeps(ctx), ctx.clock());
  const again = (await ctx.db.execute(
    "SELECT pool_id, analysis_time, risk_score FROM pool_risk_analysis ORDER BY pool_id",
  )).rows;
  assert.equal(again.length, 3);
  assert.deepEqual(again[2], {
    pool_id: "m5.large.us-east-1c",
    analysis_time: NOW,
    risk_score: 0.4998,
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
