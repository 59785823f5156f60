/**
 * The whole v4.0.0 lifecycle through app.request with the simulator, on a real database:
 * register -> heartbeats -> pricing -> a command -> delivered once -> the new instance registers
 * -> command completed, never re-delivered -> the old agent's switch report merges -> the old
 * instance's shutdown beat leaves the agent online; retries leave the same rows.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { AgentSim } from "./agent_sim.ts";
import type { SimCommand } from "./agent_sim.ts";
import { queueSwitchCommand } from "../db/commands.ts";
import { expireCommandsJob } from "../jobs/expire_commands.ts";

const POOL_B = "t3.medium.us-east-1b";

async function rows(t: TestContext, sql: string, args: unknown[] = []) {
  return (await t.db.execute<Record<string, unknown>>(sql, args)).rows;
}

/** Everything a switch touches, minus bookkeeping timestamps, for "retries change nothing". */
async function snapshot(t: TestContext, agentId: string) {
  return {
    agent: await rows(
      t,
      "SELECT instance_id, current_mode, current_pool_id, status, pool_since, last_switch_at FROM agents WHERE id = ?",
      [agentId],
    ),
    commands: await rows(
      t,
      "SELECT id, status, success, message, completion_source, delivered_at, completed_at, executed_at FROM commands WHERE agent_id = ? ORDER BY id",
      [agentId],
    ),
    switches: await rows(
      t,
      "SELECT id, command_id, old_instance_id, new_instance_id, savings_impact, downtime_seconds, total_duration_seconds, initiated_at, old_terminated_at, source, reported_at FROM switches WHERE agent_id = ?",
      [agentId],
    ),
    instances: await rows(
      t,
      "SELECT id, instance_status, is_primary, is_active, current_mode, current_pool_id, terminated_at FROM instances WHERE agent_id = ? ORDER BY id",
      [agentId],
    ),
    segments: await rows(
      t,
      "SELECT instance_id, mode, pool_id, started_at, superseded_at, ended_at, end_reason FROM instance_segments WHERE agent_id = ? ORDER BY id",
      [agentId],
    ),
    notifications: await rows(
      t,
      "SELECT message FROM notifications WHERE agent_id = ? ORDER BY created_at, message",
      [agentId],
    ),
  };
}

async function setup(suite: string) {
  const t = await testContext(suite);
  const client = await t.createClient();
  const old = AgentSim.forApp(t.app, {
    token: client.token,
    logicalAgentId: "web-1",
    instanceId: "i-0old000000000001",
    instanceType: "t3.medium",
    az: "us-east-1a",
    mode: "ondemand",
    now: t.clock,
  });
  return { t, client, old };
}

async function queue(t: TestContext, clientId: string, agentId: string): Promise<string> {
  const q = await queueSwitchCommand(t.db, {
    clientId,
    agentId,
    targetMode: "spot",
    targetPoolId: POOL_B,
    priority: 75,
    createdBy: "manual",
    triggerType: "manual",
    now: t.clock(),
    pendingTtlSeconds: t.config.COMMAND_PENDING_TTL,
  });
  return q.id;
}

Deno.test("agent lifecycle: register, command delivered once, new instance completes it, report merges, shutdown beat ignored", async () => {
  const { t, client, old } = await setup("agent_lifecycle");
  const reg = await old.register();
  assert.equal(reg.status, 200);
  assert.equal(typeof reg.body!.agent_id, "string");
  assert.equal(reg.body!.config.enabled, true);
  const agentId = old.agentId!;
  assert.equal((await old.heartbeat()).status, 200);
  assert.equal((await old.config()).body!.enabled, true);
  const pricing = await old.pricingReport({
    onDemand: 0.0416,
    pools: [
      {
        pool_id: "t3.medium.us-east-1a",
        instance_type: "t3.medium",
        az: "us-east-1a",
        price: 0.0150,
      },
      { pool_id: POOL_B, instance_type: "t3.medium", az: "us-east-1b", price: 0.0125 },
    ],
  });
  assert.equal(pricing.status, 200);
  assert.deepEqual((await old.pendingCommands()).body, []);

  const commandId = await queue(t, client.id, agentId);
  t.clock.advance(15_000);
  const polled = await old.pendingCommands();
  assert.equal(polled.status, 200);
  assert.equal(polled.body!.length, 1);
  const cmd: SimCommand = polled.body![0];
  assert.equal(cmd.id, commandId);
  assert.equal(cmd.target_mode, "spot");
  assert.equal(cmd.target_pool_id, POOL_B);
  assert.deepEqual(
    (await old.pendingCommands()).body,
    [],
    "a delivered command is not returned again",
  );
  const [delivered] = await rows(
    t,
    "SELECT status, delivered_instance_id FROM commands WHERE id = ?",
    [commandId],
  );
  assert.deepEqual(delivered, { status: "delivered", delivered_instance_id: "i-0old000000000001" });

  // The switch: AMI, launch; the new instance boots from the AMI and registers first (T-06).
  const initiated = t.clock();
  t.clock.advance(8 * 60_000);
  const fresh = old.successor({ instanceId: "i-0new000000000002", mode: "spot", az: "us-east-1b" });
  const reg2 = await fresh.register();
  assert.equal(reg2.status, 200);
  assert.equal(reg2.body!.agent_id, agentId, "same logical agent, same agent_id");
  assert.equal(reg2.body!.config.enabled, true);
  const [closed] = await rows(t, "SELECT status, completion_source FROM commands WHERE id = ?", [
    commandId,
  ]);
  assert.deepEqual(closed, { status: "completed", completion_source: "registration" });
  assert.deepEqual(
    (await fresh.pendingCommands()).body,
    [],
    "never re-delivered to the new instance",
  );
  assert.deepEqual((await old.pendingCommands()).body, [], "nor to the old one");
  const [agentRow] = await rows(
    t,
    "SELECT instance_id, current_mode, current_pool_id, status FROM agents WHERE id = ?",
    [agentId],
  );
  assert.deepEqual(agentRow, {
    instance_id: "i-0new000000000002",
    current_mode: "spot",
    current_pool_id: POOL_B,
    status: "online",
  });

  // Both instances beat against the agent row; the old one touches only its own instance row.
  t.clock.advance(30_000);
  assert.equal((await old.heartbeat()).status, 200);
  assert.equal((await fresh.heartbeat()).status, 200);
  const [stillNew] = await rows(t, "SELECT instance_id FROM agents WHERE id = ?", [agentId]);
  assert.equal(stillNew.instance_id, "i-0new000000000002");

  // The old agent terminates its instance, then reports the switch and `executed`.
  const ready = new Date(initiated.getTime() + 7 * 60_000);
  const terminated = new Date(t.clock().getTime() + 5 * 60_000);
  t.clock.advance(6 * 60_000);
  const report = () =>
    old.switchReport({
      command: cmd,
      newInstance: fresh.opts,
      prices: { on_demand: 0.0416, old_spot: null, new_spot: 0.0125 },
      timing: {
        initiated,
        amiCreated: new Date(initiated.getTime() + 4 * 60_000),
        launched: new Date(initiated.getTime() + 5 * 60_000),
        ready,
        trafficSwitched: new Date(ready.getTime() + 2000),
        oldTerminated: terminated,
      },
      snapshot: { ami_id: "ami-0switch", ami_name: "spot-optimizer-switch" },
    });
  assert.equal((await report()).status, 200);
  assert.equal((await old.executed(commandId)).status, 200);
  assert.equal((await old.shutdownBeat()).status, 200);

  const s1 = await snapshot(t, agentId);
  assert.equal(s1.switches.length, 1, "registration and report write one switch row");
  const sw = s1.switches[0];
  assert.equal(sw.command_id, commandId);
  assert.equal(sw.old_instance_id, "i-0old000000000001");
  assert.equal(sw.source, "registration");
  assert.ok(sw.reported_at);
  assert.equal(sw.savings_impact, 0.0291);
  assert.equal(sw.total_duration_seconds, 420);
  assert.equal(sw.initiated_at, initiated.toISOString(), "report timing wins over delivered_at");
  assert.equal(sw.old_terminated_at, terminated.toISOString());
  assert.deepEqual(s1.commands[0].completion_source, "registration");
  assert.deepEqual(s1.agent[0].status, "online", "the old instance's shutdown beat is ignored");
  assert.deepEqual(
    s1.instances.map((i) => [i.id, i.instance_status, i.is_primary, i.is_active]),
    [["i-0new000000000002", "running_primary", 1, 1], ["i-0old000000000001", "terminated", 0, 0]],
  );
  const oldSeg = s1.segments.find((s) => s.instance_id === "i-0old000000000001")!;
  assert.equal(oldSeg.ended_at, terminated.toISOString());
  assert.equal(oldSeg.end_reason, "terminated");
  assert.ok(oldSeg.superseded_at);
  const newSegs = s1.segments.filter((s) => s.instance_id === "i-0new000000000002");
  assert.equal(newSegs.length, 1);
  assert.deepEqual([newSegs[0].mode, newSegs[0].pool_id, newSegs[0].ended_at], [
    "spot",
    POOL_B,
    null,
  ]);
  assert.equal(
    s1.notifications.filter((n) => String(n.message).startsWith("Instance switched")).length,
    1,
  );
  assert.ok(!s1.notifications.some((n) => String(n.message).includes("offline")));

  // Retries of every kind leave the same rows as one.
  assert.equal((await report()).status, 200);
  assert.equal((await old.executed(commandId)).status, 200);
  assert.equal((await old.executed(commandId, false)).status, 200);
  assert.equal((await fresh.register()).status, 200);
  assert.equal(
    (await old.register()).body!.config.enabled,
    false,
    "the retired instance stays quiet",
  );
  assert.equal((await old.shutdownBeat()).status, 200);
  assert.equal((await fresh.heartbeat()).status, 200);
  assert.deepEqual(await snapshot(t, agentId), s1);
});

Deno.test("agent lifecycle: a switch report before the new registration writes the same single switch", async () => {
  const { t, client, old } = await setup("agent_report_first");
  await old.register();
  const agentId = old.agentId!;
  const commandId = await queue(t, client.id, agentId);
  const cmd = (await old.pendingCommands()).body![0];
  const initiated = t.clock();
  t.clock.advance(10 * 60_000);
  const fresh = old.successor({ instanceId: "i-0new000000000002", mode: "spot", az: "us-east-1b" });
  const res = await old.switchReport({
    command: cmd,
    newInstance: fresh.opts,
    prices: { on_demand: 0.0416, new_spot: 0.0125 },
    timing: {
      initiated,
      amiCreated: new Date(initiated.getTime() + 60_000),
      launched: new Date(initiated.getTime() + 120_000),
      ready: new Date(initiated.getTime() + 180_000),
      trafficSwitched: new Date(initiated.getTime() + 182_000),
      oldTerminated: null,
    },
  });
  assert.equal(res.status, 200);
  const [c1] = await rows(t, "SELECT status, completion_source FROM commands WHERE id = ?", [
    commandId,
  ]);
  assert.deepEqual(c1, { status: "completed", completion_source: "switch_report" });
  const [oldInst] = await rows(
    t,
    "SELECT instance_status, is_primary FROM instances WHERE id = ?",
    ["i-0old000000000001"],
  );
  assert.deepEqual(oldInst, { instance_status: "zombie", is_primary: 0 });

  const reg = await fresh.register();
  assert.equal(reg.body!.agent_id, agentId);
  assert.equal(reg.body!.config.enabled, true);
  const s = await snapshot(t, agentId);
  assert.equal(s.switches.length, 1);
  assert.equal(s.switches[0].source, "switch_report");
  assert.equal(s.switches[0].downtime_seconds, 0, "the old instance was still running");
  assert.equal(
    s.notifications.filter((n) => String(n.message).startsWith("Instance switched")).length,
    1,
  );
  assert.equal(s.agent[0].instance_id, "i-0new000000000002");
  assert.deepEqual((await fresh.pendingCommands()).body, []);
  // The old agent's shutdown beat (no instance id) right after the takeover: ignored.
  await old.shutdownBeat();
  assert.equal((await snapshot(t, agentId)).agent[0].status, "online");
});

Deno.test("agent lifecycle: database round trips on the hot paths (heartbeat 1, idle poll 1, config 1)", async () => {
  const { t, old } = await setup("agent_round_trips");
  await old.register();
  await old.heartbeat(); // warm-up: the auth cache now holds the token
  const trips = async (fn: () => Promise<unknown>) => {
    const before = t.deps.db.roundTrips();
    await fn();
    return t.deps.db.roundTrips() - before;
  };
  assert.equal(await trips(() => old.heartbeat()), 1);
  assert.equal(await trips(() => old.pendingCommands()), 1);
  assert.equal(await trips(() => old.config()), 1);
});

Deno.test("agent lifecycle: the expire job ends the overlap of a switched-away instance that fell silent", async () => {
  const { t, old } = await setup("agent_expire_job");
  await old.register();
  t.clock.advance(60_000);
  await old.successor({ instanceId: "i-0new000000000002" }).register();
  t.clock.advance(30_000);
  await old.heartbeat(); // the old instance still runs for a while after the takeover
  const lastBeat = t.clock();
  t.clock.advance((t.config.AGENT_HEARTBEAT_TIMEOUT + 60) * 1000);
  const jobDeps = {
    db: t.db,
    config: t.config,
    clock: t.clock,
    log: t.deps.log,
    instanceName: "test",
  };
  const result = await expireCommandsJob.run(jobDeps, t.clock());
  assert.deepEqual(result.summary, { expired: 0, segments_closed: 1 });
  const [seg] = await rows(
    t,
    "SELECT ended_at, end_reason FROM instance_segments WHERE instance_id = ?",
    ["i-0old000000000001"],
  );
  assert.deepEqual(seg, { ended_at: lastBeat.toISOString(), end_reason: "stale" });
  const again = await expireCommandsJob.run(jobDeps, t.clock());
  assert.equal(again.rowsTouched, 0);
});
