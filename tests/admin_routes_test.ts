/**
 * Admin routes (CONTRACT E58, E61–E73) against the real database: shapes the admin dashboard
 * reads, no join inflation, search escaping, fleet health, system health (a failed job, a down
 * database), the 410 answers of the removed upload routes. Responses are checked against their
 * declared schemas.
 */
import assert from "node:assert/strict";
import { createDb } from "../db/client.ts";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { call } from "./_schema_check.ts";
import { addAgent, addInstance, addPools, addSwitch } from "./_dashboard_fixtures.ts";
import { JOBS } from "../jobs/mod.ts";

const NOW = new Date("2026-11-27T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Two clients; the first has three agents (so a clients⋈agents join would triple its savings). */
async function world(t: TestContext) {
  const a = await t.createClient("Acme Corp");
  const b = await t.createClient("Beta_100%");
  await t.db.execute("UPDATE clients SET opening_savings = 10 WHERE id = ?", [a.id]);
  await t.db.execute(
    "INSERT INTO savings_snapshots (client_id, snapshot_date, daily_savings) VALUES (?, '2026-11-25', 2.5), (?, '2026-11-25', 1)",
    [a.id, b.id],
  );
  const agents = [];
  for (let i = 0; i < 3; i++) {
    agents.push(
      await addAgent(t.db, {
        clientId: a.id,
        logical: `acme-${i}`,
        lastHeartbeatAt: i === 2 ? ago(2 * HOUR) : ago(MIN),
        instanceId: `i-acme${i}`,
      }),
    );
    await addInstance(t.db, { id: `i-acme${i}`, clientId: a.id, agentId: agents[i] });
  }
  const bAgent = await addAgent(t.db, {
    clientId: b.id,
    logical: "beta-1",
    lastHeartbeatAt: ago(MIN),
    status: "disabled",
    region: "eu-west-1",
    instanceId: "i-beta1",
  });
  await addInstance(t.db, {
    id: "i-beta1",
    clientId: b.id,
    agentId: bAgent,
    region: "eu-west-1",
    az: "eu-west-1a",
    mode: "ondemand",
    poolId: null,
  });
  await addSwitch(t.db, {
    clientId: a.id,
    agentId: agents[0]!,
    newInstanceId: "i-acme0",
    initiatedAt: ago(HOUR),
    downtimeSeconds: 12,
  });
  await addSwitch(t.db, {
    clientId: a.id,
    agentId: agents[1]!,
    newInstanceId: "i-acme1",
    initiatedAt: ago(HOUR),
    trigger: "model",
  });
  await addPools(t.db, [
    { type: "t3.medium", region: "us-east-1", az: "us-east-1a" },
    { type: "t3.medium", region: "us-east-1", az: "us-east-1b" },
    { type: "m5.large", region: "eu-west-1", az: "eu-west-1a" },
  ]);
  return { a, b, agents, bAgent };
}

Deno.test("admin: stats aggregate each table on its own (B-17)", async () => {
  const t = await testContext("admin_stats");
  const { a } = await world(t);
  const r = await call(t, "GET", "/api/admin/stats", { token: t.adminToken });
  assert.equal(r.status, 200);
  assert.equal(r.body.totalAccounts, 2);
  assert.equal(r.body.agentsTotal, 4);
  assert.equal(r.body.agentsOnline, 2, "a stale heartbeat is not online; disabled is not online");
  assert.equal(r.body.poolsCovered, 3);
  assert.equal(r.body.totalSavings, 13.5, "10 + 2.5 + 1, not multiplied by agents");
  assert.equal(r.body.totalSwitches, 2);
  assert.equal(r.body.manualSwitches, 1);
  assert.equal(r.body.modelSwitches, 1);
  assert.equal(r.body.totalDowntimeSeconds, 12);
  assert.equal(r.body.decisionEngineLoaded, true);
  const client = await call(t, "GET", "/api/admin/stats", { token: a.token });
  assert.equal(client.status, 403, "a client token is not the admin credential");
  assert.equal((await call(t, "GET", "/api/admin/stats")).status, 401);
});

Deno.test("admin: instances, agents and activity in the admin dashboard's shapes", async () => {
  const t = await testContext("admin_lists");
  const { a, b } = await world(t);
  await t.db.execute(
    "INSERT INTO system_events (event_type, severity, client_id, message, created_at) VALUES ('switch_completed', 'info', ?, 'switched', ?), ('agent_registered', 'info', ?, 'hello', ?), ('auth_failed', 'error', NULL, 'nope', ?), ('agent_offline', 'warning', ?, 'gone', ?)",
    [a.id, ago(3 * MIN), a.id, ago(2 * MIN), ago(MIN), b.id, ago(30_000)],
  );
  const inst = await call(t, "GET", "/api/admin/instances?region=eu-west-1", {
    token: t.adminToken,
  });
  assert.equal(inst.status, 200);
  assert.equal(inst.body.total, 1);
  assert.equal(inst.body.instances[0].clientName, "Beta_100%");
  assert.equal(inst.body.instances[0].instanceType, "t3.medium");
  assert.equal(inst.body.instances[0].spotPrice, 0);
  assert.deepEqual(inst.body.filters, {
    status: null,
    mode: null,
    region: "eu-west-1",
    search: null,
  });
  const all = await call(t, "GET", "/api/admin/instances?limit=2", { token: t.adminToken });
  assert.equal(all.body.total, 4);
  assert.equal(all.body.instances.length, 2);

  const agents = await call(t, "GET", "/api/admin/agents", { token: t.adminToken });
  assert.equal(agents.body.total, 4);
  const first = agents.body.agents.find((x: { logicalAgentId: string }) =>
    x.logicalAgentId === "acme-0"
  );
  assert.equal(first.clientName, "Acme Corp");
  assert.equal(first.version, "4.0.0");
  assert.equal(first.status, "online");
  const offline = await call(t, "GET", "/api/admin/agents?status=offline", {
    token: t.adminToken,
  });
  assert.deepEqual(offline.body.agents.map((x: { logicalAgentId: string }) => x.logicalAgentId), [
    "acme-2",
  ]);
  assert.equal(offline.body.total, 1);

  const act = await call(t, "GET", "/api/admin/activity", { token: t.adminToken });
  assert.deepEqual(act.body.map((e: { type: string }) => e.type), ["event", "agent", "switch"]);
  assert.equal(act.body[2].text, "switched");
  assert.equal(typeof act.body[0].id, "number");
});

Deno.test("admin: search needs 2 characters and matches % and _ literally (B-07)", async () => {
  const t = await testContext("admin_search");
  const { b } = await world(t);
  const short = await call(t, "GET", "/api/admin/search?q=a", { token: t.adminToken });
  assert.deepEqual(short.body, { clients: [], instances: [], agents: [] });
  const pct = await call(t, "GET", `/api/admin/search?q=${encodeURIComponent("0%")}`, {
    token: t.adminToken,
  });
  assert.deepEqual(pct.body.clients.map((c: { id: string }) => c.id), [b.id]);
  const under = await call(t, "GET", `/api/admin/search?q=${encodeURIComponent("a_1")}`, {
    token: t.adminToken,
  });
  assert.deepEqual(under.body.clients.map((c: { name: string }) => c.name), ["Beta_100%"]);
  assert.equal(under.body.agents.length, 0, "`_` is not a wildcard: acme-1 does not match a_1");
  const inst = await call(t, "GET", "/api/admin/search?q=i-beta", { token: t.adminToken });
  assert.equal(inst.body.instances.length, 1);
  assert.equal(inst.body.instances[0].instanceId, "i-beta1");
  assert.equal(inst.body.instances[0].availabilityZone, "eu-west-1a");
  assert.equal(inst.body.instances[0].status, "running_primary");
  assert.equal(inst.body.instances[0].clientName, "Beta_100%");
  const ag = await call(t, "GET", "/api/admin/search?q=acme-", { token: t.adminToken });
  assert.equal(ag.body.agents.length, 3);
  assert.equal(ag.body.agents[0].name.startsWith("acme-"), true);
  assert.equal(ag.body.agents[0].isActive, true);
  assert.equal(typeof ag.body.agents[0].lastHeartbeat, "string");
});

Deno.test("admin: pools statistics and agents health summary with reasons", async () => {
  const t = await testContext("admin_fleet");
  const { agents, bAgent } = await world(t);
  await t.db.execute(
    "INSERT INTO termination_events (agent_id, instance_id, event_type, detected_at, pool_id) VALUES (?, 'i-acme0', 'termination_notice', ?, 't3.medium.us-east-1a'), (?, 'i-acme0', 'rebalance_recommendation', ?, 't3.medium.us-east-1a')",
    [agents[0], ago(HOUR), agents[0], ago(2 * HOUR)],
  );
  await t.db.execute(
    "INSERT INTO agent_health_metrics (agent_id, metric_time, heartbeat_latency_ms, pricing_fetch_success, error_count) VALUES (?, ?, 120, 0, 2), (?, ?, 80, 1, 0)",
    [agents[1], ago(10 * MIN), agents[0], ago(10 * MIN)],
  );
  const pools = await call(t, "GET", "/api/admin/pools/statistics", { token: t.adminToken });
  assert.equal(pools.status, 200);
  assert.deepEqual(pools.body.overall, {
    totalInstances: 4,
    totalPools: 3,
    totalRegions: 2,
    totalZones: 3,
    totalTypes: 2,
  });
  assert.equal(pools.body.byRegion[0].region, "us-east-1");
  assert.equal(pools.body.byRegion[0].instances, 3);
  assert.deepEqual(pools.body.interruptions[0], {
    poolId: "t3.medium.us-east-1a",
    terminationNotices: 1,
    rebalanceRecommendations: 1,
    riskScore: null,
  });

  const h = await call(t, "GET", "/api/admin/agents/health-summary", { token: t.adminToken });
  assert.equal(h.status, 200);
  assert.deepEqual(h.body.counts, { healthy: 2, degraded: 1, stale: 1 });
  assert.equal(h.body.totalAgents, 4);
  assert.equal(h.body.criticalAgents, 1);
  assert.equal(h.body.healthPercentage, 50);
  const byId = new Map(h.body.agents.map((x: { agentId: string }) => [x.agentId, x]));
  // deno-lint-ignore no-explicit-any
  const get = (id: string) => byId.get(id) as any;
  assert.equal(get(agents[2]!).health, "stale");
  assert.match(get(agents[2]!).reasons[0], /no heartbeat for 7200 s/);
  assert.equal(get(agents[1]!).health, "degraded");
  assert.deepEqual(get(agents[1]!).reasons, [
    "2 error(s) reported in the last hour",
    "pricing fetch failed 1 time(s)",
  ]);
  assert.equal(get(agents[0]!).health, "healthy");
  assert.deepEqual(get(agents[0]!).reasons, []);
  assert.equal(get(bAgent).health, "healthy");
  assert.equal(h.body.agents[0].health, "stale", "worst first");
  const acme = h.body.clientBreakdown.find((x: { clientName: string }) =>
    x.clientName === "Acme Corp"
  );
  assert.deepEqual([acme.healthy, acme.degraded, acme.stale, acme.total], [1, 1, 1, 3]);
});

Deno.test("admin: system health reports jobs, agents, commands; a failed job degrades it", async () => {
  const t = await testContext("admin_system_health");
  await world(t);
  await t.db.execute(
    "INSERT INTO commands (id, client_id, agent_id, target_mode, status, completed_at) VALUES (?, 'c', 'a1', 'ondemand', 'pending', NULL), (?, 'c', 'a2', 'ondemand', 'delivered', NULL), (?, 'c', 'a3', 'ondemand', 'expired', ?)",
    [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), ago(HOUR)],
  );
  // Every scheduled job ran fine in its current slot.
  for (const j of JOBS) {
    const p = j.periodSeconds(t.config) * 1000;
    const o = (j.offsetSeconds?.(t.config) ?? 0) * 1000;
    const slot = new Date(Math.floor((NOW.getTime() - o) / p) * p + o);
    await t.db.execute(
      "INSERT INTO job_runs (job, slot_start, claimed_by, status, started_at, finished_at, rows_touched) VALUES (?, ?, 'test', 'ok', ?, ?, 3)",
      [j.name, slot, slot, slot],
    );
  }
  const ok = await call(t, "GET", "/api/admin/system-health", { token: t.adminToken });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.status, "ok", JSON.stringify(ok.body.reasons));
  assert.equal(ok.body.database, "Connected");
  assert.equal(ok.body.databaseStatus.reachable, true);
  assert.equal(typeof ok.body.databaseStatus.latencyMs, "number");
  assert.equal(ok.body.databaseStatus.schemaVersion, "002_instance_namespace");
  assert.deepEqual(ok.body.decisionEngineStatus, {
    loaded: true,
    type: "builtin",
    version: ok.body.version,
    filesUploaded: 0,
    files: [],
  });
  assert.equal(ok.body.modelStatus.loaded, false);
  assert.deepEqual(ok.body.modelStatus.activeModels, []);
  assert.equal(ok.body.jobs.length, JOBS.length);
  assert.ok(ok.body.jobs.every((j: { state: string }) => j.state === "ok"));
  assert.deepEqual(
    { ...ok.body.agents, heartbeatTimeoutSeconds: 0 },
    {
      online: 2,
      stale: 1,
      offline: 0,
      disabled: 1,
      other: 0,
      total: 4,
      heartbeatTimeoutSeconds: 0,
    },
  );
  assert.deepEqual(ok.body.commands, { pending: 1, delivered: 1, expired: 1, expiredLast24h: 1 });

  await t.db.execute(
    "INSERT INTO job_runs (job, slot_start, claimed_by, status, started_at, finished_at, error) VALUES ('daily_savings', ?, 'test', 'error', ?, ?, 'boom: ledger exploded')",
    [new Date("2026-11-28T00:00:00Z"), NOW, NOW],
  );
  await t.db.execute(
    "INSERT INTO job_runs (job, slot_start, claimed_by, status, started_at, lease_until) VALUES ('zombie_job', ?, 'test', 'running', ?, ?)",
    [ago(HOUR), ago(HOUR), ago(30 * MIN)],
  );
  const bad = await call(t, "GET", "/api/admin/system-health", { token: t.adminToken });
  assert.equal(bad.body.status, "degraded");
  assert.equal(bad.body.apiStatus, "Degraded");
  assert.ok(
    bad.body.reasons.some((r: string) => /daily_savings failed.*boom: ledger exploded/.test(r)),
  );
  assert.ok(bad.body.reasons.some((r: string) => /zombie_job died/.test(r)));
  const job = bad.body.jobs.find((j: { name: string }) => j.name === "daily_savings");
  assert.equal(job.state, "error");
  assert.equal(job.lastRun.error, "boom: ledger exploded");
  assert.equal(bad.body.jobs.find((j: { name: string }) => j.name === "zombie_job").state, "died");
});

Deno.test("admin: system health says down, with a reason, when the database is unreachable", async () => {
  const down = createDb({ url: "http://u:p@127.0.0.1:9", timeoutMs: 2000 });
  const t = await testContext("admin_system_down", { db: down });
  const r = await call(t, "GET", "/api/admin/system-health", { token: t.adminToken });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, "down");
  assert.equal(r.body.database, "Disconnected");
  assert.equal(r.body.databaseStatus.reachable, false);
  assert.match(r.body.reasons[0], /database unreachable/);
  assert.equal(r.body.agents, null);
  assert.equal(r.body.commands, null);
});

Deno.test("admin: the removed upload routes answer 410 naming the built-in engine", async () => {
  const t = await testContext("admin_gone");
  for (
    const [method, path] of [
      ["POST", "/api/admin/decision-engine/upload"],
      ["POST", "/api/admin/ml-models/upload"],
      ["POST", "/api/admin/ml-models/activate"],
      ["POST", "/api/admin/ml-models/fallback"],
      ["GET", "/api/admin/ml-models/sessions"],
    ] as const
  ) {
    const r = await call(t, method, path, { token: t.adminToken });
    assert.equal(r.status, 410, path);
    assert.equal(r.body.code, "gone");
    assert.match(r.body.error, /built in/);
  }
  const form = new FormData();
  form.append("files", new Blob(["import os"]), "engine.py");
  const res = await t.app.request("/api/admin/decision-engine/upload", {
    method: "POST",
    body: form,
    headers: { Authorization: `Bearer ${t.adminToken}` },
  });
  assert.equal(res.status, 410);
  await res.body?.cancel();
});

Deno.test("admin: job health states, next due time and overdue detection", async () => {
  const { evaluateJob } = await import("../routes/admin/_job_health.ts");
  const job = { name: "stale_agents", periodSeconds: 300, offsetSeconds: 0 };
  const run = (slot: string, status: string, lease: string | null = null) => ({
    job: "stale_agents",
    slot_start: slot,
    claimed_by: "x",
    status,
    started_at: slot,
    finished_at: status === "running" ? null : slot,
    lease_until: lease,
    rows_touched: 1,
    error: status === "error" ? "boom" : null,
  });
  const now = new Date("2026-11-27T12:07:00.000Z");
  const current = evaluateJob(job, run("2026-11-27T12:05:00.000Z", "ok"), now);
  assert.deepEqual(
    [current.state, current.nextDueAt, current.overdue, current.problem],
    ["ok", "2026-11-27T12:10:00.000Z", false, null],
  );
  const previous = evaluateJob(job, run("2026-11-27T12:00:00.000Z", "ok"), now);
  assert.deepEqual([previous.nextDueAt, previous.overdue], ["2026-11-27T12:05:00.000Z", false]);
  const late = evaluateJob(job, run("2026-11-27T11:55:00.000Z", "ok"), now);
  assert.equal(late.overdue, true);
  assert.match(late.problem!, /overdue/);
  const died = evaluateJob(
    job,
    run("2026-11-27T12:05:00.000Z", "running", "2026-11-27T12:06:00.000Z"),
    now,
  );
  assert.equal(died.state, "died");
  const running = evaluateJob(
    job,
    run("2026-11-27T12:05:00.000Z", "running", "2026-11-27T12:08:00.000Z"),
    now,
  );
  assert.deepEqual([running.state, running.problem], ["running", null]);
  const never = evaluateJob(job, null, now);
  assert.deepEqual([never.state, never.nextDueAt, never.problem], [
    "never_run",
    "2026-11-27T12:05:00.000Z",
    null,
  ]);
  // A daily job at 01:00 UTC (offset) is due at the next 01:00.
  const daily = evaluateJob(
    { name: "daily_savings", periodSeconds: 86400, offsetSeconds: 3600 },
    run("2026-11-27T01:00:00.000Z", "ok"),
    now,
  );
  assert.equal(daily.nextDueAt, "2026-11-28T01:00:00.000Z");
});
