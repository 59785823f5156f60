/**
 * The decision engine wired to pricing reports, through the API with the agent's v4.0.0 payloads:
 * one command for a worthwhile move and none for the next reports, nothing on stale prices, risk
 * exits as ML urgent, history rows only on change (plus an hourly sample), the statement budget.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { evaluateAgent } from "../services/decision_evaluation.ts";
import { AgentSim, type SimPool } from "./agent_sim.ts";
import { queueSwitchCommand } from "../db/commands.ts";
import { Conflict } from "../core/errors.ts";

const t: TestContext = await testContext("engine_wiring");
const MIN = 60_000;
const HOUR = 60 * MIN;
const AZS = ["a", "b", "c", "d", "e", "f"].map((l) => `us-east-1${l}`);
const SPOT = [0.040, 0.038, 0.034, 0.041, 0.036, 0.039];
const OD = 0.096;

interface Agent {
  token: string;
  clientId: string;
  agentId: string;
  instanceId: string;
  type: string;
}

async function send(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t.request(method, path, { token, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** Registers an agent (E01) of a type of its own (pools are global), at the current clock. */
async function register(type: string, mode: "spot" | "ondemand" = "ondemand"): Promise<Agent> {
  const client = await t.createClient();
  const instanceId = `i-0${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const r = await send("POST", "/api/agents/register", client.token, {
    client_token: client.token,
    logical_agent_id: `logical-${instanceId}`,
    instance_id: instanceId,
    instance_type: type,
    region: "us-east-1",
    az: "us-east-1a",
    ami_id: "ami-0123456789abcdef0",
    mode,
    hostname: `host-${type}`,
    agent_version: "4.0.0",
    private_ip: "10.0.0.5",
    public_ip: null,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return {
    token: client.token,
    clientId: client.id,
    agentId: String(r.body.agent_id),
    instanceId,
    type,
  };
}

/** Sends the agent's v4.0.0 pricing report (E06) and waits for the engine to finish. */
async function report(
  a: Agent,
  opts: { mode?: "spot" | "ondemand"; pool?: string; ageMin?: number; spot?: number[] } = {},
): Promise<void> {
  const mode = opts.mode ?? "ondemand";
  const prices = opts.spot ?? SPOT;
  const collected = new Date(t.clock().getTime() - (opts.ageMin ?? 0) * MIN);
  const pool = mode === "spot" ? `${a.type}.${opts.pool ?? AZS[0]}` : null;
  const r = await send("POST", `/api/agents/${a.agentId}/pricing-report`, a.token, {
    instance: {
      instance_id: a.instanceId,
      instance_type: a.type,
      region: "us-east-1",
      az: opts.pool ?? AZS[0],
      mode,
      pool_id: pool,
    },
    pricing: {
      on_demand_price: OD,
      current_spot_price: mode === "spot" ? prices[AZS.indexOf(opts.pool ?? AZS[0])] : null,
      cheapest_pool: mode === "spot" ? { pool_id: `${a.type}.${AZS[2]}`, price: prices[2] } : null,
      spot_pools: AZS.map((az, i) => ({
        pool_id: `${a.type}.${az}`,
        instance_type: a.type,
        az,
        price: prices[i],
      })),
      collected_at: collected.toISOString().slice(0, -1), // naive UTC, as the agent sends it
    },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await t.deps.services.background.drain();
}

/** What the pool risk job leaves on spot_pools (test setup). */
async function setRisk(type: string, risk: number, az?: string): Promise<void> {
  await t.db.execute(
    `UPDATE spot_pools SET risk_score = ?, risk_analyzed_at = ? WHERE instance_type = ?${
      az ? " AND az = ?" : ""
    }`,
    az ? [risk, t.clock(), type, az] : [risk, t.clock(), type],
  );
}

interface CommandRow {
  id: string;
  status: string;
  target_mode: string;
  target_pool_id: string | null;
  priority: number;
  created_by: string;
  trigger_type: string;
}

async function commands(a: { agentId: string }): Promise<CommandRow[]> {
  return (await t.db.execute<CommandRow>(
    "SELECT id, status, target_mode, target_pool_id, priority, created_by, trigger_type FROM commands WHERE agent_id = ? ORDER BY created_at",
    [a.agentId],
  )).rows;
}

interface HistoryRow {
  recommended_action: string;
  reason_code: string;
  recommended_pool_id: string | null;
  command_id: string | null;
  record_reason: string;
  inputs: unknown;
}

async function history(a: { agentId: string }): Promise<HistoryRow[]> {
  return (await t.db.execute<HistoryRow>(
    "SELECT recommended_action, reason_code, recommended_pool_id, command_id, record_reason, inputs FROM agent_decision_history WHERE agent_id = ? ORDER BY id",
    [a.agentId],
  )).rows;
}

Deno.test("engine: a report with stale prices queues nothing", async () => {
  const a = await register("c5.large");
  t.clock.advance(3 * HOUR);
  await report(a, { ageMin: 18 });
  await setRisk("c5.large", 0.1);
  t.clock.advance(5 * MIN);
  await report(a, { ageMin: 18 });
  assert.deepEqual(await commands(a), []);
  const h = await history(a);
  assert.equal(h.at(-1)?.reason_code, "stale_prices");
  assert.equal(h.at(-1)?.recommended_action, "stay");
  // The same prices, fresh, would move it: staleness alone held it back.
  t.clock.advance(5 * MIN);
  await report(a);
  assert.equal((await commands(a)).length, 1);
});

Deno.test("engine: history rows only on change, on a queued command, and hourly as a sample", async () => {
  const a = await register("r5.large");
  t.clock.advance(3 * HOUR);
  await setRisk("r5.large", 0.1); // no pools yet: nothing changes
  await report(a); // target_risk_unknown (pools created by this report)
  await report(a); // same decision (retried report): no row
  t.clock.advance(5 * MIN);
  await report(a); // still the same: no row
  assert.equal((await history(a)).length, 1);

  await setRisk("r5.large", 0.1);
  t.clock.advance(5 * MIN);
  await report(a); // switch_to_spot + command
  for (let i = 0; i < 6; i++) {
    t.clock.advance(5 * MIN);
    await report(a); // same decision, command open: no rows
  }
  let h = await history(a);
  assert.deepEqual(h.map((r) => [r.recommended_action, r.reason_code, r.record_reason]), [
    ["stay", "target_risk_unknown", "changed"],
    ["switch_to_spot", "spot_cheaper", "command"],
  ]);
  const cmd = (await commands(a))[0];
  assert.equal(h[1].command_id, cmd.id);
  assert.equal(h[1].recommended_pool_id, "r5.large.us-east-1c");
  const inputs = typeof h[1].inputs === "string" ? JSON.parse(h[1].inputs) : h[1].inputs;
  assert.equal(inputs.source, "pricing_report");
  assert.equal(inputs.input.onDemand.price, OD);
  assert.equal(inputs.input.pools.length, 6);

  t.clock.advance(HOUR);
  await report(a); // unchanged for an hour: one sample
  t.clock.advance(5 * MIN);
  await report(a);
  h = await history(a);
  assert.equal(h.length, 3);
  assert.equal(h[2].record_reason, "sample");

  t.clock.advance(5 * MIN);
  await report(a, { spot: SPOT.map(() => 0.09) }); // spot no longer pays: a change
  h = await history(a);
  assert.equal(h.length, 4);
  assert.equal(h[3].recommended_action, "stay");
  assert.equal(h[3].record_reason, "changed");
  assert.equal((await commands(a)).length, 1);
});

Deno.test("engine: a dangerous current pool is left at once as ML urgent (priority 50)", async () => {
  const a = await register("m6i.large", "spot"); // on spot in us-east-1a, just registered
  await report(a, { mode: "spot" });
  await setRisk("m6i.large", 0.1);
  await setRisk("m6i.large", 0.85, "us-east-1a");
  t.clock.advance(5 * MIN); // well inside the dwell time
  // at $0.090 next to on-demand $0.096, risk 0.85 adds −ln(0.15)/24 × $0.35 = $0.028/h: leaving pays
  await report(a, { mode: "spot", spot: [0.09, ...SPOT.slice(1)] });
  const cmds = await commands(a);
  assert.equal(cmds.length, 1);
  assert.equal(cmds[0].target_mode, "ondemand");
  assert.equal(cmds[0].target_pool_id, null);
  assert.equal(cmds[0].priority, 50);
  assert.equal((await history(a)).at(-1)?.reason_code, "risk_exit");
});

Deno.test("engine: a dangerous pool far below on-demand is not left for on-demand when staying pays", async () => {
  const a = await register("m7i.large", "spot");
  await report(a, { mode: "spot" });
  await setRisk("m7i.large", 0.1);
  await setRisk("m7i.large", 0.85, "us-east-1a");
  t.clock.advance(5 * MIN);
  // $0.040 + $0.028/h of expected loss is still far below on-demand $0.096
  await report(a, { mode: "spot" });
  assert.deepEqual(await commands(a), []);
  const last = (await history(a)).at(-1)!;
  assert.equal(last.recommended_action, "stay");
  // the better move (a safe pool) waits for the dwell time; the decision says so with its numbers
  assert.equal(last.reason_code, "dwell_time_not_met");
});

Deno.test("engine: with auto switching off the move is recorded, not queued", async () => {
  const a = await register("m5.xlarge");
  await t.db.execute("UPDATE agents SET auto_switch_enabled = 0 WHERE id = ?", [a.agentId]);
  t.clock.advance(3 * HOUR);
  await report(a);
  await setRisk("m5.xlarge", 0.1);
  t.clock.advance(5 * MIN);
  await report(a);
  assert.deepEqual(await commands(a), []);
  const last = (await history(a)).at(-1)!;
  assert.equal(last.recommended_action, "switch_to_spot");
  assert.equal(last.record_reason, "changed");
  assert.equal(last.command_id, null);
});

Deno.test("engine: a pending manual command is never superseded by the engine", async () => {
  const a = await register("c5.xlarge");
  t.clock.advance(3 * HOUR);
  await report(a);
  await setRisk("c5.xlarge", 0.1);
  const manual = await send("POST", `/api/agents/${a.agentId}/issue-switch-command`, a.token, {
    target_mode: "spot",
    target_pool_id: "c5.xlarge.us-east-1b",
  });
  assert.equal(manual.status, 200, JSON.stringify(manual.body));
  t.clock.advance(5 * MIN);
  await report(a);
  const cmds = await commands(a);
  assert.equal(cmds.length, 1);
  assert.equal(cmds[0].id, manual.body.command_id);
  assert.equal(cmds[0].status, "pending");
  assert.equal(cmds[0].priority, 75);
});

Deno.test("engine: a command queued between the engine's read and its queue call is not superseded", async () => {
  const a = await register("c5.2xlarge");
  t.clock.advance(3 * HOUR);
  await report(a);
  // What the engine does after a read that saw no open command, racing a user's click:
  const manual = await queueSwitchCommand(t.db, {
    clientId: a.clientId,
    agentId: a.agentId,
    targetMode: "spot",
    targetPoolId: "c5.2xlarge.us-east-1b",
    priority: 75,
    createdBy: "manual",
    triggerType: "manual",
    now: t.clock(),
    pendingTtlSeconds: 3600,
  });
  await assert.rejects(
    queueSwitchCommand(t.db, {
      clientId: a.clientId,
      agentId: a.agentId,
      targetMode: "spot",
      targetPoolId: "c5.2xlarge.us-east-1c",
      priority: 25,
      createdBy: "engine",
      triggerType: "model",
      now: t.clock(),
      pendingTtlSeconds: 3600,
      onlyIfNoneOpen: true,
    }),
    (err: unknown) => err instanceof Conflict && err.code === "command_open",
  );
  const cmds = await commands(a);
  assert.deepEqual(cmds.map((c) => [c.id, c.status]), [[manual.id, "pending"]]);
});

Deno.test("engine: a disabled agent is not evaluated; an unchanged evaluation costs 2 statements", async () => {
  const a = await register("r5.xlarge");
  t.clock.advance(3 * HOUR);
  await report(a);
  await setRisk("r5.xlarge", 0.1);
  await t.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [a.agentId]);
  t.clock.advance(5 * MIN);
  await report(a);
  assert.deepEqual(await commands(a), []);
  assert.equal((await history(a)).length, 1);

  await t.db.execute("UPDATE agents SET enabled = 1, auto_switch_enabled = 0 WHERE id = ?", [
    a.agentId,
  ]);
  const before = t.db.roundTrips();
  const first = await evaluateAgent(t.deps, {
    clientId: a.clientId,
    agentId: a.agentId,
    now: t.clock(),
  });
  assert.equal(first.recorded, true);
  // Stored path (no report): agent, pool market, the client's and peers' reports, own notices.
  assert.equal(t.db.roundTrips() - before, 6, "4 reads + compare-and-set + history row");
  const mid = t.db.roundTrips();
  const again = await evaluateAgent(t.deps, {
    clientId: a.clientId,
    agentId: a.agentId,
    now: t.clock(),
  });
  assert.equal(again.recorded, false);
  assert.equal(again.decision?.action, "switch_to_spot");
  assert.equal(t.db.roundTrips() - mid, 4, "agent, pool market, reports, own notices");
  const foreign = await evaluateAgent(t.deps, {
    clientId: crypto.randomUUID(),
    agentId: a.agentId,
    now: t.clock(),
  });
  assert.equal(foreign.decision, null);
});

Deno.test("engine: a report that makes spot worthwhile queues exactly one command, none for the next reports nor after the switch (simulator)", async () => {
  const client = await t.createClient();
  const type = "m6a.large";
  const pools = (shift = 0): SimPool[] =>
    AZS.map((az, i) => ({
      pool_id: `${type}.${az}`,
      instance_type: type,
      az,
      price: i === 2 ? SPOT[i] : SPOT[i] + shift,
    }));
  const sim = AgentSim.forApp(t.app, {
    token: client.token,
    instanceId: "i-0aaaaaaaaaaaaaaa1",
    instanceType: type,
    az: AZS[0],
    mode: "ondemand",
    now: t.clock,
  });
  assert.equal((await sim.register()).status, 200);
  assert.equal((await sim.heartbeat()).status, 200);
  const a = { agentId: sim.agentId! };
  const tick = async (s: AgentSim, shift = 0) => {
    t.clock.advance(5 * MIN);
    assert.equal((await s.pricingReport({ onDemand: OD, pools: pools(shift) })).status, 200);
    await t.deps.services.background.drain();
  };
  t.clock.advance(3 * HOUR);
  await tick(sim);
  assert.equal((await history(a)).at(-1)?.reason_code, "target_risk_unknown");
  assert.deepEqual(await commands(a), [], "new pools have unknown risk: never a target");
  await setRisk(type, 0.1);
  await tick(sim); // worthwhile: one command
  await tick(sim); // the next report: none more
  const polled = await sim.pendingCommands();
  assert.equal(polled.body?.length, 1);
  const cmd = polled.body![0];
  assert.equal(cmd.target_mode, "spot");
  assert.equal(cmd.target_pool_id, `${type}.us-east-1c`);
  assert.equal(cmd.priority, 25); // ML normal: the agent reports it as trigger `model`
  const stored = await commands(a);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].created_by, "engine");
  assert.equal(stored[0].trigger_type, "model");
  assert.deepEqual((await sim.pendingCommands()).body, [], "delivered once (T-06)");
  await tick(sim); // the old instance reports while it builds the AMI: nothing new

  // The replacement boots in the target pool and registers; the old one reports once more.
  t.clock.advance(10 * MIN);
  const next = sim.successor({ instanceId: "i-0bbbbbbbbbbbbbbb2", mode: "spot", az: AZS[2] });
  assert.equal((await next.register()).body?.agent_id, sim.agentId);
  const rows = (await history(a)).length;
  await tick(sim);
  assert.equal((await history(a)).length, rows, "nothing evaluated for the old instance");
  // The new instance reports from its pool; cheaper pools exist (1e at $0.016 vs $0.034: enough
  // to pay back within the pool gap's half-life), but it has just arrived.
  for (let i = 0; i < 3; i++) await tick(next, -0.02);
  const cmds = await commands(a);
  assert.equal(cmds.length, 1);
  assert.equal(cmds[0].status, "completed");
  const last = (await history(a)).at(-1)!;
  assert.equal(last.recommended_action, "stay");
  assert.equal(last.reason_code, "dwell_time_not_met");
});
