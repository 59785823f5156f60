/**
 * Client read routes (CONTRACT E29–E32, E46–E48, M1) against the real database: both dashboards'
 * shapes for each shared URL (client token → client dashboard shape, admin credential → admin
 * dashboard shape) and scoping. Every response is checked against its declared zod schema.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { call } from "./_schema_check.ts";
import { addAgent, addReplica, ago, fleet, HOUR, MIN, NOW, prices } from "./_dashboard_fixtures.ts";

Deno.test("client: overview carries both key sets, counted per table", async () => {
  const t = await testContext("client_overview");
  const { client, other } = await fleet(t);
  for (const token of [client.token, t.adminToken]) {
    const r = await call(t, "GET", `/api/client/${client.id}`, { token });
    assert.equal(r.status, 200);
    const b = r.body;
    assert.equal(b.id, client.id);
    assert.equal(b.agentsTotal, 2);
    assert.equal(b.total_agents, 2);
    assert.equal(b.agentsOnline, 1, "the agent with a stale heartbeat is not online");
    assert.equal(b.online_agents, 1);
    assert.equal(b.instances, 2);
    assert.equal(b.active_instances, 2);
    assert.equal(b.spot_instances, 1);
    assert.equal(b.totalSwitches, 2);
    assert.equal(b.switches_today, 1);
    assert.equal(b.totalDowntimeSeconds, 40);
    assert.equal(b.averageDowntimeSeconds, 20);
    assert.equal(b.lastSync, ago(MIN).toISOString());
    assert.equal(typeof b.total_savings, "number");
    assert.equal(typeof b.monthly_savings, "number");
    assert.equal(b.recent_switches.length, 2);
    assert.equal(b.recent_switches[0].new_instance_id, "i-spot1");
    assert.equal(b.recent_switches[0].savings_impact, 0.0291);
    assert.equal(b.active_agents.length, 2);
    assert.equal(b.active_agents[0].status, "online");
    assert.equal(b.active_agents[1].status, "offline");
  }
  const foreign = await call(t, "GET", `/api/client/${client.id}`, { token: other.token });
  assert.equal(foreign.status, 404);
  const unknown = await call(t, "GET", `/api/client/${crypto.randomUUID()}`, {
    token: t.adminToken,
  });
  assert.equal(unknown.status, 404);
  const anon = await call(t, "GET", `/api/client/${client.id}`);
  assert.equal(anon.status, 401);
});

Deno.test("client: agents are {agents:[snake]} for a client token and a bare camelCase array for the admin", async () => {
  const t = await testContext("client_agents");
  const { client, other, a1 } = await fleet(t);
  await addReplica(t.db, { agentId: a1, clientId: client.id, instanceId: "i-rep1" });
  const cd = await call(t, "GET", `/api/client/${client.id}/agents`, { token: client.token });
  assert.equal(cd.status, 200);
  assert.ok(!Array.isArray(cd.body));
  assert.equal(cd.body.agents.length, 2);
  const web1 = cd.body.agents.find((a: { id: string }) => a.id === a1);
  assert.equal(web1.logical_agent_id, "web-1");
  assert.equal(web1.status, "online");
  assert.equal(web1.enabled, true);
  assert.equal(web1.auto_switch_enabled, true);
  assert.equal(web1.manual_replica_enabled, false);
  assert.equal(web1.replica_count, 1);
  assert.equal(web1.instance_count, 1);
  assert.equal(typeof web1.last_heartbeat_at, "string");
  assert.equal(cd.body.agents.find((a: { id: string }) => a.id !== a1).status, "offline");

  const ad = await call(t, "GET", `/api/client/${client.id}/agents`, { token: t.adminToken });
  assert.equal(ad.status, 200);
  assert.ok(Array.isArray(ad.body));
  const w = ad.body.find((a: { id: string }) => a.id === a1);
  assert.equal(w.logicalAgentId, "web-1");
  assert.equal(w.instanceCount, 1);
  assert.equal(w.autoSwitchEnabled, true);
  assert.equal(w.autoTerminateEnabled, true);
  assert.equal(w.terminateWaitMinutes, 5);
  assert.equal(w.lastHeartbeat, ago(MIN).toISOString());

  assert.equal(
    (await call(t, "GET", `/api/client/${client.id}/agents`, { token: other.token })).status,
    404,
  );
});

Deno.test("client: agent history includes deleted agents, online first", async () => {
  const t = await testContext("client_agent_history");
  const { client, a1 } = await fleet(t);
  const gone = await addAgent(t.db, { clientId: client.id, logical: "old", status: "deleted" });
  const ad = await call(t, "GET", `/api/client/${client.id}/agents/history`, {
    token: t.adminToken,
  });
  assert.equal(ad.status, 200);
  assert.deepEqual(ad.body.map((a: { status: string }) => a.status), [
    "online",
    "offline",
    "deleted",
  ]);
  assert.equal(ad.body[0].id, a1);
  assert.equal(ad.body[2].id, gone);
  assert.equal(typeof ad.body[0].createdAt, "string");
  const cd = await call(t, "GET", `/api/client/${client.id}/agents/history`, {
    token: client.token,
  });
  assert.equal(cd.body.agents.length, 3);
  assert.equal(cd.body.agents[2].logical_agent_id, "old");
  const list = await call(t, "GET", `/api/client/${client.id}/agents`, { token: client.token });
  assert.equal(list.body.agents.length, 2, "deleted agents are not listed");
});

async function decisionsFixture(
  t: TestContext,
  clientId: string,
  n: number,
  prefix = "d",
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = await addAgent(t.db, {
      clientId,
      logical: `${prefix}-${i}`,
      lastHeartbeatAt: ago(MIN),
    });
    ids.push(id);
    await t.db.execute(
      "INSERT INTO agent_decision_history (agent_id, client_id, decision_type, recommended_action, risk_score, expected_savings, current_mode, reason, decision_time) VALUES (?, ?, 'switch_to_ondemand', 'switch_to_ondemand', 0.8, -0.01, 'spot', 'risk', ?), (?, ?, 'stay_spot', 'stay', 0.2, 0, 'spot', 'fine', ?)",
      [id, clientId, ago(2 * 24 * HOUR), id, clientId, ago(5 * HOUR)],
    );
    await t.db.execute(
      "INSERT INTO pricing_reports (id, agent_id, client_id, on_demand_price, current_spot_price, collected_at, received_at) VALUES (?, ?, ?, 0.0416, 0.0125, ?, ?), (?, ?, ?, 0.0416, 0.013, ?, ?)",
      [
        crypto.randomUUID(),
        id,
        clientId,
        ago(3 * MIN),
        ago(3 * MIN),
        crypto.randomUUID(),
        id,
        clientId,
        ago(40 * MIN),
        ago(40 * MIN),
      ],
    );
    await t.db.execute(
      "INSERT INTO system_events (event_type, severity, client_id, agent_id, message, created_at) VALUES ('agent_registered', 'info', ?, ?, 'hello', ?)",
      [clientId, id, ago(HOUR)],
    );
  }
  return ids;
}

Deno.test("client: decisions carry pricingHealth and lastDecision.elapsed, in a fixed number of queries", async () => {
  const t = await testContext("client_decisions");
  const client = await t.createClient();
  const ids = await decisionsFixture(t, client.id, 2);
  const before = t.db.roundTrips();
  const r = await call(t, "GET", `/api/client/${client.id}/agents/decisions`, {
    token: t.adminToken,
  });
  const tripsFor2 = t.db.roundTrips() - before;
  assert.equal(r.status, 200);
  assert.ok(Array.isArray(r.body));
  const d = r.body.find((x: { agentId: string }) => x.agentId === ids[0]);
  assert.equal(d.agentName, "d-0");
  assert.equal(d.lastDecision.type, "stay");
  assert.deepEqual(d.lastDecision.elapsed, {
    value: 5,
    unit: "hours",
    minutes: 300,
    formatted: "5 hours",
  });
  assert.equal(d.decisionHistory.length, 2);
  assert.equal(d.decisionHistory[1].type, "switch_ondemand");
  assert.equal(d.pricingHealth.status, "healthy");
  assert.equal(d.pricingHealth.recentReportsCount, 1);
  assert.equal(d.pricingHealth.recentReports[0].spotPrice, 0.0125);
  assert.equal(d.recentActivity.pricingReports.length, 2);
  assert.equal(d.recentActivity.systemEvents[0].type, "agent_registered");
  assert.equal(d.isHealthy, true);
  assert.equal(d.lastHeartbeat, "1 min ago");

  await decisionsFixture(t, client.id, 4, "e");
  const before6 = t.db.roundTrips();
  const r6 = await call(t, "GET", `/api/client/${client.id}/agents/decisions`, {
    token: t.adminToken,
  });
  assert.equal(r6.body.length, 6);
  assert.equal(t.db.roundTrips() - before6, tripsFor2, "no query per agent (B-19)");

  const cd = await call(t, "GET", `/api/client/${client.id}/agents/decisions`, {
    token: client.token,
  });
  assert.equal(cd.body.agents.length, 6);
});

Deno.test("client: savings answer the ledger, with today's figures computed on the fly", async () => {
  const t = await testContext("client_savings");
  const { client, a1 } = await fleet(t);
  await prices(t);
  await t.db.execute("UPDATE clients SET opening_savings = 100 WHERE id = ?", [client.id]);
  await t.db.execute(
    "INSERT INTO savings_snapshots (client_id, snapshot_date, daily_savings, total_savings, would_be_cost, total_cost, average_savings_percent, switch_count) VALUES (?, '2026-10-15', 5, 105, 8, 3, 62.5, 1), (?, '2026-11-20', 2, 107, 4, 2, 50, 0), (?, '2026-11-25', 1.5, 108.5, 3, 1.5, 50, 2)",
    [client.id, client.id, client.id],
  );
  await t.db.execute(
    "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, pool_id, instance_type, region, started_at) VALUES (?, ?, 'i-spot1', 'spot', 't3.medium.us-east-1a', 't3.medium', 'us-east-1', ?)",
    [client.id, a1, ago(2 * HOUR)],
  );
  const { computeLedgerRow } = await import("../db/savings.ts");
  const today = await computeLedgerRow(t.db, { clientId: client.id, day: "2026-11-27", now: NOW });
  assert.ok(today.dailySavings > 0);

  const cd = await call(t, "GET", `/api/client/${client.id}/savings`, { token: client.token });
  assert.equal(cd.status, 200);
  assert.deepEqual(cd.body.live_days, ["2026-11-26", "2026-11-27"]);
  assert.equal(cd.body.today_savings, today.dailySavings);
  assert.equal(cd.body.total_savings, Math.round((100 + 8.5 + today.dailySavings) * 1e4) / 1e4);
  // The view's windows: snapshot_date >= today - 7 (resp. 30) days, so 2026-11-20 counts.
  assert.equal(cd.body.weekly_savings, Math.round((3.5 + today.dailySavings) * 1e4) / 1e4);
  assert.equal(cd.body.monthly_savings, Math.round((3.5 + today.dailySavings) * 1e4) / 1e4);
  assert.equal(typeof cd.body.average_savings_percent, "number");
  const months = cd.body.savings_by_month;
  assert.deepEqual(months.map((m: { name: string }) => m.name), ["October", "November"]);
  assert.equal(months[1].on_demand_cost, Math.round((7 + today.wouldBeCost) * 1e4) / 1e4);

  const ad = await call(t, "GET", `/api/client/${client.id}/savings?range=monthly`, {
    token: t.adminToken,
  });
  assert.ok(Array.isArray(ad.body));
  assert.deepEqual(ad.body[0], {
    name: "October",
    year: 2026,
    month: 10,
    savings: 5,
    onDemandCost: 8,
    modelCost: 3,
  });
  const weekly = await call(t, "GET", `/api/client/${client.id}/savings?range=weekly`, {
    token: t.adminToken,
  });
  assert.deepEqual(weekly.body, []);

  const overview = await call(t, "GET", `/api/client/${client.id}`, { token: client.token });
  assert.equal(overview.body.total_savings, cd.body.total_savings);
  assert.equal(overview.body.totalSavings, cd.body.total_savings);

  const charts = await call(t, "GET", `/api/client/${client.id}/stats/charts`, {
    token: t.adminToken,
  });
  assert.equal(charts.body.savingsTrend.length, 2);
  assert.equal(charts.body.savingsTrend[0].month, "Oct");
  assert.deepEqual(charts.body.modeDistribution, [
    { mode: "ondemand", count: 1 },
    { mode: "spot", count: 1 },
  ]);
  assert.equal(charts.body.switchFrequency.length, 30);
  assert.equal(charts.body.switchFrequency[29].date, "2026-11-27");
  assert.equal(charts.body.switchFrequency[29].switches, 1);
  assert.equal(charts.body.switchFrequency[26].switches, 1);
});

Deno.test("client: switch-history (admin array with instanceId) and /switches {switches, total}", async () => {
  const t = await testContext("client_switches");
  const { client, other, a1 } = await fleet(t);
  const ad = await call(t, "GET", `/api/client/${client.id}/switch-history`, {
    token: t.adminToken,
  });
  assert.equal(ad.status, 200);
  assert.equal(ad.body.length, 2);
  assert.equal(ad.body[0].instanceId, "i-spot1");
  assert.equal(ad.body[0].newInstanceId, "i-spot1");
  assert.equal(ad.body[0].oldInstanceId, "i-old1");
  assert.equal(ad.body[0].toPool, "n/a");
  assert.equal(ad.body[0].trigger, "manual");
  assert.equal(ad.body[0].savingsImpact, 0.0291);
  const byInstance = await call(
    t,
    "GET",
    `/api/client/${client.id}/switch-history?instance_id=i-old1`,
    { token: t.adminToken },
  );
  assert.equal(byInstance.body.length, 2);
  const cdHistory = await call(t, "GET", `/api/client/${client.id}/switch-history`, {
    token: client.token,
  });
  assert.equal(cdHistory.body.switches.length, 2);

  const page = await call(t, "GET", `/api/client/${client.id}/switches?limit=1&offset=1`, {
    token: client.token,
  });
  assert.equal(page.status, 200);
  assert.equal(page.body.total, 2);
  assert.equal(page.body.switches.length, 1);
  const s = page.body.switches[0];
  assert.equal(s.agent_id, a1);
  assert.equal(s.trigger_type, "model");
  assert.equal(s.savings_impact, -0.001);
  assert.equal(s.old_az, "us-east-1a");
  assert.equal(s.new_az, "us-east-1b");
  assert.equal(
    (await call(t, "GET", `/api/client/${client.id}/switches`, { token: other.token })).status,
    404,
  );
});
