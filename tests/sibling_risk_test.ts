/**
 * A termination notice re-scores the type's other AZs at once (services/sibling_risk.ts): a burst
 * seen by two tenants raises the other pools' mirrored risk before the next pool risk job; one
 * tenant's notices alone raise nothing (core/market.ts). Two tenants' agents, three clients.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { AgentSim } from "./agent_sim.ts";
import { POOLS, rows, setPoolRisk } from "./_interruption_fixtures.ts";
import { siblingRiskStats } from "../services/sibling_risk.ts";

async function agentIn(ctx: TestContext, token: string, az: string, instanceId: string) {
  const sim = AgentSim.forApp(ctx.app, {
    token,
    instanceId,
    instanceType: "t3.medium",
    az,
    mode: "spot",
    logicalAgentId: `web-${az}`,
    now: ctx.clock,
  });
  assert.equal((await sim.register()).status, 200);
  assert.equal((await sim.pricingReport({ onDemand: 0.0416, pools: POOLS })).status, 200);
  return sim;
}

async function risks(ctx: TestContext): Promise<Record<string, number>> {
  const r = await rows<{ id: string; risk_score: number }>(
    ctx,
    "SELECT id, risk_score FROM spot_pools WHERE instance_type = 't3.medium' ORDER BY id",
  );
  return Object.fromEntries(r.map((x) => [x.id.slice(-1), Number(x.risk_score)]));
}

Deno.test("sibling risk: two tenants' notices in other AZs raise a pool at once; one tenant's do not", async () => {
  const ctx = await testContext("sibling_risk");
  const a = await ctx.createClient("tenant-a");
  const b = await ctx.createClient("tenant-b");
  const c = await ctx.createClient("tenant-c");
  await agentIn(ctx, a.token, "us-east-1a", "i-0aaaaaaaaaaaaaa01"); // the bystander
  const b1 = await agentIn(ctx, b.token, "us-east-1b", "i-0bbbbbbbbbbbbbb01");
  const b2 = await agentIn(ctx, b.token, "us-east-1c", "i-0bbbbbbbbbbbbbb02");
  const c1 = await agentIn(ctx, c.token, "us-east-1c", "i-0cccccccccccccc01");
  await ctx.deps.services.background.drain();
  for (const p of POOLS) await setPoolRisk(ctx, p.pool_id, 0.01, "safe");

  // Tenant B alone, in two AZs: no burst for anybody else's pools.
  const end = new Date(ctx.clock().getTime() + 120_000);
  assert.equal((await b1.terminationImminent(end)).status, 200);
  assert.equal((await b2.terminationImminent(end)).status, 200);
  await ctx.deps.services.background.drain();
  let r = await risks(ctx);
  assert.equal(r.a, 0.01, "one tenant never raises another tenant's pool");
  assert.equal(r.d, 0.01);

  // Tenant C confirms the burst a minute later: 1a and 1d are raised before any job runs.
  ctx.clock.advance(60_000);
  assert.equal((await c1.terminationImminent(end)).status, 200);
  await ctx.deps.services.background.drain();
  r = await risks(ctx);
  assert.ok(r.a > 0.7, `1a raised: ${r.a}`);
  assert.ok(r.d > 0.7, `1d raised: ${r.d}`);
  const [pool] = await rows<{ risk_recommendation: string }>(
    ctx,
    "SELECT risk_recommendation FROM spot_pools WHERE id = 't3.medium.us-east-1a'",
  );
  assert.equal(pool.risk_recommendation, "avoid");
});

Deno.test("sibling risk: a storm of concurrent notices all answer 200 and re-score one run at a time, the last with every notice", async () => {
  const ctx = await testContext("sibling_risk_storm");
  const tenants = [await ctx.createClient("storm-b"), await ctx.createClient("storm-c")];
  const sims: AgentSim[] = [];
  let n = 0;
  for (const t of tenants) {
    for (const az of ["us-east-1b", "us-east-1c", "us-east-1d"]) {
      for (let i = 0; i < 4; i++) {
        sims.push(await agentIn(ctx, t.token, az, `i-0storm${String(++n).padStart(10, "0")}`));
      }
    }
  }
  const bystander = await ctx.createClient("storm-a");
  await agentIn(ctx, bystander.token, "us-east-1a", "i-0aaaaaaaaaaaaaa09");
  await ctx.deps.services.background.drain();
  for (const p of POOLS) await setPoolRisk(ctx, p.pool_id, 0.01, "safe");
  const before = siblingRiskStats(ctx.db).runs;
  const end = new Date(ctx.clock().getTime() + 120_000);
  const answers = await Promise.all(sims.map((s) => s.terminationImminent(end)));
  // All answered 200: concurrent notices of one pool used to deadlock in the pool's risk raise.
  assert.deepEqual(
    answers.map((a) => a.status),
    sims.map(() => 200),
    ctx.logs.filter((l) => l.includes('"level":"error"')).join("\n"),
  );
  await ctx.deps.services.background.drain();
  const st = siblingRiskStats(ctx.db);
  const ran = st.runs - before;
  assert.ok(ran >= 1 && ran <= sims.length, `${sims.length} notices, ${ran} runs`);
  assert.equal(st.maxActive, 1, "never two re-scorings of one type and region at once");
  const r = await risks(ctx);
  assert.ok(r.a > 0.7, `the last run saw the whole burst: 1a at ${r.a}`);
});
