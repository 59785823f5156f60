import assert from "node:assert/strict";
import { loadPoolRisksForClient } from "../db/risk.ts";
import { ownNoticeRisk } from "../core/risk.ts";
import { testContext, testKeySpec } from "./_support.ts";
import { AgentSim } from "./agent_sim.ts";
import { rows, setPoolRisk, spotAgent, webhookReceiver } from "./_interruption_fixtures.ts";

const OLD = "i-0a1b2c3d4e5f60001";
const REPLICA = "i-0ffee0000000000r1";

Deno.test("interruptions: a notice repeated for 2 minutes → one event, one replica request, one webhook; the replica registers and takes over", async () => {
  const hook = webhookReceiver(1); // the first delivery fails: one retry
  try {
    const ctx = await testContext("interruptions_e2e", {
      env: { TERMINATION_NOTIFICATION_WEBHOOK: hook.url },
    });
    const { sim, agentId, client } = await spotAgent(ctx, { instanceId: OLD });
    const noticeAt = ctx.clock();
    const termination = new Date(noticeAt.getTime() + 120_000);

    const answers: Record<string, unknown>[] = [];
    for (let t = 0; t < 120_000; t += 5000) {
      const r = await sim.terminationImminent(termination);
      assert.equal(r.status, 200);
      answers.push(r.body!);
      ctx.clock.advance(5000);
    }
    assert.equal(answers.length, 24);
    const yes = answers.filter((a) => a.create_emergency_replica === true);
    assert.equal(yes.length, 1);
    assert.equal(answers[0].create_emergency_replica, true);
    assert.equal(answers[0].target_pool_id, "t3.medium.us-east-1b"); // cheapest outside 1a
    for (const a of answers.slice(1)) {
      assert.equal(a.create_emergency_replica, false);
      assert.equal(a.message, "replica already requested");
      assert.equal(a.event_id, answers[0].event_id);
    }

    await ctx.deps.services.background.drain();
    assert.equal(hook.posts.length, 1);
    const post = hook.posts[0] as { text: string };
    assert.match(post.text, /Spot interruption notice: instance i-0a1b2c3d4e5f60001/);
    assert.match(post.text, /Emergency replica requested in t3\.medium\.us-east-1b/);

    const [ev] = await rows<Record<string, unknown>>(
      ctx,
      "SELECT * FROM termination_events WHERE agent_id = ?",
      [agentId],
    );
    assert.equal(ev.event_type, "termination_notice");
    assert.equal(ev.status, "handling");
    assert.equal(ev.pool_id, "t3.medium.us-east-1a");
    assert.equal(ev.signal_count, 24);
    assert.equal(ev.webhook_status, "sent");
    assert.equal(ev.webhook_attempts, 2);
    assert.equal(ev.target_pool_id, "t3.medium.us-east-1b");
    assert.equal(ev.termination_time, termination.toISOString());
    assert.equal(ev.replica_requested_at, noticeAt.toISOString());
    const [agent] = await rows<Record<string, unknown>>(
      ctx,
      "SELECT emergency_replica_count, last_termination_notice_at FROM agents WHERE id = ?",
      [agentId],
    );
    assert.equal(agent.emergency_replica_count, 1);
    assert.equal(agent.last_termination_notice_at, noticeAt.toISOString());
    // One client's notice raises only that client's view of the pool (its engine reads its own
    // notices); the shared score needs notices from two clients (issue 14: no tenant can poison).
    const [pool] = await rows<Record<string, unknown>>(
      ctx,
      "SELECT risk_score, risk_recommendation FROM spot_pools WHERE id = 't3.medium.us-east-1a'",
    );
    assert.equal(pool.risk_score, null);
    const own = await loadPoolRisksForClient(ctx.db, {
      poolIds: ["t3.medium.us-east-1a"],
      clientId: client.id,
      since: new Date(noticeAt.getTime() - 60_000),
    });
    assert.equal(ownNoticeRisk(null, { ownNoticeAt: own[0].ownNoticeAt, now: noticeAt }), 0.9);

    // The agent launched the replica (in its own AZ, T-11) and registers it, twice (retry).
    ctx.clock.set(new Date(noticeAt.getTime() + 95_000));
    const body = {
      instance_id: REPLICA,
      replica_type: "emergency",
      parent_instance_id: OLD,
      pool_id: "t3.medium.us-east-1a",
      status: "ready",
    };
    const rep = await sim.call<Record<string, unknown>>(
      "POST",
      `/api/agents/${agentId}/replicas`,
      body,
    );
    assert.equal(rep.status, 200);
    assert.equal(typeof rep.body!.replica_id, "string");
    assert.equal(rep.body!.replica_type, "automatic-termination");
    const again = await sim.call<Record<string, unknown>>(
      "POST",
      `/api/agents/${agentId}/replicas`,
      body,
    );
    assert.equal(again.status, 200);
    assert.equal(again.body!.replica_id, rep.body!.replica_id);
    assert.equal(again.body!.created, false);

    // The replica boots from the AMI and its agent registers under the same logical agent.
    ctx.clock.set(new Date(noticeAt.getTime() + 110_000));
    const successor = sim.successor({ instanceId: REPLICA });
    const reg = await successor.register();
    assert.equal(reg.status, 200);
    assert.equal(reg.body!.agent_id, agentId);
    assert.equal(reg.body!.config.enabled, true);

    const [done] = await rows<Record<string, unknown>>(
      ctx,
      "SELECT status, resolved_at, new_instance_id, emergency_replica_id, replica_registered_at, replica_ready_at, promoted_at, answered_at FROM termination_events WHERE agent_id = ?",
      [agentId],
    );
    assert.equal(done.status, "resolved");
    assert.equal(done.new_instance_id, REPLICA);
    assert.equal(done.emergency_replica_id, rep.body!.replica_id);
    assert.equal(done.answered_at, noticeAt.toISOString());
    assert.equal(done.replica_registered_at, new Date(noticeAt.getTime() + 95_000).toISOString());
    assert.equal(done.replica_ready_at, new Date(noticeAt.getTime() + 95_000).toISOString());
    assert.equal(done.promoted_at, new Date(noticeAt.getTime() + 110_000).toISOString());
    const inst = await rows<Record<string, unknown>>(
      ctx,
      "SELECT id, instance_status, is_primary, agent_id FROM instances ORDER BY id",
    );
    assert.deepEqual(inst.map((i) => [i.id, i.instance_status, i.is_primary, i.agent_id]), [
      [OLD, "terminated", 0, agentId],
      [REPLICA, "running_primary", 1, agentId],
    ]);
    const [replica] = await rows<Record<string, unknown>>(
      ctx,
      "SELECT status, is_active, promoted_at FROM replica_instances WHERE id = ?",
      [rep.body!.replica_id],
    );
    assert.equal(replica.status, "promoted");
    assert.equal(replica.is_active, 0);

    const stats = await ctx.request("GET", "/api/admin/interruptions/stats", {
      token: ctx.adminToken,
    });
    assert.equal(stats.status, 200);
    const s = await stats.json();
    assert.equal(s.notices, 1);
    assert.equal(s.resolved, 1);
    assert.equal(s.replica_requested, 1);
    assert.deepEqual(s.notice_to_ready_seconds, { count: 1, p50: 95, p95: 95 });
    assert.deepEqual(s.notice_to_promoted_seconds, { count: 1, p50: 110, p95: 110 });
    assert.deepEqual(s.without_replica, { total: 0, reasons: {} });
  } finally {
    await hook.close();
  }
});

Deno.test("interruptions: no replica when auto-create is off or the agent is disabled; stats count why", async () => {
  const keys = testKeySpec();
  const ctx = await testContext("interruptions_gate", {
    env: { TERMINATION_REPLICA_AUTO_CREATE: "false", TOKEN_SIGNING_KEYS: keys },
  });
  // A second server instance on the same database with auto-create on (the default).
  const on = await testContext("interruptions_gate_on", {
    db: ctx.db,
    clock: ctx.clock,
    env: { TOKEN_SIGNING_KEYS: keys },
  });
  const { sim, agentId, client } = await spotAgent(ctx);
  const term = new Date(ctx.clock().getTime() + 120_000);
  const r = await sim.terminationImminent(term);
  assert.equal(r.status, 200);
  assert.equal(r.body!.create_emergency_replica, false);
  assert.equal(r.body!.no_replica_reason, "auto_create_disabled");
  assert.equal(r.body!.target_pool_id, null);

  const other = await spotAgent(on, {
    instanceId: "i-0a1b2c3d4e5f60002",
    logical: "web-2",
    client,
  });
  await ctx.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [other.agentId]);
  const d = await other.sim.terminationImminent(term);
  assert.equal(d.body!.create_emergency_replica, false);
  assert.equal(d.body!.no_replica_reason, "agent_disabled");
  // Without termination_time (MISSING's shape) calls of the next minutes join the same event.
  const noTime = { instance_id: "i-0a1b2c3d4e5f60002", action: "terminate" };
  const a = await other.sim.call<Record<string, unknown>>(
    "POST",
    `/api/agents/${other.agentId}/termination-imminent`,
    noTime,
  );
  ctx.clock.advance(90_000);
  const b = await other.sim.call<Record<string, unknown>>(
    "POST",
    `/api/agents/${other.agentId}/termination-imminent`,
    noTime,
  );
  assert.equal(a.body!.event_id, d.body!.event_id);
  assert.equal(b.body!.event_id, d.body!.event_id);
  assert.equal(b.body!.message, "notice already recorded");
  // Much later (a stop/hibernate notice may come again) a call without a time is a new notice.
  ctx.clock.advance(20 * 60_000);
  const c = await other.sim.call<Record<string, unknown>>(
    "POST",
    `/api/agents/${other.agentId}/termination-imminent`,
    noTime,
  );
  assert.notEqual(c.body!.event_id, d.body!.event_id);

  const s = await (await ctx.request("GET", "/api/admin/interruptions/stats", {
    token: ctx.adminToken,
  })).json();
  assert.equal(s.notices, 3);
  assert.deepEqual(s.without_replica, {
    total: 3,
    reasons: { auto_create_disabled: 1, agent_disabled: 2 },
  });
  const per = await rows(ctx, "SELECT status FROM termination_events WHERE agent_id = ?", [
    agentId,
  ]);
  assert.deepEqual(per, [{ status: "failed" }]);
  // Another client's token cannot report for this agent; the stats need the admin credential.
  const stranger = await ctx.createClient();
  const x = await ctx.request("POST", `/api/agents/${agentId}/termination-imminent`, {
    token: stranger.token,
    body: { instance_id: "i-0a1b2c3d4e5f60001", termination_time: term.toISOString() },
  });
  assert.equal(x.status, 404);
  await x.body?.cancel();
  const y = await ctx.request("GET", "/api/admin/interruptions/stats", { token: client.token });
  assert.equal(y.status, 403);
  await y.body?.cancel();
  const z = await ctx.request("POST", `/api/agents/${agentId}/termination-imminent`, {
    body: { instance_id: "i-0a1b2c3d4e5f60001" },
  });
  assert.equal(z.status, 401);
  await z.body?.cancel();
});

Deno.test("interruptions: a sibling pool noticed in the same burst is never the target", async () => {
  const ctx = await testContext("interruptions_corr");
  const first = await spotAgent(ctx);
  // Another agent of the same client sits in us-east-1b and got its notice a minute earlier.
  const b = AgentSim.forApp(ctx.app, {
    token: first.client.token,
    instanceId: "i-0b0000000000000b1",
    instanceType: "t3.medium",
    az: "us-east-1b",
    mode: "spot",
    logicalAgentId: "web-b",
    now: ctx.clock,
  });
  await b.register();
  const term = new Date(ctx.clock().getTime() + 120_000);
  const rb = await b.terminationImminent(term);
  assert.equal(rb.body!.target_pool_id, "t3.medium.us-east-1a");
  ctx.clock.advance(60_000);
  const ra = await first.sim.terminationImminent(term);
  assert.equal(ra.body!.create_emergency_replica, true);
  // 1b is excluded (correlated, and its risk was raised to avoid): 1c is next by price.
  assert.equal(ra.body!.target_pool_id, "t3.medium.us-east-1c");
});

Deno.test("interruptions: rebalance in a risky pool answers switch and queues one command; in a safe pool stay", async () => {
  const ctx = await testContext("interruptions_rebalance");
  const { sim, agentId } = await spotAgent(ctx);
  await setPoolRisk(ctx, "t3.medium.us-east-1a", 0.1, "safe");
  await setPoolRisk(ctx, "t3.medium.us-east-1b", 0.05, "safe");
  await setPoolRisk(ctx, "t3.medium.us-east-1c", 0.2, "safe");
  await setPoolRisk(ctx, "t3.medium.us-east-1d", 0.8, "avoid");

  const stay = await sim.rebalanceRecommendation();
  assert.equal(stay.status, 200);
  assert.equal(stay.body!.action, "stay");
  assert.equal(stay.body!.risk_score, 0.1);
  assert.equal(stay.body!.target_pool_id, null);
  assert.equal(stay.body!.command_status, "none");

  // The pool turns risky within the same rebalance window.
  await setPoolRisk(ctx, "t3.medium.us-east-1a", 0.82, "avoid");
  ctx.clock.advance(30_000);
  const sw = await sim.rebalanceRecommendation();
  assert.equal(sw.body!.action, "switch");
  assert.equal(sw.body!.target_mode, "spot");
  assert.equal(sw.body!.target_pool_id, "t3.medium.us-east-1b");
  assert.equal(typeof sw.body!.target_pool_name, "string");
  assert.equal(sw.body!.risk_score, 0.82);
  assert.equal(sw.body!.command_status, "queued");
  assert.equal(sw.body!.event_id, stay.body!.event_id);

  for (let i = 0; i < 3; i++) {
    ctx.clock.advance(30_000);
    const again = await sim.rebalanceRecommendation();
    assert.equal(again.body!.action, "switch");
    assert.equal(again.body!.command_status, "already_queued");
    assert.equal(again.body!.command_id, sw.body!.command_id);
  }
  const cmds = await sim.pendingCommands();
  assert.equal(cmds.body!.length, 1);
  assert.equal(cmds.body![0].id, sw.body!.command_id);
  assert.equal(cmds.body![0].target_pool_id, "t3.medium.us-east-1b");
  assert.equal(cmds.body![0].priority, 50);
  const all = await rows(ctx, "SELECT created_by, status FROM commands WHERE agent_id = ?", [
    agentId,
  ]);
  assert.deepEqual(all, [{ created_by: "rebalance", status: "delivered" }]);
  const ev = await rows<Record<string, unknown>>(
    ctx,
    "SELECT event_type, signal_count, command_id, status FROM termination_events WHERE agent_id = ?",
    [agentId],
  );
  assert.deepEqual(ev, [{
    event_type: "rebalance_recommendation",
    signal_count: 5,
    command_id: sw.body!.command_id,
    status: "handling",
  }]);
  const [a] = await rows<Record<string, unknown>>(
    ctx,
    "SELECT last_rebalance_recommendation_at FROM agents WHERE id = ?",
    [agentId],
  );
  assert.equal(a.last_rebalance_recommendation_at, ctx.clock().toISOString());

  // A window more than 10 minutes later is a new row; the delivered command is not replaced.
  ctx.clock.advance(15 * 60_000);
  const later = await sim.rebalanceRecommendation();
  assert.notEqual(later.body!.event_id, stay.body!.event_id);
  assert.equal(later.body!.command_status, "in_flight");
});

Deno.test("interruptions: rebalance switch is advice only when auto-switch is off", async () => {
  const ctx = await testContext("interruptions_rebalance_manual");
  const { sim, agentId } = await spotAgent(ctx);
  await ctx.db.execute(
    "UPDATE agents SET auto_switch_enabled = 0, manual_replica_enabled = 1 WHERE id = ?",
    [agentId],
  );
  await setPoolRisk(ctx, "t3.medium.us-east-1a", 0.95, "avoid");
  await setPoolRisk(ctx, "t3.medium.us-east-1c", 0.1, "safe");
  await setPoolRisk(ctx, "t3.medium.us-east-1b", 0.6, "caution");
  await setPoolRisk(ctx, "t3.medium.us-east-1d", 0.6, "caution");
  const r = await sim.rebalanceRecommendation();
  assert.equal(r.body!.action, "switch");
  assert.equal(r.body!.target_pool_id, "t3.medium.us-east-1c");
  assert.equal(r.body!.command_status, "not_configured");
  assert.deepEqual(await rows(ctx, "SELECT id FROM commands"), []);
});

Deno.test("interruptions: create-emergency-replica records the request and answers a pool, without a replica row", async () => {
  const ctx = await testContext("interruptions_e11");
  const { sim, agentId } = await spotAgent(ctx);
  const r = await sim.call<Record<string, unknown>>(
    "POST",
    `/api/agents/${agentId}/create-emergency-replica`,
    { signal_type: "rebalance-recommendation", instance_id: OLD, exclude_zones: ["us-east-1b"] },
  );
  assert.equal(r.status, 200);
  assert.equal(r.body!.replica_id, null);
  assert.equal(r.body!.target_pool_id, "t3.medium.us-east-1c");
  assert.equal(r.body!.urgency, "high");
  assert.equal(r.body!.already_requested, false);
  const again = await sim.call<Record<string, unknown>>(
    "POST",
    `/api/agents/${agentId}/create-emergency-replica`,
    { signal_type: "rebalance-recommendation", instance_id: OLD },
  );
  assert.equal(again.body!.already_requested, true);
  assert.equal(again.body!.event_id, r.body!.event_id);
  assert.deepEqual(await rows(ctx, "SELECT id FROM replica_instances"), []);
  const [a] = await rows(ctx, "SELECT emergency_replica_count AS n FROM agents WHERE id = ?", [
    agentId,
  ]);
  assert.deepEqual(a, { n: 1 });
  // The replica the agent then launches is recorded as a rebalance replica.
  const rep = await sim.call<Record<string, unknown>>("POST", `/api/agents/${agentId}/replicas`, {
    instance_id: REPLICA,
    replica_type: "emergency",
    parent_instance_id: OLD,
    pool_id: "t3.medium.us-east-1c",
    status: "launching",
  });
  assert.equal(rep.status, 200);
  assert.equal(rep.body!.replica_type, "automatic-rebalance");
});

Deno.test("interruptions: with the installer default (logical id = instance id) the emergency replica continues the agent", async () => {
  const ctx = await testContext("interruptions_default_logical");
  // LOGICAL_AGENT_ID left empty: the agent uses its instance id as logical id (CONTRACT T-02).
  const { sim, agentId } = await spotAgent(ctx, { instanceId: OLD, logical: "" });
  const first = await sim.terminationImminent(new Date(ctx.clock().getTime() + 120_000));
  assert.equal(first.body!.create_emergency_replica, true);
  const rep = await sim.call<Record<string, unknown>>("POST", `/api/agents/${agentId}/replicas`, {
    instance_id: REPLICA,
    replica_type: "emergency",
    parent_instance_id: OLD,
    pool_id: "t3.medium.us-east-1a",
    status: "ready",
  });
  assert.equal(rep.status, 200);
  ctx.clock.advance(30_000);
  // The replica boots from the AMI whose env has no LOGICAL_AGENT_ID: it sends its own id.
  const reg = await sim.successor({ instanceId: REPLICA }).register();
  assert.equal(reg.status, 200);
  assert.equal(reg.body!.agent_id, agentId);
  const agents = await rows<{ n: number }>(ctx, "SELECT COUNT(*) AS n FROM agents");
  assert.equal(agents[0]!.n, 1);
  const [ev] = await rows<Record<string, unknown>>(
    ctx,
    "SELECT status, new_instance_id FROM termination_events WHERE agent_id = ?",
    [agentId],
  );
  assert.equal(ev!.status, "resolved");
  assert.equal(ev!.new_instance_id, REPLICA);
});
