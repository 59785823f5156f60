/**
 * Server-side fixes that keep both predecessor dashboards working unchanged (issue 15 item 1):
 * available-options pools carry `savings` (the admin dashboard calls `pools[].savings.toFixed`),
 * admin totals equal the sum of the client views (today's unsettled savings included), agent items
 * under the admin credential carry both key sets, retired instances keep their last known prices
 * (never an on-demand 0, which the dashboards render as "-Infinity%"), and the numeric strings the
 * client dashboard posts (`"replica_count": "2"`) are accepted. Two tenants in every test.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { call } from "./_schema_check.ts";
import { addInstance, addSpotPrice, ago, fleet, HOUR, MIN, prices } from "./_dashboard_fixtures.ts";

type Json = Record<string, unknown>;

Deno.test("compat: available-options pools carry savings as the pricing route computes it", async () => {
  const t = await testContext("compat_options");
  const { client, other } = await fleet(t);
  await prices(t);
  const path = "/api/client/instances/i-spot1";
  const o = await call(t, "GET", `${path}/available-options`, { token: t.adminToken });
  assert.equal(o.status, 200);
  assert.equal(o.body.pools.length, 3);
  const pricing = await call(t, "GET", `${path}/pricing`, { token: client.token });
  for (const pool of o.body.pools as { id: string; savings: unknown }[]) {
    assert.equal(typeof pool.savings, "number", `${pool.id} has a numeric savings`);
    const p = (pricing.body.pools as { id: string; savings: number }[]).find((x) =>
      x.id === pool.id
    );
    assert.equal(pool.savings, p?.savings);
  }
  const a = o.body.pools.find((p: { id: string }) => p.id === "t3.medium.us-east-1a");
  assert.equal(a.savings, 69.95, "(0.0416 − 0.0125) / 0.0416");
  const cd = await call(t, "GET", `${path}/available-options`, { token: client.token });
  assert.deepEqual(cd.body.pools, o.body.pools);
  const foreign = await call(t, "GET", `${path}/available-options`, { token: other.token });
  assert.equal(foreign.status, 404);
});

/** An open spot segment of `instanceId` since 09:00 (three hours before the suites' NOW). */
async function spotSince9(t: TestContext, clientId: string, agentId: string, instanceId: string) {
  await t.db.execute(
    "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, pool_id, instance_type, region, started_at) VALUES (?, ?, ?, 'spot', 't3.medium.us-east-1a', 't3.medium', 'us-east-1', ?)",
    [clientId, agentId, instanceId, ago(3 * HOUR)],
  );
}

Deno.test("compat: admin stats, client list, client detail and global CSV include today's unsettled savings like the client view", async () => {
  const t = await testContext("compat_totals");
  const { client, other, a1 } = await fleet(t);
  await prices(t);
  await spotSince9(t, client.id, a1, "i-spot1");
  // The second tenant: its own agent and instance on the same pool, a settled opening balance.
  await t.db.execute("UPDATE clients SET opening_savings = 1.5, total_savings = 1.5 WHERE id = ?", [
    other.id,
  ]);
  const oAgent = crypto.randomUUID();
  await t.db.execute(
    "INSERT INTO agents (id, client_id, logical_agent_id, instance_id, instance_type, region, az, current_mode, current_pool_id, status, enabled, last_heartbeat_at) VALUES (?, ?, 'other-1', 'i-other1', 't3.medium', 'us-east-1', 'us-east-1a', 'spot', 't3.medium.us-east-1a', 'online', 1, ?)",
    [oAgent, other.id, ago(MIN)],
  );
  await addInstance(t.db, { id: "i-other1", clientId: other.id, agentId: oAgent });
  await spotSince9(t, other.id, oAgent, "i-other1");

  const view = async (c: { id: string; token: string }) =>
    (await call(t, "GET", `/api/client/${c.id}/savings`, { token: c.token })).body
      .total_savings as number;
  const mine = await view(client);
  const theirs = await view(other);
  assert.ok(mine > 0, `the client view shows today's savings (${mine})`);
  assert.ok(theirs > 1.5, `opening balance plus today (${theirs})`);
  const overview = await call(t, "GET", `/api/client/${client.id}`, { token: client.token });
  assert.equal(overview.body.total_savings, mine);

  const stats = await call(t, "GET", "/api/admin/stats", { token: t.adminToken });
  assert.equal(stats.status, 200);
  assert.equal(stats.body.totalSavings, Math.round((mine + theirs) * 1e4) / 1e4);

  const list = await call(t, "GET", "/api/admin/clients", { token: t.adminToken });
  const item = (id: string) => (list.body as Json[]).find((x) => x.id === id)!;
  assert.equal(item(client.id).totalSavings, mine);
  assert.equal(item(other.id).totalSavings, theirs);
  const one = await call(t, "GET", `/api/admin/clients/${other.id}`, { token: t.adminToken });
  assert.equal(one.body.totalSavings, theirs);

  const res = await t.request("GET", "/api/admin/export/global-stats", { token: t.adminToken });
  assert.equal(res.status, 200);
  const lines = (await res.text()).trim().split("\r\n");
  const savingsOf = (id: string) => Number(lines.find((l) => l.startsWith(id))!.split(",")[3]);
  assert.equal(savingsOf(client.id), mine);
  assert.equal(savingsOf(other.id), theirs);
});

Deno.test("compat: agent items under the admin credential carry both key sets", async () => {
  const t = await testContext("compat_agent_keys");
  const { client, other } = await fleet(t);
  for (const path of ["agents", "agents/history"]) {
    const ad = await call(t, "GET", `/api/client/${client.id}/${path}`, { token: t.adminToken });
    assert.equal(ad.status, 200);
    const a = (ad.body as Json[]).find((x) => x.logicalAgentId === "web-1")!;
    assert.equal(a.logical_agent_id, "web-1", path);
    assert.equal(a.lastHeartbeat, a.last_heartbeat_at, path);
    assert.equal(a.instanceId, a.instance_id, path);
    assert.equal(a.autoSwitchEnabled, a.auto_switch_enabled, path);
    const cd = await call(t, "GET", `/api/client/${client.id}/${path}`, { token: client.token });
    assert.equal(cd.body.agents.length, (ad.body as Json[]).length);
    assert.equal(cd.body.agents[0].logicalAgentId, undefined, "the client dialect stays snake");
  }
  const ad = await call(t, "GET", `/api/client/${client.id}/agents`, { token: t.adminToken });
  const a = (ad.body as Json[])[0]!;
  assert.equal(typeof a.terminate_wait_seconds, "number");
  assert.equal(a.terminateWaitMinutes, (a.terminate_wait_seconds as number) / 60);
  assert.equal(
    (await call(t, "GET", `/api/client/${client.id}/agents`, { token: other.token })).status,
    404,
  );
});

Deno.test("compat: a retired replica instance keeps its last known prices", async () => {
  const t = await testContext("compat_retired");
  const { client, other, a1 } = await fleet(t);
  await prices(t);
  // A replica registered without prices (as POST /replicas records it), retired at 11:30; its
  // pool's prices: 10:55 0.0135, 11:50 0.02, 11:55 0.0125 (after it retired).
  await addInstance(t.db, {
    id: "i-replica1",
    clientId: client.id,
    agentId: a1,
    status: "terminated",
    isActive: false,
    isPrimary: false,
  });
  await t.db.execute("UPDATE instances SET terminated_at = ? WHERE id = 'i-replica1'", [
    ago(30 * MIN),
  ]);
  await addSpotPrice(t.db, "t3.medium.us-east-1a", ago(10 * MIN), 0.02);
  await addInstance(t.db, { id: "i-other1", clientId: other.id });

  const cd = await call(t, "GET", `/api/client/${client.id}/instances?status=terminated`, {
    token: client.token,
  });
  const r = (cd.body.instances as Json[]).find((i) => i.id === "i-replica1")!;
  assert.equal(r.ondemand_price, 0.0416, "the on-demand price when it retired, not 0");
  assert.equal(r.spot_price, 0.0135, "its pool's price at 10:55, the last before it retired");
  const ad = await call(t, "GET", `/api/client/${client.id}/instances?status=terminated`, {
    token: t.adminToken,
  });
  const a = (ad.body as Json[]).find((i) => i.id === "i-replica1")!;
  assert.equal(a.onDemandPrice, 0.0416);
  const all = await call(t, "GET", "/api/admin/instances?status=terminated", {
    token: t.adminToken,
  });
  const g = (all.body.instances as Json[]).find((i) => i.id === "i-replica1")!;
  assert.equal(g.ondemandPrice, 0.0416);
  assert.equal(g.spotPrice, 0.0135);
  const m = await call(t, "GET", "/api/client/instances/i-replica1/metrics", {
    token: client.token,
  });
  assert.equal(m.body.onDemandPrice, 0.0416);
  assert.equal(
    (await call(t, "GET", "/api/client/instances/i-replica1/metrics", { token: other.token }))
      .status,
    404,
  );
});

Deno.test("compat: numeric strings of the client dashboard's forms are accepted, other strings refused", async () => {
  const t = await testContext("compat_numeric");
  const { client, other, a1 } = await fleet(t);
  const path = `/api/client/agents/${a1}/settings`;
  const ok = await call(t, "POST", path, {
    token: client.token,
    body: {
      auto_switch_enabled: true,
      auto_terminate_enabled: true,
      manual_replica_enabled: false,
      replica_count: "2",
    },
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const wait = await call(t, "POST", path, {
    token: client.token,
    body: { terminate_wait_seconds: " 600 " },
  });
  assert.equal(wait.status, 200);
  assert.equal(wait.body.terminate_wait_seconds, 600);
  for (const bad of ["two", "", "2.5", "1e3"]) {
    const r = await call(t, "POST", path, { token: client.token, body: { replica_count: bad } });
    assert.equal(r.status, 400, `replica_count ${JSON.stringify(bad)}`);
  }
  const over = await call(t, "POST", path, { token: client.token, body: { replica_count: "11" } });
  assert.equal(over.status, 400, "the range still applies");
  const config = await call(t, "POST", `/api/client/agents/${a1}/config`, {
    token: t.adminToken,
    body: {
      terminateWaitMinutes: "5",
      autoSwitchEnabled: true,
      manualReplicaEnabled: false,
      autoTerminateEnabled: true,
    },
  });
  assert.equal(config.status, 200);
  assert.equal(config.body.terminate_wait_seconds, 300);
  const foreign = await call(t, "POST", path, {
    token: other.token,
    body: { replica_count: "1" },
  });
  assert.equal(foreign.status, 404);
});
