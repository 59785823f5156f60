/**
 * Market data no tenant can poison (issue 14 item 3), through the API with the agent's v4.0.0
 * payloads, two tenants in each case: a report dated outside the window around the server clock
 * is refused (400, collected_at_out_of_window) while the real agent's report keeps getting 200; a
 * client's decisions use its own agents' prices, other tenants' only where it has none (median by
 * client); one foreign termination notice never queues a command for another tenant's agent.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { AgentSim, naiveIso, type SimPool } from "./agent_sim.ts";
import { assessAgent } from "../services/decision_assess.ts";

const t: TestContext = await testContext("market_tenancy");
const MIN = 60_000;
const HOUR = 60 * MIN;
const AZS = ["us-east-1a", "us-east-1b", "us-east-1c"];

function pools(type: string, prices: number[], azs = AZS): SimPool[] {
  return azs.map((az, i) => ({
    pool_id: `${type}.${az}`,
    instance_type: type,
    az,
    price: prices[i],
  }));
}

async function agent(
  type: string,
  opts: { client?: { id: string; token: string }; mode?: "spot" | "ondemand"; az?: string } = {},
): Promise<{ client: { id: string; token: string }; sim: AgentSim; agentId: string }> {
  const client = opts.client ?? await t.createClient();
  const sim = AgentSim.forApp(t.app, {
    token: client.token,
    instanceId: `i-0${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`,
    instanceType: type,
    az: opts.az ?? "us-east-1a",
    mode: opts.mode ?? "ondemand",
    now: t.clock,
  });
  const r = await sim.register();
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { client, sim, agentId: sim.agentId! };
}

function rawReport(type: string, collectedAt: string, prices: number[]) {
  return {
    instance: {
      instance_id: "i-0feedfacefeedface",
      instance_type: type,
      region: "us-east-1",
      az: "us-east-1a",
      mode: "ondemand",
      pool_id: null,
    },
    pricing: {
      on_demand_price: 0.096,
      current_spot_price: null,
      cheapest_pool: null,
      spot_pools: pools(type, prices),
      collected_at: collectedAt,
    },
  };
}

async function post(token: string, path: string, body: unknown) {
  const res = await t.request("POST", path, { token, body });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

Deno.test("tenancy: collected_at far in the future or past is 400; the real agent's report is 200", async () => {
  const a = await agent("c6a.large");
  const b = await agent("c6a.large");
  const ok = await a.sim.pricingReport({
    onDemand: 0.0765,
    pools: pools("c6a.large", [0.03, 0.031, 0.032]),
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const path = `/api/agents/${b.agentId}/pricing-report`;
  const year2100 = await post(
    b.client.token,
    path,
    rawReport("c6a.large", "2100-01-01T00:00:00", [7.5, 7.5, 7.5]),
  );
  assert.equal(year2100.status, 400, JSON.stringify(year2100.body));
  const hourAhead = naiveIso(new Date(t.clock().getTime() + HOUR));
  const future = await post(
    b.client.token,
    path,
    rawReport("c6a.large", hourAhead, [7.5, 7.5, 7.5]),
  );
  assert.equal(future.status, 400, JSON.stringify(future.body));
  assert.equal(future.body.code, "collected_at_out_of_window");
  const old = new Date(t.clock().getTime() - 2 * HOUR);
  const past = await post(
    b.client.token,
    path,
    rawReport("c6a.large", naiveIso(old), [7.5, 7.5, 7.5]),
  );
  assert.equal(past.status, 400);
  assert.equal(past.body.code, "collected_at_out_of_window");
  // Nothing of the refused reports was written; slightly ahead (agent clock skew) is accepted.
  const n = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM spot_price_snapshots WHERE price >= 7",
  );
  assert.equal(Number(n.rows[0].n), 0);
  const skew = new Date(t.clock().getTime() + 60_000);
  const ahead = await post(
    b.client.token,
    path,
    rawReport("c6a.large", naiveIso(skew), [0.03, 0.03, 0.03]),
  );
  assert.equal(ahead.status, 200, JSON.stringify(ahead.body));
});

Deno.test("tenancy: a client's decisions use its own prices; foreign ones only where it has none", async () => {
  const a = await agent("m7g.large");
  const b = await agent("m7g.large");
  const c = await agent("m7g.large");
  const d = await agent("m7g.large");
  const FOUR = [...AZS, "us-east-1d"];
  // A reports 1a and 1b; B, C and D report 1a-1c, B's prices absurd; only B reports 1d.
  const own = await a.sim.pricingReport({
    onDemand: 0.0816,
    pools: pools("m7g.large", [0.031, 0.033], AZS.slice(0, 2)),
  });
  assert.equal(own.status, 200);
  t.clock.advance(30_000);
  const reportOf = (s: AgentSim, prices: number[], azs = AZS) =>
    s.pricingReport({ onDemand: 0.0816, pools: pools("m7g.large", prices, azs) });
  assert.equal((await reportOf(b.sim, [7.5, 7.5, 7.5, 0.001], FOUR)).status, 200);
  assert.equal((await reportOf(c.sim, [0.04, 0.041, 0.029])).status, 200);
  assert.equal((await reportOf(d.sim, [0.04, 0.041, 0.030])).status, 200);
  await t.deps.services.background.drain();
  const r = await assessAgent(t.deps, {
    clientId: a.client.id,
    agentId: a.agentId,
    now: t.clock(),
  });
  assert.ok(r?.input, "assessment ran");
  const price = (az: string) => r.input!.pools.find((p) => p.az === az)?.price;
  assert.equal(price("us-east-1a"), 0.031); // A's own, though B reported later
  assert.equal(price("us-east-1b"), 0.033);
  // A has no price for 1c: the upper median of the other clients' latest (0.029, 0.030, 7.5).
  assert.equal(price("us-east-1c"), 0.03);
  // Only B reports 1d: one tenant alone never sets another's price.
  assert.equal(price("us-east-1d"), undefined);
});

Deno.test("tenancy: one foreign termination notice queues nothing for another tenant's agent", async () => {
  const type = "r6i.large";
  const a = await agent(type, { mode: "spot" });
  const b = await agent(type, { mode: "spot" });
  const prices = pools(type, [0.04, 0.05, 0.055]);
  assert.equal((await a.sim.pricingReport({ onDemand: 0.126, pools: prices })).status, 200);
  assert.equal((await b.sim.pricingReport({ onDemand: 0.126, pools: prices })).status, 200);
  await t.deps.services.background.drain();
  t.clock.advance(10 * MIN);
  const notice = await b.sim.terminationImminent(new Date(t.clock().getTime() + 2 * MIN));
  assert.equal(notice.status, 200, JSON.stringify(notice.body));
  await t.deps.services.background.drain();
  t.clock.advance(17_000);
  assert.equal((await a.sim.pricingReport({ onDemand: 0.126, pools: prices })).status, 200);
  await t.deps.services.background.drain();
  const cmds = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM commands WHERE agent_id = ?",
    [a.agentId],
  );
  assert.equal(Number(cmds.rows[0].n), 0, "no command for A from B's notice");
  const view = await assessAgent(t.deps, {
    clientId: a.client.id,
    agentId: a.agentId,
    now: t.clock(),
  });
  const risk = view?.input?.pools.find((p) => p.az === "us-east-1a")?.risk ?? 0;
  assert.ok(risk < 0.30, `A's view of the pool stays below the risk threshold, got ${risk}`);
});
