/**
 * Agent reports against the real database: pricing (v4 and legacy shapes, statement budget,
 * retries, scoping), cleanup (the seed's endpoint), health metrics (endpoint and heartbeat
 * buffer) and the legacy endpoints E20-E23, E27 and M3.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import type { Queryable } from "../db/client.ts";
import { createHealthBuffer } from "../services/health_buffer.ts";
import type { PricingReportEvent } from "../routes/agent/pricing.ts";

interface Seeded {
  clientId: string;
  token: string;
  agentId: string;
  instanceId: string;
}

function hexId(): string {
  return `i-0${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
}

/** A client with one online spot agent on t3.medium in us-east-1a and its instance row. */
async function seedAgent(
  t: TestContext,
  opts: { client?: { id: string; token: string }; cleanupEnabled?: boolean } = {},
): Promise<Seeded> {
  const client = opts.client ?? await t.createClient();
  const agentId = crypto.randomUUID();
  const instanceId = hexId();
  await t.db.execute(
    "INSERT INTO agents (id, client_id, logical_agent_id, hostname, instance_id, instance_type, region, az, current_mode, current_pool_id, status, enabled, cleanup_enabled, last_heartbeat_at) VALUES (?, ?, ?, 'host-1', ?, 't3.medium', 'us-east-1', 'us-east-1a', 'spot', 't3.medium.us-east-1a', 'online', 1, ?, ?)",
    [
      agentId,
      client.id,
      `logical-${agentId.slice(0, 8)}`,
      instanceId,
      opts.cleanupEnabled === false ? 0 : 1,
      t.clock(),
    ],
  );
  await t.db.execute(
    "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, current_mode, current_pool_id) VALUES (?, ?, ?, 't3.medium', 'us-east-1', 'us-east-1a', 'spot', 't3.medium.us-east-1a')",
    [instanceId, client.id, agentId],
  );
  return { clientId: client.id, token: client.token, agentId, instanceId };
}

async function rows<T = Record<string, unknown>>(
  db: Queryable,
  sql: string,
  args: unknown[] = [],
): Promise<T[]> {
  return (await db.execute<T>(sql, args)).rows;
}

async function count(db: Queryable, sql: string, args: unknown[] = []): Promise<number> {
  const r = await rows<{ n: number }>(db, sql, args);
  return Number(r[0]?.n ?? 0);
}

const AZS = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"];

/** The v4.0.0 pricing report body (CONTRACT E06), naive UTC collected_at. */
function v4Report(s: Seeded, collectedAt: string, opts: { spot?: number[]; od?: number } = {}) {
  const prices = opts.spot ?? [0.0125, 0.0131, 0.0119, 0.014, 0.0122, 0.0135];
  const pools = AZS.map((az, i) => ({
    pool_id: `t3.medium.${az}`,
    instance_type: "t3.medium",
    az,
    price: prices[i],
  }));
  return {
    instance: {
      instance_id: s.instanceId,
      instance_type: "t3.medium",
      region: "us-east-1",
      az: "us-east-1a",
      mode: "spot",
      pool_id: "t3.medium.us-east-1a",
    },
    pricing: {
      on_demand_price: opts.od ?? 0.0416,
      current_spot_price: prices[0],
      cheapest_pool: { pool_id: "t3.medium.us-east-1c", price: prices[2] },
      spot_pools: pools,
      collected_at: collectedAt,
    },
  };
}

async function send(
  t: TestContext,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t.request(method, path, { token, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

Deno.test("pricing: a v4 report stores the report, six pools and both prices, then costs <= 3 statements", async () => {
  // The budget is the agent's request path: the engine's own reads run afterwards in the
  // background (counted on their own by the bench), so this test turns the engine off.
  const t = await testContext("pricing_v4", { engine: false });
  const s = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/pricing-report`;
  const first = await send(t, s.token, "POST", path, v4Report(s, "2026-11-27T11:58:10.123456"));
  assert.equal(first.status, 200);
  assert.deepEqual(first.body, { success: true });

  const reports = await rows<Record<string, unknown>>(
    t.db,
    "SELECT * FROM pricing_reports WHERE agent_id = ?",
    [s.agentId],
  );
  assert.equal(reports.length, 1);
  assert.equal(reports[0].client_id, s.clientId);
  assert.equal(reports[0].current_mode, "spot");
  assert.equal(reports[0].current_pool_id, "t3.medium.us-east-1a");
  assert.equal(reports[0].on_demand_price, 0.0416);
  assert.equal(reports[0].cheapest_pool_id, "t3.medium.us-east-1c");
  assert.equal(reports[0].collected_at, "2026-11-27T11:58:10.123Z");
  assert.equal(reports[0].report_shape, "v4");
  assert.equal(
    await count(t.db, "SELECT COUNT(*) AS n FROM spot_pools WHERE region = 'us-east-1'"),
    6,
  );
  const snaps = await rows<{ pool_id: string; bucket_start: string; price: number }>(
    t.db,
    "SELECT pool_id, bucket_start, price FROM spot_price_snapshots ORDER BY pool_id",
  );
  assert.equal(snaps.length, 6);
  assert.ok(snaps.every((x) => x.bucket_start === "2026-11-27T11:55:00.000Z"));
  assert.equal(snaps.find((x) => x.pool_id === "t3.medium.us-east-1c")?.price, 0.0119);
  const od = await rows<{ price: number; is_estimate: number }>(
    t.db,
    "SELECT price, is_estimate FROM ondemand_price_snapshots WHERE region = 'us-east-1' AND instance_type = 't3.medium'",
  );
  assert.deepEqual(od, [{ price: 0.0416, is_estimate: 0 }]);
  const inst = await rows<{ spot_price: number; ondemand_price: number }>(
    t.db,
    "SELECT spot_price, ondemand_price FROM instances WHERE id = ?",
    [s.instanceId],
  );
  assert.deepEqual(inst, [{ spot_price: 0.0125, ondemand_price: 0.0416 }]);

  // Warm: the next report (next bucket, same prices) is three statements, auth included.
  const before = t.db.roundTrips();
  const second = await send(t, s.token, "POST", path, v4Report(s, "2026-11-27T12:01:10.000000"));
  assert.equal(second.status, 200);
  const used = t.db.roundTrips() - before;
  assert.ok(used <= 3, `pricing report used ${used} statements`);
  assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM spot_price_snapshots"), 12);
  assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM pricing_reports"), 2);
});

Deno.test("pricing: the legacy v3.2 shape (current_mode, top-level on_demand_price {price} and spot_pools) is stored", async () => {
  const t = await testContext("pricing_legacy");
  const s = await seedAgent(t);
  const res = await send(t, s.token, "POST", `/api/agents/${s.agentId}/pricing-report`, {
    instance: {
      instance_id: s.instanceId,
      instance_type: "t3.medium",
      region: "us-east-1",
      az: "us-east-1a",
      current_mode: "spot",
      current_pool_id: "t3.medium.us-east-1a",
    },
    on_demand_price: { price: 0.0416 },
    spot_pools: [
      { pool_id: "t3.medium.us-east-1a", az: "us-east-1a", price: 0.013 },
      { pool_id: "t3.medium.us-east-1b", az: "us-east-1b", price: 0.012 },
    ],
  });
  assert.equal(res.status, 200);
  const r = await rows<Record<string, unknown>>(
    t.db,
    "SELECT current_mode, current_pool_id, on_demand_price, report_shape, collected_at FROM pricing_reports WHERE agent_id = ?",
    [s.agentId],
  );
  assert.equal(r.length, 1);
  assert.equal(r[0].current_mode, "spot");
  assert.equal(r[0].current_pool_id, "t3.medium.us-east-1a");
  assert.equal(r[0].on_demand_price, 0.0416);
  assert.equal(r[0].report_shape, "legacy");
  assert.equal(r[0].collected_at, t.clock().toISOString()); // no collected_at: received time
  assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM spot_price_snapshots"), 2);
  assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM ondemand_price_snapshots"), 1);
});

Deno.test("pricing: a retried report (same agent, same collected_at) leaves the same rows", async () => {
  const t = await testContext("pricing_retry");
  const s = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/pricing-report`;
  const body = v4Report(s, "2026-11-27T11:58:10");
  assert.equal((await send(t, s.token, "POST", path, body)).status, 200);
  const snapshot = async () =>
    JSON.stringify([
      await rows(
        t.db,
        "SELECT id, agent_id, collected_at, on_demand_price, spot_pools FROM pricing_reports ORDER BY id",
      ),
      await rows(
        t.db,
        "SELECT id, pool_id, bucket_start, price, captured_at FROM spot_price_snapshots ORDER BY id",
      ),
      await rows(
        t.db,
        "SELECT id, region, instance_type, bucket_start, price FROM ondemand_price_snapshots ORDER BY id",
      ),
      await rows(t.db, "SELECT id, instance_type, region, az FROM spot_pools ORDER BY id"),
    ]);
  const once = await snapshot();
  assert.equal((await send(t, s.token, "POST", path, body)).status, 200);
  assert.equal((await send(t, s.token, "POST", path, body)).status, 200);
  assert.equal(await snapshot(), once);
});

Deno.test("pricing: another client's token or an unknown agent id is 404 and writes nothing", async () => {
  const t = await testContext("pricing_scope");
  const s = await seedAgent(t);
  const other = await t.createClient();
  const foreign = await send(
    t,
    other.token,
    "POST",
    `/api/agents/${s.agentId}/pricing-report`,
    v4Report(s, "2026-11-27T11:58:10"),
  );
  assert.equal(foreign.status, 404);
  assert.equal(foreign.body.error, "Agent not found");
  const unknown = await send(
    t,
    s.token,
    "POST",
    `/api/agents/${crypto.randomUUID()}/pricing-report`,
    v4Report(s, "2026-11-27T11:58:10"),
  );
  assert.equal(unknown.status, 404);
  for (
    const table of [
      "pricing_reports",
      "spot_price_snapshots",
      "ondemand_price_snapshots",
      "spot_pools",
    ]
  ) {
    assert.equal(await count(t.db, `SELECT COUNT(*) AS n FROM ${table}`), 0, table);
  }
});

Deno.test("pricing: on-demand with no spot pools, estimates never replace a real price, bad collected_at is 400", async () => {
  const t = await testContext("pricing_ondemand");
  const s = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/pricing-report`;
  const onDemand = (od: number, at: string) => ({
    instance: {
      instance_id: s.instanceId,
      instance_type: "t3.medium",
      region: "us-east-1",
      az: "us-east-1a",
      mode: "ondemand",
      pool_id: null,
    },
    pricing: {
      on_demand_price: od,
      current_spot_price: null,
      cheapest_pool: null,
      spot_pools: [],
      collected_at: at,
    },
  });
  assert.equal(
    (await send(t, s.token, "POST", path, onDemand(0.0416, "2026-11-27T11:56:00"))).status,
    200,
  );
  // The agent's fallback (0.1) in the same bucket, later: stored on the report, not as the price.
  assert.equal(
    (await send(t, s.token, "POST", path, onDemand(0.1, "2026-11-27T11:57:00"))).status,
    200,
  );
  const od = await rows<{ price: number; is_estimate: number }>(
    t.db,
    "SELECT price, is_estimate FROM ondemand_price_snapshots",
  );
  assert.deepEqual(od, [{ price: 0.0416, is_estimate: 0 }]);
  const est = await rows<{ on_demand_estimated: number }>(
    t.db,
    "SELECT on_demand_estimated FROM pricing_reports ORDER BY collected_at",
  );
  assert.deepEqual(est.map((x) => x.on_demand_estimated), [0, 1]);
  assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM spot_price_snapshots"), 0);
  const bad = await send(t, s.token, "POST", path, onDemand(0.0416, "yesterday"));
  assert.equal(bad.status, 400);
  assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM pricing_reports"), 2);
});

Deno.test("pricing: the decision-engine hook gets the stored report after the answer", async () => {
  const t = await testContext("pricing_hook");
  const s = await seedAgent(t);
  const seen: PricingReportEvent[] = [];
  t.deps.services.onPricingReport = (_deps, event) => {
    seen.push(event);
    return Promise.resolve();
  };
  const res = await send(
    t,
    s.token,
    "POST",
    `/api/agents/${s.agentId}/pricing-report`,
    v4Report(s, "2026-11-27T11:58:10"),
  );
  assert.equal(res.status, 200);
  await t.deps.services.background.drain();
  assert.equal(seen.length, 1);
  assert.equal(seen[0].agentId, s.agentId);
  assert.equal(seen[0].clientId, s.clientId);
  assert.equal(seen[0].pools.length, 6);
  assert.equal(seen[0].collectedAt.toISOString(), "2026-11-27T11:58:10.000Z");
});

const SEED_CLEANUP = {
  timestamp: "2024-01-15T12:00:00Z",
  snapshots: {
    type: "snapshots",
    deleted: ["snap-123", "snap-456"],
    failed: [],
    cutoff_date: "2024-01-08T12:00:00Z",
  },
  amis: {
    type: "amis",
    deleted_amis: ["ami-123"],
    deleted_snapshots: ["snap-789"],
    failed: [],
    cutoff_date: "2023-12-16T12:00:00Z",
  },
};

Deno.test("cleanup: the seed's report is recorded once, with counts, cutoff and an event", async () => {
  const t = await testContext("cleanup_seed");
  const s = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/cleanup-report`;
  const res = await send(t, s.token, "POST", path, SEED_CLEANUP);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    success: true,
    message: "Cleanup report recorded",
    deleted_snapshots: 2,
    deleted_amis: 1,
    failed_count: 0,
  });
  const logs = await rows<Record<string, unknown>>(
    t.db,
    "SELECT * FROM cleanup_logs WHERE agent_id = ?",
    [s.agentId],
  );
  assert.equal(logs.length, 1);
  assert.equal(logs[0].client_id, s.clientId);
  assert.equal(logs[0].cleanup_type, "full");
  assert.equal(logs[0].deleted_snapshots_count, 2);
  assert.equal(logs[0].deleted_amis_count, 1);
  assert.equal(logs[0].failed_count, 0);
  assert.equal(logs[0].cutoff_date, "2024-01-08T12:00:00.000Z");
  assert.equal(logs[0].executed_at, "2024-01-15T12:00:00.000Z");
  assert.equal(logs[0].cleanup_disabled, 0);
  assert.equal(logs[0].policy_violation, 0);
  const details = typeof logs[0].details === "string"
    ? JSON.parse(logs[0].details)
    : logs[0].details;
  assert.deepEqual(details, SEED_CLEANUP);
  const agent = await rows<{ last_cleanup_at: string }>(
    t.db,
    "SELECT last_cleanup_at FROM agents WHERE id = ?",
    [s.agentId],
  );
  assert.equal(agent[0].last_cleanup_at, "2026-11-27T12:00:00.000Z");
  const events = await rows<{ message: string }>(
    t.db,
    "SELECT message FROM system_events WHERE event_type = 'cleanup_completed' AND agent_id = ?",
    [s.agentId],
  );
  assert.deepEqual(events.map((e) => e.message), ["Cleaned 2 snapshots, 1 AMIs. Failed: 0"]);

  // Retried: same answer, same rows, no second event.
  const again = await send(t, s.token, "POST", path, SEED_CLEANUP);
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, res.body);
  assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM cleanup_logs"), 1);
  assert.equal(
    await count(
      t.db,
      "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'cleanup_completed'",
    ),
    1,
  );
});

Deno.test("cleanup: a malformed report is 400 and stores nothing", async () => {
  const t = await testContext("cleanup_malformed");
  const s = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/cleanup-report`;
  const cases = [
    { ...SEED_CLEANUP, snapshots: { ...SEED_CLEANUP.snapshots, deleted: "snap-123" } },
    { snapshots: SEED_CLEANUP.snapshots },
    { timestamp: "2024-01-15T12:00:00Z" },
    { ...SEED_CLEANUP, timestamp: "not a time" },
    { ...SEED_CLEANUP, amis: { ...SEED_CLEANUP.amis, cutoff_date: "soon" } },
  ];
  for (const body of cases) {
    const res = await send(t, s.token, "POST", path, body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(typeof res.body.error, "string");
  }
  assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM cleanup_logs"), 0);
  assert.equal(
    await count(t.db, "SELECT COUNT(*) AS n FROM system_events WHERE event_type LIKE 'cleanup%'"),
    0,
  );
});

Deno.test("cleanup: disabled agents are recorded and flagged; a cutoff younger than policy is a violation", async () => {
  const t = await testContext("cleanup_flags");
  const disabled = await seedAgent(t, { cleanupEnabled: false });
  const res = await send(
    t,
    disabled.token,
    "POST",
    `/api/agents/${disabled.agentId}/cleanup-report`,
    {
      timestamp: "2024-01-15T12:00:00",
      snapshots: {
        type: "snapshots",
        deleted: ["snap-1"],
        failed: [{ id: "snap-2", error: "InvalidSnapshot.InUse" }],
        cutoff_date: "2024-01-08T11:00:00",
      },
    },
  );
  assert.equal(res.status, 200);
  assert.equal(res.body.failed_count, 1);
  const d = await rows<Record<string, unknown>>(
    t.db,
    "SELECT cleanup_type, cleanup_disabled, policy_violation, failed_count FROM cleanup_logs WHERE agent_id = ?",
    [disabled.agentId],
  );
  assert.deepEqual(d, [{
    cleanup_type: "snapshots",
    cleanup_disabled: 1,
    policy_violation: 0,
    failed_count: 1,
  }]);
  assert.equal(
    await count(
      t.db,
      "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'cleanup_while_disabled' AND severity = 'warning' AND agent_id = ?",
      [disabled.agentId],
    ),
    1,
  );

  const eager = await seedAgent(t);
  const v = await send(t, eager.token, "POST", `/api/agents/${eager.agentId}/cleanup-report`, {
    timestamp: "2024-01-15T12:00:00Z",
    amis: {
      type: "amis",
      deleted_amis: ["ami-1"],
      deleted_snapshots: [],
      failed: [],
      cutoff_date: "2024-01-14T12:00:00Z",
    },
  });
  assert.equal(v.status, 200);
  const e = await rows<Record<string, unknown>>(
    t.db,
    "SELECT cleanup_type, cleanup_disabled, policy_violation, cutoff_date FROM cleanup_logs WHERE agent_id = ?",
    [eager.agentId],
  );
  assert.deepEqual(e, [{
    cleanup_type: "amis",
    cleanup_disabled: 0,
    policy_violation: 1,
    cutoff_date: "2024-01-14T12:00:00.000Z",
  }]);
  const warn = await rows<{ message: string; severity: string }>(
    t.db,
    "SELECT message, severity FROM system_events WHERE event_type = 'cleanup_policy_violation' AND agent_id = ?",
    [eager.agentId],
  );
  assert.equal(warn.length, 1);
  assert.equal(warn[0].severity, "warning");
  assert.match(warn[0].message, /deleted more than policy allows/);

  const other = await t.createClient();
  assert.equal(
    (await send(
      t,
      other.token,
      "POST",
      `/api/agents/${eager.agentId}/cleanup-report`,
      SEED_CLEANUP,
    )).status,
    404,
  );
});

Deno.test("health metrics: POST stores what the agent measured, GET returns it newest first, scoped", async () => {
  const t = await testContext("health_metrics_api");
  const s = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/health-metrics`;
  assert.equal((await send(t, s.token, "POST", path, {})).status, 200);
  const full = {
    metric_time: "2026-11-27T12:05:00Z",
    heartbeat_latency_ms: 42,
    command_execution_time_ms: 1200,
    pricing_fetch_success: true,
    termination_check_success: true,
    rebalance_check_success: false,
    error_count: 2,
    warning_count: 1,
    metadata: { version: "4.0.0" },
  };
  assert.equal((await send(t, s.token, "POST", path, full)).status, 200);
  assert.equal((await send(t, s.token, "POST", path, full)).status, 200); // retry: one row
  const all = await send(t, s.token, "GET", path);
  assert.equal(all.status, 200);
  assert.equal(all.body.count, 2);
  const [newest, oldest] = all.body.metrics as Record<string, unknown>[];
  assert.equal(newest.metric_time, "2026-11-27T12:05:00.000Z");
  assert.equal(newest.source, "agent");
  assert.equal(newest.heartbeat_latency_ms, 42);
  assert.equal(newest.pricing_fetch_success, true);
  assert.equal(newest.rebalance_check_success, false);
  assert.equal(newest.error_count, 2);
  assert.deepEqual(newest.metadata, { version: "4.0.0" });
  assert.equal(oldest.metric_time, "2026-11-27T12:00:00.000Z");
  assert.equal(oldest.pricing_fetch_success, null);
  const since = await send(t, s.token, "GET", `${path}?since=2026-11-27T12:01:00&limit=10`);
  assert.equal(since.body.count, 1);
  assert.equal((await send(t, s.token, "GET", `${path}?limit=5000`)).status, 400);
  assert.equal((await send(t, s.token, "POST", path, { error_count: -1 })).status, 400);
  const other = await t.createClient();
  assert.equal((await send(t, other.token, "GET", path)).status, 404);
  assert.equal((await send(t, other.token, "POST", path, {})).status, 404);
});

Deno.test("health metrics: the heartbeat buffer flushes one aggregate row per agent, merging one bucket", async () => {
  const t = await testContext("health_buffer");
  const a = await seedAgent(t);
  const b = await seedAgent(t);
  const buffer = createHealthBuffer({ flushSeconds: 300 });
  const at = (s: number) => new Date(Date.parse("2026-11-27T12:00:00Z") + s * 1000);
  buffer.recordHeartbeat(a.agentId, a.clientId, 10, at(0));
  buffer.recordHeartbeat(a.agentId, a.clientId, 30, at(30));
  buffer.recordHeartbeat(a.agentId, a.clientId, 20, at(100)); // a 70 s gap
  buffer.recordHeartbeat(b.agentId, b.clientId, 5, at(10));
  const before = t.db.roundTrips();
  assert.equal(await buffer.flush(t.db, at(299)), 2);
  assert.equal(t.db.roundTrips() - before, 1); // one multi-row INSERT for both agents
  assert.equal(await buffer.flush(t.db, at(299)), 0); // nothing new: no statement
  buffer.recordHeartbeat(a.agentId, a.clientId, 60, at(130)); // same bucket as the first flush
  assert.equal(await buffer.flush(t.db, at(290)), 1);
  const r = await rows<Record<string, unknown>>(
    t.db,
    "SELECT agent_id, client_id, source, metric_time, heartbeat_count, heartbeat_latency_ms, max_heartbeat_latency_ms, max_heartbeat_gap_ms FROM agent_health_metrics ORDER BY heartbeat_count DESC",
  );
  assert.deepEqual(r, [
    {
      agent_id: a.agentId,
      client_id: a.clientId,
      source: "server",
      metric_time: "2026-11-27T12:00:00.000Z",
      heartbeat_count: 4,
      heartbeat_latency_ms: 30,
      max_heartbeat_latency_ms: 60,
      max_heartbeat_gap_ms: 70000,
    },
    {
      agent_id: b.agentId,
      client_id: b.clientId,
      source: "server",
      metric_time: "2026-11-27T12:00:00.000Z",
      heartbeat_count: 1,
      heartbeat_latency_ms: 5,
      max_heartbeat_latency_ms: 5,
      max_heartbeat_gap_ms: null,
    },
  ]);
  assert.equal(t.deps.services.healthBuffer.size(), 0); // the app's own buffer exists and is empty
});

Deno.test("legacy termination (E20): agent offline with terminated_at, one alert per termination, scoped", async () => {
  const t = await testContext("legacy_termination");
  const s = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/termination`;
  const other = await t.createClient();
  assert.equal((await send(t, other.token, "POST", path, { reason: "spot" })).status, 404);
  const res = await send(t, s.token, "POST", path, { reason: "Spot interruption", notice: "2m" });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { success: true });
  const a = await rows<{ status: string; terminated_at: string }>(
    t.db,
    "SELECT status, terminated_at FROM agents WHERE id = ?",
    [s.agentId],
  );
  assert.deepEqual(a, [{ status: "offline", terminated_at: "2026-11-27T12:00:00.000Z" }]);
  const n = await rows<{ message: string; severity: string }>(
    t.db,
    "SELECT message, severity FROM notifications WHERE agent_id = ?",
    [s.agentId],
  );
  assert.deepEqual(n, [{
    message: "Agent host-1 terminated: Spot interruption",
    severity: "warning",
  }]);
  const e = await rows<{ metadata: unknown }>(
    t.db,
    "SELECT metadata FROM system_events WHERE event_type = 'instance_terminated' AND agent_id = ?",
    [s.agentId],
  );
  assert.equal(e.length, 1);
  const meta = typeof e[0].metadata === "string" ? JSON.parse(e[0].metadata) : e[0].metadata;
  assert.deepEqual(meta, { reason: "Spot interruption", notice: "2m" });
  t.clock.advance(5000);
  assert.equal((await send(t, s.token, "POST", path, {})).status, 200); // repeat: default reason, no alert
  assert.equal(
    await count(t.db, "SELECT COUNT(*) AS n FROM notifications WHERE agent_id = ?", [s.agentId]),
    1,
  );
});

Deno.test("legacy instances-to-terminate (E21): only the client's real zombie ids, waited out, not recently attempted", async () => {
  const t = await testContext("legacy_to_terminate");
  const s = await seedAgent(t);
  const other = await seedAgent(t);
  const old = new Date(t.clock().getTime() - 3600_000);
  const recent = new Date(t.clock().getTime() - 60_000);
  const zombie = async (
    clientId: string,
    agentId: string,
    id: string,
    updatedAt: Date,
    attempted: Date | null = null,
  ) => {
    await t.db.execute(
      "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, current_mode, instance_status, is_primary, updated_at, termination_attempted_at) VALUES (?, ?, ?, 't3.medium', 'us-east-1', 'us-east-1b', 'spot', 'zombie', 0, ?, ?)",
      [id, clientId, agentId, updatedAt, attempted],
    );
  };
  const mine = hexId();
  await zombie(s.clientId, s.agentId, mine, old);
  await zombie(s.clientId, s.agentId, hexId(), recent); // not waited out
  await zombie(s.clientId, s.agentId, hexId(), old, recent); // attempted 1 min ago
  await zombie(s.clientId, s.agentId, "manual-abc123", old); // placeholder
  await zombie(other.clientId, other.agentId, hexId(), old); // another tenant (B-06)
  const replicaInstance = hexId();
  await t.db.execute(
    "INSERT INTO replica_instances (id, agent_id, client_id, instance_id, instance_type, az, status, terminated_at) VALUES (?, ?, ?, ?, 't3.medium', 'us-east-1c', 'terminated', ?)",
    [crypto.randomUUID(), s.agentId, s.clientId, replicaInstance, old],
  );
  const res = await send(t, s.token, "GET", `/api/agents/${s.agentId}/instances-to-terminate`);
  assert.equal(res.status, 200);
  assert.equal(res.body.auto_terminate_enabled, true);
  assert.equal(res.body.terminate_wait_seconds, 300);
  const items = res.body.instances as Record<string, unknown>[];
  assert.deepEqual(items.map((i) => i.instance_id).sort(), [mine, replicaInstance].sort());
  const z = items.find((i) => i.instance_id === mine)!;
  assert.deepEqual(z, {
    instance_id: mine,
    instance_type: "t3.medium",
    az: "us-east-1b",
    reason: "zombie_timeout",
    seconds_waiting: 3600,
  });
  const r = items.find((i) => i.instance_id === replicaInstance)!;
  assert.equal(r.reason, "replica_terminated");
  assert.equal(r.seconds_since_marked, 3600);

  await t.db.execute("UPDATE agents SET auto_terminate_enabled = 0 WHERE id = ?", [s.agentId]);
  const off = await send(t, s.token, "GET", `/api/agents/${s.agentId}/instances-to-terminate`);
  assert.deepEqual(off.body, {
    instances: [],
    auto_terminate_enabled: false,
    terminate_wait_seconds: 300,
  });
  assert.equal(
    (await send(t, other.token, "GET", `/api/agents/${s.agentId}/instances-to-terminate`)).status,
    404,
  );
});

Deno.test("legacy termination-report (E22): success terminates instance and replica rows; failure records the attempt; scoped", async () => {
  const t = await testContext("legacy_termination_report");
  const s = await seedAgent(t);
  const other = await seedAgent(t);
  const zombieId = hexId();
  await t.db.execute(
    "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, current_mode, instance_status, is_primary) VALUES (?, ?, ?, 't3.medium', 'us-east-1', 'us-east-1b', 'spot', 'zombie', 0)",
    [zombieId, s.clientId, s.agentId],
  );
  await t.db.execute(
    "INSERT INTO replica_instances (id, agent_id, client_id, instance_id, status) VALUES (?, ?, ?, ?, 'terminated')",
    [crypto.randomUUID(), s.agentId, s.clientId, zombieId],
  );
  const path = `/api/agents/${s.agentId}/termination-report`;
  const failed = await send(t, s.token, "POST", path, {
    instance_id: zombieId,
    success: false,
    error: "UnauthorizedOperation",
  });
  assert.equal(failed.status, 200);
  let inst = await rows<Record<string, unknown>>(
    t.db,
    "SELECT instance_status, termination_attempted_at, termination_confirmed FROM instances WHERE id = ?",
    [zombieId],
  );
  assert.deepEqual(inst, [{
    instance_status: "zombie",
    termination_attempted_at: "2026-11-27T12:00:00.000Z",
    termination_confirmed: 0,
  }]);
  assert.equal(
    await count(
      t.db,
      "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'instance_termination_failed'",
    ),
    1,
  );

  const ok = await send(t, s.token, "POST", path, {
    instance_id: zombieId,
    success: true,
    terminated_at: "2026-11-27T11:59:00.000000Z",
  });
  assert.deepEqual(ok.body, { success: true, message: "Termination report recorded" });
  inst = await rows(
    t.db,
    "SELECT instance_status, is_active, terminated_at, termination_confirmed FROM instances WHERE id = ?",
    [zombieId],
  );
  assert.deepEqual(inst, [{
    instance_status: "terminated",
    is_active: 0,
    terminated_at: "2026-11-27T11:59:00.000Z",
    termination_confirmed: 1,
  }]);
  const rep = await rows(
    t.db,
    "SELECT status, is_active, termination_confirmed FROM replica_instances WHERE instance_id = ?",
    [zombieId],
  );
  assert.deepEqual(rep, [{ status: "terminated", is_active: 0, termination_confirmed: 1 }]);
  assert.equal(
    (await send(t, s.token, "POST", path, { instance_id: zombieId, success: true })).status,
    200,
  );
  assert.equal(
    await count(
      t.db,
      "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'instance_terminated'",
    ),
    1,
  );

  // Another tenant's instance id through this agent: 404, untouched (B-05).
  const foreign = await send(t, s.token, "POST", path, {
    instance_id: other.instanceId,
    success: true,
  });
  assert.equal(foreign.status, 404);
  const o = await rows(
    t.db,
    "SELECT instance_status, termination_confirmed FROM instances WHERE id = ?",
    [other.instanceId],
  );
  assert.deepEqual(o, [{ instance_status: "running_primary", termination_confirmed: 0 }]);
  assert.equal((await send(t, s.token, "POST", path, { success: true })).status, 400);
  assert.equal(
    (await send(t, other.token, "POST", path, { instance_id: zombieId, success: true })).status,
    404,
  );
});

Deno.test("legacy register-instance (E23): 400 lists missing fields; a new primary retires the old one; ids are per client", async () => {
  const t = await testContext("legacy_register_instance");
  const s = await seedAgent(t);
  const other = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/register-instance`;
  const missing = await send(t, s.token, "POST", path, {
    instance_id: hexId(),
    region: "us-east-1",
  });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body.missing, ["instance_type", "az", "mode"]);
  assert.match(String(missing.body.error), /instance_type, az, mode/);

  const next = hexId();
  const body = {
    instance_id: next,
    instance_type: "t3.medium",
    region: "us-east-1",
    az: "us-east-1c",
    mode: "spot",
  };
  const res = await send(t, s.token, "POST", path, body);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    success: true,
    message: "Instance registered as primary",
    instance_id: next,
    is_primary: true,
  });
  const inst = await rows(
    t.db,
    "SELECT id, instance_status, is_primary, current_pool_id FROM instances WHERE agent_id = ? ORDER BY id = ? DESC",
    [s.agentId, next],
  );
  assert.deepEqual(inst, [
    {
      id: next,
      instance_status: "running_primary",
      is_primary: 1,
      current_pool_id: "t3.medium.us-east-1c",
    },
    {
      id: s.instanceId,
      instance_status: "zombie",
      is_primary: 0,
      current_pool_id: "t3.medium.us-east-1a",
    },
  ]);
  const agent = await rows(
    t.db,
    "SELECT instance_id, current_mode, current_pool_id, az FROM agents WHERE id = ?",
    [s.agentId],
  );
  assert.deepEqual(agent, [{
    instance_id: next,
    current_mode: "spot",
    current_pool_id: "t3.medium.us-east-1c",
    az: "us-east-1c",
  }]);
  assert.equal(
    await count(
      t.db,
      "SELECT COUNT(*) AS n FROM instance_segments WHERE instance_id = ? AND ended_at IS NULL",
      [next],
    ),
    1,
  );
  assert.equal((await send(t, s.token, "POST", path, body)).status, 200); // retry: same rows, one event
  assert.equal(
    await count(
      t.db,
      "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'instance_registered'",
    ),
    1,
  );
  assert.equal(
    await count(t.db, "SELECT COUNT(*) AS n FROM instance_segments WHERE instance_id = ?", [next]),
    1,
  );

  const replica = hexId();
  const r = await send(t, s.token, "POST", path, {
    ...body,
    instance_id: replica,
    is_primary: false,
    mode: "ondemand",
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.is_primary, false);
  const rep = await rows(t.db, "SELECT instance_status, is_primary FROM instances WHERE id = ?", [
    replica,
  ]);
  assert.deepEqual(rep, [{ instance_status: "running_replica", is_primary: 0 }]);

  const stolen = await send(t, s.token, "POST", path, { ...body, instance_id: other.instanceId });
  // The same EC2 id in another client's namespace: this client gets its own row, the other
  // client's row is untouched and nothing tells this client that the id exists elsewhere.
  assert.equal(stolen.status, 200);
  const o = await rows(
    t.db,
    "SELECT client_id, agent_id FROM instances WHERE id = ? ORDER BY client_id = ?",
    [other.instanceId, other.clientId],
  );
  assert.deepEqual(o, [
    { client_id: s.clientId, agent_id: s.agentId },
    { client_id: other.clientId, agent_id: other.agentId },
  ]);
  assert.equal((await send(t, other.token, "POST", path, body)).status, 404);
});

Deno.test("legacy statistics (E27): real counts from decisions, switches and failed commands", async () => {
  const t = await testContext("legacy_statistics");
  const s = await seedAgent(t);
  const path = `/api/agents/${s.agentId}/statistics`;
  const empty = await send(t, s.token, "GET", path);
  assert.deepEqual(empty.body, {
    totalDecisions: 0,
    successfulSwitches: 0,
    failedSwitches: 0,
    successRate: 0,
    averageConfidence: null,
  });
  for (const inputs of [{ confidence: 0.9 }, { decision: { confidence: 0.6 } }, null]) {
    await t.db.execute(
      "INSERT INTO agent_decision_history (agent_id, client_id, decision_type, inputs) VALUES (?, ?, 'stay', ?)",
      [s.agentId, s.clientId, inputs === null ? null : JSON.stringify(inputs)],
    );
  }
  for (const success of [1, 1, 1, 0]) {
    await t.db.execute(
      "INSERT INTO switches (id, client_id, agent_id, new_instance_id, success) VALUES (?, ?, ?, ?, ?)",
      [crypto.randomUUID(), s.clientId, s.agentId, hexId(), success],
    );
  }
  await t.db.execute(
    "INSERT INTO commands (id, client_id, agent_id, target_mode, status) VALUES (?, ?, ?, 'ondemand', 'failed')",
    [crypto.randomUUID(), s.clientId, s.agentId],
  );
  const res = await send(t, s.token, "GET", path);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    totalDecisions: 3,
    successfulSwitches: 3,
    failedSwitches: 2,
    successRate: 60,
    averageConfidence: 0.75,
  });
  const other = await t.createClient();
  assert.equal((await send(t, other.token, "GET", path)).status, 404);
});

Deno.test("legacy mark-command-executed (M3): completes the open command once, idempotent, scoped", async () => {
  const t = await testContext("legacy_mark_executed");
  const s = await seedAgent(t);
  const commandId = crypto.randomUUID();
  await t.db.execute(
    "INSERT INTO commands (id, client_id, agent_id, target_mode, target_pool_id, status, delivered_at) VALUES (?, ?, ?, 'spot', 't3.medium.us-east-1b', 'delivered', ?)",
    [commandId, s.clientId, s.agentId, t.clock()],
  );
  const path = `/api/agents/${s.agentId}/mark-command-executed`;
  const other = await t.createClient();
  assert.equal((await send(t, other.token, "POST", path, { command_id: commandId })).status, 404);
  assert.equal(
    (await rows<{ status: string }>(t.db, "SELECT status FROM commands WHERE id = ?", [commandId]))[
      0
    ].status,
    "delivered",
  );
  const res = await send(t, s.token, "POST", path, { command_id: commandId });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { success: true });
  const c = await rows(
    t.db,
    "SELECT status, success, completion_source, open_agent_id, completed_at FROM commands WHERE id = ?",
    [commandId],
  );
  assert.deepEqual(c, [{
    status: "completed",
    success: 1,
    completion_source: "executed",
    open_agent_id: null,
    completed_at: "2026-11-27T12:00:00.000Z",
  }]);
  t.clock.advance(60_000);
  assert.equal(
    (await send(t, s.token, "POST", path, { command_id: commandId, success: false })).status,
    200,
  );
  const again = await rows(t.db, "SELECT status, completed_at FROM commands WHERE id = ?", [
    commandId,
  ]);
  assert.deepEqual(again, [{ status: "completed", completed_at: "2026-11-27T12:00:00.000Z" }]);
  assert.equal((await send(t, s.token, "POST", path, {})).status, 400);
  const unknown = await send(t, s.token, "POST", path, { command_id: 12345 });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error, "Command not found");
});
