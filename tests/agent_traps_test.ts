/**
 * One test per compatibility trap of CONTRACT.md section 8 that concerns the lifecycle endpoints
 * (register, heartbeat, config, pending-commands, executed, switch-report), on a real database.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { AgentSim, microIso, naiveIso } from "./agent_sim.ts";
import type { SimOptions } from "./agent_sim.ts";
import { queueSwitchCommand } from "../db/commands.ts";
import type { QueueCommandInput } from "../db/commands.ts";
import { expireCommands } from "../db/commands.ts";
import { DomainError } from "../core/errors.ts";
import { STATUS_OF_KIND } from "../routes/_errors.ts";

async function rows(t: TestContext, sql: string, args: unknown[] = []) {
  return (await t.db.execute<Record<string, unknown>>(sql, args)).rows;
}

async function setup(suite: string, sim: Partial<Omit<SimOptions, "transport">> = {}) {
  const t = await testContext(suite);
  const client = await t.createClient();
  const agent = AgentSim.forApp(t.app, {
    token: client.token,
    logicalAgentId: "app-1",
    instanceId: "i-0aaa000000000001",
    instanceType: "t3.medium",
    az: "us-east-1a",
    mode: "ondemand",
    now: t.clock,
    ...sim,
  });
  return { t, client, agent };
}

function queue(
  t: TestContext,
  input: Partial<QueueCommandInput> & { clientId: string; agentId: string },
) {
  return queueSwitchCommand(t.db, {
    targetMode: "spot",
    targetPoolId: "t3.medium.us-east-1b",
    priority: 75,
    createdBy: "manual",
    triggerType: "manual",
    now: t.clock(),
    pendingTtlSeconds: 3600,
    ...input,
  });
}

async function rejects(p: Promise<unknown>, status: number, code: string) {
  await assert.rejects(
    p,
    (e: unknown) =>
      e instanceof DomainError && STATUS_OF_KIND[e.kind] === status && e.code === code,
  );
}

Deno.test("T-01: register accepts public_ip null, 'unknown' values, no mode and unknown extra fields", async () => {
  const { t, client } = await setup("trap_t01");
  const res = await t.request("POST", "/api/agents/register", {
    body: {
      client_token: client.token,
      logical_agent_id: "legacy-box",
      instance_id: "i-0legacy00000001",
      instance_type: "unknown",
      region: "us-east-1",
      az: "unknown",
      ami_id: "unknown",
      hostname: "box",
      agent_version: "3.2.0",
      private_ip: "unknown",
      public_ip: null,
      some_future_field: { nested: true },
    },
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(typeof body.agent_id, "string");
  assert.equal(body.config.enabled, true);
  const [a] = await rows(
    t,
    "SELECT current_mode, instance_type, az, public_ip, private_ip FROM agents WHERE id = ?",
    [body.agent_id],
  );
  assert.deepEqual(a, {
    current_mode: "ondemand",
    instance_type: null,
    az: null,
    public_ip: null,
    private_ip: null,
  });
});

Deno.test("T-02: register returns a string agent_id, the same one for the same client and logical id, and a boolean config", async () => {
  const { t, agent } = await setup("trap_t02");
  const first = await agent.register();
  const again = await agent.register();
  assert.equal(first.status, 200);
  assert.equal(again.body!.agent_id, first.body!.agent_id);
  const cfg = first.body!.config;
  assert.equal(cfg.enabled, true);
  for (const k of ["auto_switch_enabled", "auto_terminate_enabled", "replica_enabled"]) {
    assert.equal(typeof cfg[k], "boolean", k);
  }
  for (
    const k of [
      "terminate_wait_seconds",
      "replica_count",
      "min_savings_percent",
      "risk_threshold",
      "max_switches_per_week",
      "min_pool_duration_hours",
    ]
  ) {
    assert.equal(typeof cfg[k], "number", k);
  }
  assert.equal(cfg.min_savings_percent, 15);
  assert.equal(cfg.risk_threshold, 0.3);
  const other = await t.createClient();
  const foreign = AgentSim.forApp(t.app, { ...agent.opts, token: other.token });
  const theirs = await foreign.register();
  assert.notEqual(
    theirs.body!.agent_id,
    first.body!.agent_id,
    "another client's agent is another row",
  );
  const n = await rows(t, "SELECT message FROM notifications WHERE agent_id = ?", [
    first.body!.agent_id,
  ]);
  assert.deepEqual(n.map((x) => x.message), ["New agent registered: app-1"]);
});

Deno.test("T-03: switch report with the REF aliases (pricing, initiated_at ...), naive or Z times and no command_id", async () => {
  const { t, client, agent } = await setup("trap_t03");
  await agent.register();
  const q = await queue(t, {
    clientId: client.id,
    agentId: agent.agentId!,
    priority: 25,
    triggerType: "model",
  });
  await agent.pendingCommands();
  const res = await agent.call("POST", `/api/agents/${agent.agentId}/switch-report`, {
    old_instance: {
      instance_id: "i-0aaa000000000001",
      mode: "ondemand",
      instance_type: "t3.medium",
      az: "us-east-1a",
    },
    new_instance: {
      instance_id: "i-0bbb000000000002",
      mode: "spot",
      pool_id: "t3.medium.us-east-1b",
      az: "us-east-1b",
    },
    pricing: { on_demand: 0.0416, new_spot: 0.0130 },
    timing: {
      initiated_at: "2026-11-27T12:00:00.250000Z",
      ami_created_at: "2026-11-27T12:03:00.000000Z",
      instance_launched_at: "2026-11-27T12:04:00",
      instance_ready_at: "2026-11-27T12:05:30.999999Z",
      old_terminated_at: "2026-11-27T12:05:00.000001Z",
    },
    trigger: "model",
  });
  assert.equal(res.status, 200);
  const [sw] = await rows(
    t,
    "SELECT command_id, savings_impact, downtime_seconds, total_duration_seconds, instance_launched_at, trigger_type FROM switches WHERE agent_id = ?",
    [agent.agentId],
  );
  assert.deepEqual(sw, {
    command_id: q.id,
    savings_impact: 0.0286,
    downtime_seconds: 31,
    total_duration_seconds: 331,
    instance_launched_at: "2026-11-27T12:04:00.000Z",
    trigger_type: "model",
  });
  const [c] = await rows(t, "SELECT status, completion_source FROM commands WHERE id = ?", [q.id]);
  assert.deepEqual(c, { status: "completed", completion_source: "switch_report" });
});

Deno.test("T-04: pending-commands is a bare array of {string id, spot|ondemand}; a newer command supersedes a pending one", async () => {
  const { t, client, agent } = await setup("trap_t04");
  await agent.register();
  const first = await queue(t, {
    clientId: client.id,
    agentId: agent.agentId!,
    targetMode: "ondemand",
    targetPoolId: null,
  });
  const second = await queue(t, { clientId: client.id, agentId: agent.agentId!, priority: 100 });
  assert.deepEqual(second.supersededIds, [first.id]);
  const res = await t.request("GET", `/api/agents/${agent.agentId}/pending-commands`, {
    token: agent.opts.token,
    headers: { "Content-Type": "application/json" },
  });
  assert.equal(res.status, 200);
  const list = await res.json();
  assert.ok(Array.isArray(list));
  assert.equal(list.length, 1);
  assert.deepEqual(Object.keys(list[0]).sort(), [
    "agent_id",
    "created_at",
    "id",
    "instance_id",
    "priority",
    "target_mode",
    "target_pool_id",
    "terminate_wait_seconds",
  ]);
  assert.equal(list[0].id, second.id);
  assert.equal(list[0].target_mode, "spot");
  assert.equal(list[0].instance_id, "i-0aaa000000000001");
  const [old] = await rows(t, "SELECT status, completion_source FROM commands WHERE id = ?", [
    first.id,
  ]);
  assert.deepEqual(old, { status: "superseded", completion_source: "superseded" });
});

Deno.test("T-05: a spot target pool must be <instance_type>.<az> of the agent's own instance type", async () => {
  const { t, client, agent } = await setup("trap_t05");
  await agent.register();
  const ids = { clientId: client.id, agentId: agent.agentId! };
  for (
    const bad of [
      "us-east-1b",
      "t3.medium",
      "pool-1",
      "t3.medium.us-east-1b.",
      "T3.medium.us-east-1b",
    ]
  ) {
    await rejects(queue(t, { ...ids, targetPoolId: bad }), 400, "invalid_pool_id");
  }
  await rejects(
    queue(t, { ...ids, targetPoolId: "m5.large.us-east-1b" }),
    400,
    "pool_type_mismatch",
  );
  const ok = await queue(t, { ...ids, targetPoolId: "t3.medium.us-west-2-lax-1a" });
  assert.equal(ok.status, "pending");
});

Deno.test("T-06: a delivered command is never delivered again and expires, saying why, if nobody completes it", async () => {
  const { t, client, agent } = await setup("trap_t06");
  await agent.register();
  const q = await queue(t, { clientId: client.id, agentId: agent.agentId! });
  const polls = await Promise.all([
    agent.pendingCommands(),
    agent.pendingCommands(),
    agent.pendingCommands(),
  ]);
  assert.equal(
    polls.reduce((n, p) => n + p.body!.length, 0),
    1,
    "exactly one concurrent poll wins",
  );
  await rejects(
    queue(t, { clientId: client.id, agentId: agent.agentId! }),
    409,
    "command_in_flight",
  );
  // A replacement in another pool (not the target) does not complete it.
  const stray = agent.successor({
    instanceId: "i-0ccc000000000003",
    mode: "spot",
    az: "us-east-1c",
  });
  await stray.register();
  assert.deepEqual((await stray.pendingCommands()).body, []);
  assert.equal(
    (await rows(t, "SELECT status FROM commands WHERE id = ?", [q.id]))[0].status,
    "delivered",
  );
  t.clock.advance((t.config.COMMAND_DELIVERY_TIMEOUT + 1) * 1000);
  const n = await expireCommands(t.db, {
    now: t.clock(),
    deliveryTimeoutSeconds: t.config.COMMAND_DELIVERY_TIMEOUT,
  });
  assert.equal(n, 1);
  const [c] = await rows(t, "SELECT status, message FROM commands WHERE id = ?", [q.id]);
  assert.equal(c.status, "expired");
  assert.match(String(c.message), /delivered to instance i-0aaa000000000001 but no executed call/);
  const ev = await rows(
    t,
    "SELECT event_type FROM system_events WHERE event_type = 'command_expired'",
  );
  assert.equal(ev.length, 1);
  assert.deepEqual((await stray.pendingCommands()).body, []);
});

Deno.test("T-07: a spot command without target_pool_id is refused", async () => {
  const { t, client, agent } = await setup("trap_t07");
  await agent.register();
  await rejects(
    queue(t, { clientId: client.id, agentId: agent.agentId!, targetPoolId: null }),
    400,
    "pool_required",
  );
  await rejects(
    queue(t, { clientId: client.id, agentId: agent.agentId!, targetPoolId: "  " }),
    400,
    "pool_required",
  );
  assert.equal((await rows(t, "SELECT id FROM commands")).length, 0);
});

Deno.test("T-08: the command's terminate_wait_seconds only mirrors the agent's setting (0 when auto-terminate is off)", async () => {
  const { t, client, agent } = await setup("trap_t08");
  await agent.register();
  const ids = { clientId: client.id, agentId: agent.agentId! };
  await queue(t, { ...ids });
  assert.equal((await agent.pendingCommands()).body![0].terminate_wait_seconds, 300);
  await t.db.execute("UPDATE commands SET status = 'completed' WHERE agent_id = ?", [
    agent.agentId,
  ]);
  await t.db.execute("UPDATE agents SET auto_terminate_enabled = 0 WHERE id = ?", [agent.agentId]);
  await queue(t, { ...ids });
  assert.equal((await agent.pendingCommands()).body![0].terminate_wait_seconds, 0);
});

Deno.test("T-09: during a switch the old instance's beats never take the row back and its shutdown beat does not mark it offline", async () => {
  const { t, agent } = await setup("trap_t09");
  await agent.register();
  const fresh = agent.successor({ instanceId: "i-0ddd000000000004" });
  t.clock.advance(60_000);
  await fresh.register();
  for (let i = 0; i < 3; i++) {
    t.clock.advance(30_000);
    await agent.heartbeat();
    await fresh.heartbeat();
  }
  await agent.shutdownBeat();
  const [a] = await rows(t, "SELECT instance_id, status FROM agents WHERE id = ?", [agent.agentId]);
  assert.deepEqual(a, { instance_id: "i-0ddd000000000004", status: "online" });
  const [old] = await rows(
    t,
    "SELECT instance_status, last_heartbeat_at FROM instances WHERE id = ?",
    ["i-0aaa000000000001"],
  );
  assert.deepEqual(old, { instance_status: "zombie", last_heartbeat_at: t.clock().toISOString() });
  assert.equal(
    (await rows(t, "SELECT id FROM notifications WHERE message LIKE '%offline%'")).length,
    0,
  );
  // Its own offline beat (with its instance id) closes only its own segment.
  await agent.heartbeat("offline");
  const segs = await rows(t, "SELECT instance_id, end_reason FROM instance_segments ORDER BY id");
  assert.deepEqual(segs, [
    { instance_id: "i-0aaa000000000001", end_reason: "offline" },
    { instance_id: "i-0ddd000000000004", end_reason: null },
  ]);
  // Long after the takeover, the current instance's own shutdown beat does mark it offline.
  t.clock.advance((t.config.COMMAND_DELIVERY_TIMEOUT + 1) * 1000);
  await fresh.shutdownBeat();
  assert.equal(
    (await rows(t, "SELECT status FROM agents WHERE id = ?", [agent.agentId]))[0].status,
    "offline",
  );
});

Deno.test("T-13: config.enabled is a real boolean false once the agent is disabled", async () => {
  const { t, agent } = await setup("trap_t13");
  await agent.register();
  await t.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [agent.agentId]);
  const cfg = await agent.config();
  assert.equal(cfg.status, 200);
  assert.equal(cfg.body!.enabled, false);
  assert.equal(cfg.body!.manual_replica_enabled, false);
  assert.equal(cfg.body!.auto_cleanup_enabled, true);
  assert.equal(cfg.body!.cleanup_snapshots_days, 7);
  assert.equal(cfg.body!.cleanup_amis_days, 30);
  assert.equal((await agent.register()).body!.config.enabled, false);
  await t.db.execute("UPDATE agents SET cleanup_enabled = 0 WHERE id = ?", [agent.agentId]);
  assert.equal((await agent.config()).body!.auto_cleanup_enabled, false);
});

Deno.test("T-14: heartbeat reads mode (not current_mode), keeps type/az when null, and moves the pool and segments on a mode change", async () => {
  const { t, agent } = await setup("trap_t14");
  await agent.register();
  const path = `/api/agents/${agent.agentId}/heartbeat`;
  await agent.call("POST", path, {
    status: "online",
    instance_id: "i-0aaa000000000001",
    instance_type: null,
    az: null,
    mode: "ondemand",
    monitored_instances: ["i-0aaa000000000001"],
  });
  let [a] = await rows(t, "SELECT instance_type, az FROM agents WHERE id = ?", [agent.agentId]);
  assert.deepEqual(a, { instance_type: "t3.medium", az: "us-east-1a" });
  t.clock.advance(30_000);
  await agent.call("POST", path, {
    status: "online",
    instance_id: "i-0aaa000000000001",
    mode: "spot",
    current_mode: "ondemand",
  });
  [a] = await rows(t, "SELECT current_mode, current_pool_id, pool_since FROM agents WHERE id = ?", [
    agent.agentId,
  ]);
  assert.deepEqual(a, {
    current_mode: "spot",
    current_pool_id: "t3.medium.us-east-1a",
    pool_since: t.clock().toISOString(),
  });
  const segs = await rows(t, "SELECT mode, pool_id, end_reason FROM instance_segments ORDER BY id");
  assert.deepEqual(segs, [
    { mode: "ondemand", pool_id: null, end_reason: "mode_change" },
    { mode: "spot", pool_id: "t3.medium.us-east-1a", end_reason: null },
  ]);
});

Deno.test("T-15: a deleted agent stays deleted on heartbeat and registration and gets enabled:false and no commands", async () => {
  const { t, client, agent } = await setup("trap_t15");
  await agent.register();
  await queue(t, { clientId: client.id, agentId: agent.agentId! });
  await t.db.execute("UPDATE agents SET status = 'deleted', deleted_at = ? WHERE id = ?", [
    t.clock(),
    agent.agentId,
  ]);
  assert.equal((await agent.heartbeat("online")).status, 200);
  assert.equal((await agent.config()).body!.enabled, false);
  assert.deepEqual((await agent.pendingCommands()).body, []);
  const reg = await agent.register();
  assert.equal(reg.status, 200);
  assert.equal(reg.body!.agent_id, agent.agentId);
  assert.equal(reg.body!.config.enabled, false);
  const [a] = await rows(t, "SELECT status FROM agents WHERE id = ?", [agent.agentId]);
  assert.equal(a.status, "deleted");
  await rejects(queue(t, { clientId: client.id, agentId: agent.agentId! }), 404, "agent_not_found");
});

Deno.test("T-16: every lifecycle endpoint answers JSON at the host root, including 404 for another client's agent", async () => {
  const { t, agent } = await setup("trap_t16");
  await agent.register();
  const other = await t.createClient();
  const intruder = AgentSim.forApp(t.app, { ...agent.opts, token: other.token });
  intruder.agentId = agent.agentId;
  for (
    const r of [
      await intruder.heartbeat(),
      await intruder.config(),
      await intruder.pendingCommands(),
      await intruder.executed("123"),
      await intruder.call("POST", `/api/agents/${agent.agentId}/switch-report`, {
        new_instance: { instance_id: "i-x" },
      }),
      await intruder.call("GET", `/api/agents/${agent.agentId}`),
    ]
  ) {
    assert.equal(r.status, 404);
  }
  const res = await t.request("POST", `/api/agents/${agent.agentId}/heartbeat`, {
    token: other.token,
    body: { status: "online" },
  });
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  assert.deepEqual(await res.json(), { error: "Agent not found", code: "agent_not_found" });
  const mine = await agent.call<Record<string, unknown>>("GET", `/api/agents/${agent.agentId}`);
  assert.equal(mine.status, 200);
  assert.equal(mine.body!.online, true);
  assert.equal(mine.body!.logical_agent_id, "app-1");
});

Deno.test("T-32: a zombie instance registering gets 200, its agent_id and enabled:false, and nothing is written", async () => {
  const { t, agent } = await setup("trap_t32");
  await agent.register();
  await agent.successor({ instanceId: "i-0eee000000000005" }).register();
  const before = await rows(
    t,
    "SELECT (SELECT COUNT(*) FROM notifications) n, (SELECT COUNT(*) FROM system_events) e, (SELECT updated_at FROM agents) u",
  );
  t.clock.advance(1000);
  const res = await agent.register();
  assert.equal(res.status, 200);
  assert.equal(res.body!.agent_id, agent.agentId);
  assert.equal(res.body!.config.enabled, false);
  assert.deepEqual(
    await rows(
      t,
      "SELECT (SELECT COUNT(*) FROM notifications) n, (SELECT COUNT(*) FROM system_events) e, (SELECT updated_at FROM agents) u",
    ),
    before,
  );
});

Deno.test("T-33: a region that does not match the AZ is accepted as sent", async () => {
  const { t, agent } = await setup("trap_t33", { region: "us-east-1", az: "eu-west-1a" });
  assert.equal((await agent.register()).status, 200);
  const [i] = await rows(t, "SELECT region, az FROM instances");
  assert.deepEqual(i, { region: "us-east-1", az: "eu-west-1a" });
});

Deno.test("T-34: path ids are the server's agent_id (a logical id is 404); legacy decimal command ids work in executed", async () => {
  const { t, client, agent } = await setup("trap_t34");
  await agent.register();
  const byLogical = await agent.call("GET", "/api/agents/app-1/config");
  assert.equal(byLogical.status, 404);
  await t.db.execute(
    "INSERT INTO commands (id, client_id, agent_id, target_mode, status, created_by) VALUES ('4711', ?, ?, 'ondemand', 'delivered', 'legacy_queue')",
    [client.id, agent.agentId],
  );
  assert.equal((await agent.executed("4711")).status, 200);
  const [c] = await rows(
    t,
    "SELECT status, completion_source, message FROM commands WHERE id = '4711'",
  );
  assert.deepEqual(c, {
    status: "completed",
    completion_source: "executed",
    message: "Switch completed",
  });
  assert.equal((await agent.executed("4712")).status, 404);
});

Deno.test("T-35: naive agent timestamps are UTC", async () => {
  const { t, agent } = await setup("trap_t35");
  await agent.register();
  const at = new Date("2026-11-27T10:00:00.123Z");
  await agent.call("POST", `/api/agents/${agent.agentId}/switch-report`, {
    new_instance: { instance_id: "i-0fff000000000006", mode: "ondemand" },
    timing: {
      switch_initiated_at: naiveIso(at),
      new_instance_ready_at: microIso(new Date(at.getTime() + 90_000)),
    },
  });
  const [sw] = await rows(t, "SELECT initiated_at, total_duration_seconds FROM switches");
  assert.deepEqual(sw, { initiated_at: "2026-11-27T10:00:00.123Z", total_duration_seconds: 90 });
});

Deno.test("T-36: a disabled agent still beats (one notification for the change, not one per beat) and polls nothing", async () => {
  const { t, client, agent } = await setup("trap_t36");
  await agent.register();
  await queue(t, { clientId: client.id, agentId: agent.agentId! });
  await t.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [agent.agentId]);
  await agent.config();
  for (let i = 0; i < 4; i++) {
    t.clock.advance(30_000);
    assert.equal((await agent.heartbeat()).status, 200);
  }
  assert.deepEqual((await agent.pendingCommands()).body, []);
  const [a] = await rows(t, "SELECT status, last_heartbeat_at FROM agents WHERE id = ?", [
    agent.agentId,
  ]);
  assert.deepEqual(a, { status: "disabled", last_heartbeat_at: t.clock().toISOString() });
  const n = await rows(
    t,
    "SELECT message FROM notifications WHERE notification_type = 'agent_status'",
  );
  assert.deepEqual(n.map((x) => x.message), [
    `Agent ${agent.opts.hostname ?? "ip-10-0-0-18"} is disabled`,
  ]);
  assert.equal((await rows(t, "SELECT status FROM commands"))[0].status, "pending");
});

Deno.test("T-02: with LOGICAL_AGENT_ID empty (logical id = instance id) the new instance of a switch continues the same agent", async () => {
  const { t, client, agent } = await setup("trap_t02_link", { logicalAgentId: "" });
  const [a, b] = await Promise.all([agent.register(), agent.register()]);
  assert.equal(a.status, 200);
  assert.equal(b.body!.agent_id, a.body!.agent_id, "racing first registrations find one row");
  const q = await queue(t, { clientId: client.id, agentId: agent.agentId! });
  await agent.pendingCommands();
  const fresh = agent.successor({
    instanceId: "i-0new000000000009",
    mode: "spot",
    az: "us-east-1b",
  });
  const reg = await fresh.register();
  assert.equal(reg.body!.agent_id, agent.agentId);
  const [row] = await rows(t, "SELECT logical_agent_id, instance_id FROM agents");
  assert.deepEqual(row, {
    logical_agent_id: "i-0new000000000009",
    instance_id: "i-0new000000000009",
  });
  const [c] = await rows(t, "SELECT status, completion_source FROM commands WHERE id = ?", [q.id]);
  assert.deepEqual(c, { status: "completed", completion_source: "registration" });
  // A restart of the new instance finds the agent by its (new) logical id; the old one is silenced.
  assert.equal((await fresh.register()).body!.agent_id, agent.agentId);
  const old = await agent.register();
  assert.deepEqual([old.body!.agent_id, old.body!.config.enabled], [agent.agentId, false]);
  assert.equal((await rows(t, "SELECT id FROM agents")).length, 1);
});

Deno.test("agent: a switch report naming another client's instances changes none of their rows", async () => {
  const { t, agent } = await setup("agent_report_foreign");
  await agent.register();
  const other = await t.createClient();
  const mallory = AgentSim.forApp(t.app, {
    ...agent.opts,
    token: other.token,
    instanceId: "i-0mal000000000007",
  });
  await mallory.register();
  const before = await rows(t, "SELECT * FROM instance_segments ORDER BY id");
  const victim = await rows(
    t,
    "SELECT instance_status, is_primary, client_id FROM instances WHERE id = ?",
    ["i-0aaa000000000001"],
  );
  const asNew = await mallory.call("POST", `/api/agents/${mallory.agentId}/switch-report`, {
    new_instance: { instance_id: "i-0aaa000000000001", mode: "ondemand" },
  });
  // Instance ids live in each client's namespace: mallory's report is about its own row.
  assert.equal(asNew.status, 200);
  const asOld = await mallory.call("POST", `/api/agents/${mallory.agentId}/switch-report`, {
    old_instance: { instance_id: "i-0aaa000000000001" },
    new_instance: { instance_id: "i-0mal000000000008", mode: "ondemand" },
    timing: { old_instance_terminated_at: microIso(t.clock()) },
  });
  assert.equal(asOld.status, 200);
  assert.deepEqual(
    await rows(
      t,
      "SELECT instance_status, is_primary, client_id FROM instances WHERE id = ? AND client_id <> ?",
      ["i-0aaa000000000001", other.id],
    ),
    victim,
  );
  const after = await rows(t, "SELECT * FROM instance_segments WHERE client_id <> ? ORDER BY id", [
    other.id,
  ]);
  assert.deepEqual(after, before.filter((s) => s.client_id !== other.id));
});
