/**
 * E24 decide, E25 switch-recommendation and E26 issue-switch-command through the API: field names
 * and types, scoping, and the manual command's guard rails (CONTRACT E24-E26, T-23, T-26, T-39).
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";

const t: TestContext = await testContext("decision_routes");
const MIN = 60_000;
const AZS = ["a", "b", "c"].map((l) => `us-east-1${l}`);
const SPOT = [0.040, 0.034, 0.038];
const OD = 0.096;

interface Agent {
  token: string;
  clientId: string;
  agentId: string;
  type: string;
}

async function send(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t.request(method, path, { token, body });
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return { status: res.status, body: await res.json() };
}

/** Registers an agent (E01) of its own instance type and sends one pricing report (E06). */
async function agentWithPrices(
  type: string,
  opts: { mode?: "spot" | "ondemand"; risk?: number } = {},
): Promise<Agent> {
  const mode = opts.mode ?? "ondemand";
  const client = await t.createClient();
  const instanceId = `i-0${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const reg = await send("POST", "/api/agents/register", client.token, {
    client_token: client.token,
    logical_agent_id: `logical-${instanceId}`,
    instance_id: instanceId,
    instance_type: type,
    region: "us-east-1",
    az: AZS[0],
    mode,
    hostname: `host-${type}`,
    agent_version: "4.0.0",
    public_ip: null,
  });
  assert.equal(reg.status, 200);
  const a = { token: client.token, clientId: client.id, agentId: String(reg.body.agent_id), type };
  const rep = await send("POST", `/api/agents/${a.agentId}/pricing-report`, a.token, {
    instance: {
      instance_id: instanceId,
      instance_type: type,
      region: "us-east-1",
      az: AZS[0],
      mode,
      pool_id: mode === "spot" ? `${type}.${AZS[0]}` : null,
    },
    pricing: {
      on_demand_price: OD,
      current_spot_price: mode === "spot" ? SPOT[0] : null,
      cheapest_pool: null,
      spot_pools: AZS.map((az, i) => ({
        pool_id: `${type}.${az}`,
        instance_type: type,
        az,
        price: SPOT[i],
      })),
      collected_at: t.clock().toISOString().slice(0, -1),
    },
  });
  assert.equal(rep.status, 200);
  if (opts.risk !== undefined) {
    await t.db.execute(
      "UPDATE spot_pools SET risk_score = ?, risk_analyzed_at = ? WHERE instance_type = ?",
      [opts.risk, t.clock(), type],
    );
  }
  return a;
}

async function openCommands(a: Agent): Promise<{ id: string; status: string }[]> {
  return (await t.db.execute<{ id: string; status: string }>(
    "SELECT id, status FROM commands WHERE agent_id = ? AND status IN ('pending', 'delivered')",
    [a.agentId],
  )).rows;
}

function assertTypes(body: Record<string, unknown>, types: Record<string, string>): void {
  for (const [k, type] of Object.entries(types)) {
    const v = body[k];
    const got = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
    assert.ok(type.split("|").includes(got), `${k}: expected ${type}, got ${got}`);
  }
}

Deno.test("decide: E24 answers the predecessor's fields plus the explanation", async () => {
  const a = await agentWithPrices("m5.large", { risk: 0.1 });
  // The production engine ran after the pricing report; E24 must add nothing to what it did.
  await t.deps.services.background.drain();
  const historyOf = () =>
    t.db.execute("SELECT id FROM agent_decision_history WHERE agent_id = ?", [a.agentId]);
  const before = (await historyOf()).rows.length;
  const r = await send("POST", `/api/agents/${a.agentId}/decide`, a.token, {});
  assert.equal(r.status, 200);
  assertTypes(r.body, {
    instance_id: "string",
    risk_score: "number",
    recommended_action: "string",
    recommended_mode: "string",
    recommended_pool_id: "string|null",
    expected_savings_per_hour: "number",
    allowed: "boolean",
    reason: "string",
    decision_type: "string",
    reason_code: "string",
    switch_cost: "number",
    payback_hours: "number|null",
    confidence: "number",
    rules: "array",
  });
  // Registered just now: the move to the cheapest pool waits for the dwell time.
  assert.equal(r.body.recommended_action, "stay");
  assert.equal(r.body.reason_code, "dwell_time_not_met");
  assert.equal(r.body.allowed, false);
  assert.equal(r.body.decision_type, "stay_ondemand");
  const rules = r.body.rules as { rule: string; passed: boolean }[];
  assert.deepEqual(rules.find((x) => x.rule === "dwell_time")?.passed, false);

  t.clock.advance(3 * 60 * MIN);
  // Three hours later the stored prices are stale; a what-if body brings fresh ones.
  const stale = await send("POST", `/api/agents/${a.agentId}/decide`, a.token, {});
  assert.equal(stale.body.reason_code, "stale_prices");
  const whatIf = await send("POST", `/api/agents/${a.agentId}/decide`, a.token, {
    pricing: {
      on_demand_price: OD,
      spot_pools: AZS.map((az, i) => ({ pool_id: `m5.large.${az}`, az, price: SPOT[i] })),
      collected_at: t.clock().toISOString(),
    },
  });
  assert.equal(whatIf.status, 200);
  assert.equal(whatIf.body.recommended_action, "switch_to_spot");
  assert.equal(whatIf.body.recommended_mode, "spot");
  assert.equal(whatIf.body.recommended_pool_id, "m5.large.us-east-1b");
  assert.equal(whatIf.body.decision_type, "switch_to_spot");
  assert.equal(whatIf.body.allowed, true);
  assert.ok((whatIf.body.expected_savings_per_hour as number) > 0);
  // E24 explains only: nothing queued, nothing recorded.
  assert.deepEqual(await openCommands(a), []);
  assert.equal((await historyOf()).rows.length, before);
});

Deno.test("decide: E24 without a body, for a disabled agent, and for another client's agent", async () => {
  const a = await agentWithPrices("c5.large");
  const res = await t.app.request(`/api/agents/${a.agentId}/decide`, {
    method: "POST",
    headers: { Authorization: `Bearer ${a.token}`, "Content-Type": "application/json" },
  });
  assert.equal(res.status, 200, "CD sends no body with Content-Type: application/json");
  await res.body?.cancel();
  await t.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [a.agentId]);
  const off = await send("POST", `/api/agents/${a.agentId}/decide`, a.token, {});
  assert.equal(off.status, 200);
  assert.equal(off.body.recommended_action, "stay");
  assert.equal(off.body.reason_code, "agent_disabled");
  assert.equal(off.body.allowed, false);
  const other = await t.createClient();
  const foreign = await send("POST", `/api/agents/${a.agentId}/decide`, other.token, {});
  assert.equal(foreign.status, 404);
  assert.equal(foreign.body.code, "agent_not_found");
  const rec = await send("GET", `/api/agents/${a.agentId}/switch-recommendation`, other.token);
  assert.equal(rec.status, 404);
});

Deno.test("recommendation: E25 field names, current pool and alternatives", async () => {
  const a = await agentWithPrices("r5.large", { mode: "spot", risk: 0.1 });
  const r = await send("GET", `/api/agents/${a.agentId}/switch-recommendation`, a.token);
  assert.equal(r.status, 200);
  assertTypes(r.body, {
    decision_type: "string",
    recommended_pool_id: "string|null",
    risk_score: "number",
    expected_savings: "number",
    confidence: "number",
    reason: "string",
    agent_id: "string",
    auto_switch_enabled: "boolean",
    will_auto_execute: "boolean",
    current_pool: "object",
    alternative_pools: "array",
  });
  assert.ok(
    ["stay_spot", "stay_ondemand", "switch_to_spot", "switch_to_ondemand"].includes(
      String(r.body.decision_type),
    ),
  );
  assert.equal(r.body.agent_id, a.agentId);
  assert.equal(r.body.auto_switch_enabled, true);
  assert.deepEqual(r.body.current_pool, {
    id: "r5.large.us-east-1a",
    name: "r5.large (us-east-1a)",
    az: "us-east-1a",
  });
  assert.deepEqual(r.body.alternative_pools, [
    {
      id: "r5.large.us-east-1b",
      name: "r5.large (us-east-1b)",
      az: "us-east-1b",
      spot_price: 0.034,
    },
    {
      id: "r5.large.us-east-1c",
      name: "r5.large (us-east-1c)",
      az: "us-east-1c",
      spot_price: 0.038,
    },
  ]);
  // Just registered in pool a: a cheaper pool exists but the dwell time holds the move back.
  assert.equal(r.body.decision_type, "stay_spot");
  assert.equal(r.body.will_auto_execute, false);
});

Deno.test("issue-switch-command: 200 with the command, priority 75, not blocked by auto_switch off (T-39)", async () => {
  const a = await agentWithPrices("m6i.large");
  await t.db.execute("UPDATE agents SET auto_switch_enabled = 0 WHERE id = ?", [a.agentId]);
  const r = await send("POST", `/api/agents/${a.agentId}/issue-switch-command`, a.token, {
    target_mode: "spot",
    target_pool_id: "m6i.large.us-east-1b",
    reason: "cheaper",
  });
  assert.equal(r.status, 200, "CD's proxy accepts only 200 (T-23)");
  assertTypes(r.body, {
    success: "boolean",
    command_id: "string",
    agent_id: "string",
    target_mode: "string",
    target_pool_id: "string",
    reason: "string",
    message: "string",
    auto_switch_enabled: "boolean",
  });
  assert.equal(r.body.success, true);
  assert.equal(r.body.auto_switch_enabled, false);
  const row = (await t.db.execute<{ priority: number; created_by: string; trigger_type: string }>(
    "SELECT priority, created_by, trigger_type FROM commands WHERE id = ?",
    [r.body.command_id],
  )).rows[0];
  assert.deepEqual(row, { priority: 75, created_by: "manual", trigger_type: "manual" });
  // The agent receives it exactly as T-04/T-05 require.
  const polled = await send("GET", `/api/agents/${a.agentId}/pending-commands`, a.token);
  const items = (Array.isArray(polled.body) ? polled.body : []) as Record<string, unknown>[];
  assert.equal(items[0]?.id, r.body.command_id);
  assert.equal(items[0]?.target_pool_id, "m6i.large.us-east-1b");
  // While that command is in flight a new one is refused.
  const busy = await send("POST", `/api/agents/${a.agentId}/issue-switch-command`, a.token, {
    target_mode: "spot",
    target_pool_id: "m6i.large.us-east-1c",
  });
  assert.equal(busy.status, 409);
  assert.equal(busy.body.code, "command_in_flight");
});

Deno.test("issue-switch-command: a second click supersedes instead of queueing a duplicate", async () => {
  const a = await agentWithPrices("c5.xlarge");
  const path = `/api/agents/${a.agentId}/issue-switch-command`;
  const first = await send("POST", path, a.token, {
    target_mode: "spot",
    target_pool_id: "c5.xlarge.us-east-1b",
  });
  const second = await send("POST", path, a.token, {
    target_mode: "spot",
    target_pool_id: "c5.xlarge.us-east-1b",
  });
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  assert.notEqual(second.body.command_id, first.body.command_id);
  assert.deepEqual(second.body.superseded_command_ids, [first.body.command_id]);
  assert.deepEqual((await openCommands(a)).map((c) => c.id), [second.body.command_id]);
  const old = await t.db.execute<{ status: string }>("SELECT status FROM commands WHERE id = ?", [
    first.body.command_id,
  ]);
  assert.equal(old.rows[0].status, "superseded");
});

Deno.test("issue-switch-command: guard rails (already in target, disabled, spot without pool, foreign)", async () => {
  const a = await agentWithPrices("r5.xlarge"); // on-demand
  const path = `/api/agents/${a.agentId}/issue-switch-command`;
  const here = await send("POST", path, a.token, { target_mode: "ondemand" });
  assert.equal(here.status, 409);
  assert.equal(here.body.code, "already_in_target");
  assert.equal(typeof here.body.error, "string");

  // What CD sends (T-26): an empty pool for spot is a clear 400, never an on-demand launch (T-07).
  const noPool = await send("POST", path, a.token, { target_mode: "spot", target_pool_id: "" });
  assert.equal(noPool.status, 400);
  assert.equal(noPool.body.code, "pool_required");
  assert.match(String(noPool.body.error), /target_pool_id/);
  const badType = await send("POST", path, a.token, {
    target_mode: "spot",
    target_pool_id: "t3.micro.us-east-1b",
  });
  assert.equal(badType.status, 400);
  const badMode = await send("POST", path, a.token, { target_mode: "on-demand" });
  assert.equal(badMode.status, 400);

  const other = await t.createClient();
  const foreign = await send("POST", path, other.token, {
    target_mode: "spot",
    target_pool_id: "r5.xlarge.us-east-1b",
  });
  assert.equal(foreign.status, 404);

  await t.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [a.agentId]);
  const off = await send("POST", path, a.token, {
    target_mode: "spot",
    target_pool_id: "r5.xlarge.us-east-1b",
  });
  assert.equal(off.status, 409);
  assert.equal(off.body.code, "agent_disabled");
  assert.deepEqual(await openCommands(a), []);
});
