/**
 * Client instance routes (CONTRACT E37–E42, E44, E45): both dashboards' shapes, numbers where the
 * dashboards call toFixed, filters, path ids resolving to instances or agents, scoping.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import { call } from "./_schema_check.ts";
import {
  addInstance,
  addPools,
  addReplica,
  addSpotPrice,
  ago,
  fleet,
  HOUR,
  MIN,
  prices,
} from "./_dashboard_fixtures.ts";

Deno.test("client: instances are {instances} with number prices for a client token, a bare array for the admin", async () => {
  const t = await testContext("client_instances");
  const { client, other } = await fleet(t);
  await addSpotPrice(t.db, "t3.medium.us-east-1a", ago(10 * MIN), 0.0131);
  await addInstance(t.db, { id: "i-odd%_x", clientId: client.id, mode: "ondemand", poolId: null });
  const cd = await call(t, "GET", `/api/client/${client.id}/instances`, { token: client.token });
  assert.equal(cd.status, 200);
  assert.equal(cd.body.instances.length, 4);
  const spot = cd.body.instances.find((i: { id: string }) => i.id === "i-spot1");
  assert.equal(spot.spot_price, 0.0131, "active instances show the pool's latest price");
  assert.equal(spot.ondemand_price, 0.0416);
  assert.equal(spot.current_mode, "spot");
  assert.equal(spot.is_active, true);
  const od = cd.body.instances.find((i: { id: string }) => i.id === "i-od1");
  assert.equal(od.spot_price, 0, "unknown prices are 0, never null (the dashboard calls toFixed)");

  const ad = await call(t, "GET", `/api/client/${client.id}/instances?status=active&mode=spot`, {
    token: t.adminToken,
  });
  assert.deepEqual(ad.body.map((i: { id: string }) => i.id), ["i-spot1"]);
  assert.equal(ad.body[0].type, "t3.medium");
  assert.equal(ad.body[0].poolId, "t3.medium.us-east-1a");
  assert.equal(ad.body[0].isPrimary, true);
  const term = await call(t, "GET", `/api/client/${client.id}/instances?status=terminated`, {
    token: t.adminToken,
  });
  assert.deepEqual(term.body.map((i: { id: string }) => i.id), ["i-old1"]);
  const odAd = await call(t, "GET", `/api/client/${client.id}/instances?mode=ondemand`, {
    token: t.adminToken,
  });
  assert.ok(odAd.body.every((i: { poolId: string }) => i.poolId === "n/a"));
  // `%` and `_` match literally (B-07).
  const like = await call(
    t,
    "GET",
    `/api/client/${client.id}/instances?search=${encodeURIComponent("%_")}`,
    { token: t.adminToken },
  );
  assert.deepEqual(like.body.map((i: { id: string }) => i.id), ["i-odd%_x"]);
  assert.equal(
    (await call(t, "GET", `/api/client/${client.id}/instances`, { token: other.token })).status,
    404,
  );
});

Deno.test("client: replicas are flat {replicas} for a client token and nested for the admin", async () => {
  const t = await testContext("client_replicas");
  const { client, a1 } = await fleet(t);
  await addPools(t.db, [{ type: "t3.medium", region: "us-east-1", az: "us-east-1b" }]);
  const rep = await addReplica(t.db, { agentId: a1, clientId: client.id, instanceId: "i-r1" });
  await addReplica(t.db, {
    agentId: a1,
    clientId: client.id,
    instanceId: "i-r0",
    status: "terminated",
  });
  const cd = await call(t, "GET", `/api/client/${client.id}/replicas`, { token: client.token });
  assert.equal(cd.body.replicas.length, 1);
  assert.equal(cd.body.replicas[0].id, rep);
  assert.equal(cd.body.replicas[0].agent_id, a1);
  assert.equal(cd.body.replicas[0].hourly_cost, 0.0123);
  assert.equal(cd.body.replicas[0].replica_type, "manual");
  const ad = await call(t, "GET", `/api/client/${client.id}/replicas`, { token: t.adminToken });
  assert.equal(ad.body.length, 1);
  assert.equal(ad.body[0].agentId, a1);
  assert.equal(ad.body[0].primary.instanceId, "i-spot1");
  assert.equal(ad.body[0].replica.state_transfer_progress, 42.5);
  assert.equal(ad.body[0].replica.pool.az, "us-east-1b");
  assert.equal(ad.body[0].replica.cost.hourly, 0.0123);
});

Deno.test("client: instance pricing, metrics, price history and options", async () => {
  const t = await testContext("client_instance_detail");
  const { client, other, a1 } = await fleet(t);
  await prices(t);
  await t.db.execute(
    "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, pool_id, instance_type, region, started_at) VALUES (?, ?, 'i-spot1', 'spot', 't3.medium.us-east-1a', 't3.medium', 'us-east-1', ?)",
    [client.id, a1, ago(2 * HOUR)],
  );
  const p = await call(t, "GET", "/api/client/instances/i-spot1/pricing", { token: client.token });
  assert.equal(p.status, 200);
  assert.equal(p.body.currentMode, "spot");
  assert.equal(p.body.currentPool.id, "t3.medium.us-east-1a");
  assert.deepEqual(p.body.onDemand, { name: "On-Demand", price: 0.0416 });
  assert.deepEqual(p.body.pools.map((x: { id: string }) => x.id), [
    "t3.medium.us-east-1b",
    "t3.medium.us-east-1a",
    "t3.medium.us-east-1c",
  ]);
  assert.equal(p.body.pools[0].savings, 73.56);
  assert.equal(p.body.pools[2].price, 0, "a pool without a price within 1 h is last, at 0");
  // An agent id resolves too; another client's instance is 404.
  const viaAgent = await call(t, "GET", `/api/client/instances/${a1}/pricing`, {
    token: t.adminToken,
  });
  assert.equal(viaAgent.body.instanceId, "i-spot1");
  assert.equal(
    (await call(t, "GET", "/api/client/instances/i-spot1/pricing", { token: other.token }))
      .status,
    404,
  );

  const m = await call(t, "GET", "/api/client/instances/i-spot1/metrics", { token: t.adminToken });
  assert.equal(m.status, 200);
  assert.equal(m.body.totalSwitches, 2);
  assert.equal(m.body.switchesLast7Days, 2);
  assert.ok(m.body.totalSavings > 0, "two hours on spot below on-demand saved something");
  assert.equal(typeof m.body.uptimeHours, "number");

  // days outside 1..90 is a 400 now (issue 13: the predecessor clamped 200 to 90 silently).
  const tooLong = await call(t, "GET", "/api/client/instances/i-spot1/price-history?days=200", {
    token: t.adminToken,
  });
  assert.equal(tooLong.status, 400);
  const h = await call(t, "GET", "/api/client/instances/i-spot1/price-history?days=90", {
    token: t.adminToken,
  });
  assert.equal(h.status, 200);
  assert.equal(h.body.pools.length, 3);
  const keyA = h.body.pools.find((x: { id: string }) => x.id === "t3.medium.us-east-1a").key;
  assert.equal(keyA, "pool_t3_medium_us_east_1a");
  assert.equal(h.body.data.length, 3);
  assert.equal(h.body.data[2][keyA], 0.0125);
  assert.equal(h.body.data[2].onDemand, 0.0416);
  assert.equal(h.body.data[0]["pool_t3_medium_us_east_1c"], null);
  const daily = await call(t, "GET", "/api/client/instances/i-spot1/price-history?interval=day", {
    token: t.adminToken,
  });
  assert.equal(daily.body.data.length, 1);

  const o = await call(t, "GET", "/api/client/instances/i-spot1/available-options", {
    token: t.adminToken,
  });
  assert.equal(o.body.currentType, "t3.medium");
  assert.deepEqual(o.body.pools, o.body.availablePools);
  assert.equal(o.body.pools.length, 3);
  assert.deepEqual(o.body.instanceTypes, ["t3.large", "t3.medium"]);
  assert.equal(
    (await call(t, "GET", "/api/client/instances/i-nope/available-options", {
      token: t.adminToken,
    })).status,
    404,
  );
});

Deno.test("client: pricing-history for a client token picks its most recent agent", async () => {
  const t = await testContext("client_pricing_history");
  const { client, a1 } = await fleet(t);
  await prices(t);
  const r = await call(t, "GET", "/api/client/pricing-history?days=2", { token: client.token });
  assert.equal(r.status, 200);
  assert.equal(r.body.agent_id, a1);
  assert.equal(r.body.instance_type, "t3.medium");
  assert.equal(r.body.days, 2);
  assert.equal(r.body.data_points, 3);
  assert.equal(r.body.history[2].ondemand_price, 0.0416);
  assert.equal(r.body.history[2].spot_pools.length, 2);
  const admin = await call(t, "GET", "/api/client/pricing-history", { token: t.adminToken });
  assert.equal(admin.status, 400);
  const byId = await call(t, "GET", `/api/client/pricing-history?agent_id=${a1}`, {
    token: t.adminToken,
  });
  assert.equal(byId.body.agent_id, a1);
  const other = await t.createClient();
  const foreign = await call(t, "GET", `/api/client/pricing-history?agent_id=${a1}`, {
    token: other.token,
  });
  assert.equal(foreign.status, 404);
});

Deno.test("client: instance logs merge switches, commands and events, newest first", async () => {
  const t = await testContext("client_instance_logs");
  const { client, a1 } = await fleet(t);
  await t.db.execute(
    "INSERT INTO commands (id, client_id, agent_id, target_mode, instance_id, status, reason, created_at) VALUES (?, ?, ?, 'ondemand', 'i-spot1', 'completed', 'manual', ?)",
    [crypto.randomUUID(), client.id, a1, ago(30 * MIN)],
  );
  await t.db.execute(
    "INSERT INTO system_events (event_type, severity, client_id, agent_id, instance_id, message, created_at) VALUES ('rebalance_recommendation', 'warning', ?, ?, 'i-spot1', 'rebalance', ?)",
    [client.id, a1, ago(10 * MIN)],
  );
  const ad = await call(t, "GET", "/api/client/instances/i-spot1/logs", { token: t.adminToken });
  assert.deepEqual(ad.body.map((e: { eventType: string }) => e.eventType), [
    "rebalance_recommendation",
    "switch_command",
    "switch",
  ]);
  assert.equal(ad.body[2].toValue, "spot");
  assert.equal(ad.body[2].savings, 0.0291);
  const cd = await call(t, "GET", "/api/client/instances/i-spot1/logs?limit=1&offset=1", {
    token: client.token,
  });
  assert.deepEqual(cd.body.logs.map((e: { event_type: string }) => e.event_type), [
    "switch_command",
  ]);
});
