/**
 * Instance ids per client (issue 13 item 3): a client can neither squat, detect nor lock out
 * another client's instance id; a registration with only `instance_id` keeps what is known.
 */
import assert from "node:assert/strict";
import { AgentSim } from "./agent_sim.ts";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";

function sim(t: TestContext, token: string, instanceId: string): AgentSim {
  return AgentSim.forApp(t.app, {
    token,
    instanceId,
    instanceType: "m5.large",
    az: "us-east-1a",
    mode: "spot",
    hostname: "ip-10-0-0-1",
  });
}

Deno.test("tenants: registering an id another client uses neither reveals it nor disables anyone", async () => {
  const t = await testContext("tenant_squat");
  const a = await t.createClient();
  const b = await t.createClient();
  const owner = sim(t, a.token, "i-0aaa000000000001");
  assert.equal((await owner.register()).status, 200);

  // B registers A's id first as its own, then an id nobody uses: the two answers look alike.
  const squat = await sim(t, b.token, "i-0aaa000000000001").register();
  const fresh = await sim(t, b.token, "i-0bbb000000000002").register();
  assert.equal(squat.status, 200);
  assert.equal(fresh.status, 200);
  const shape = (r: typeof squat) => ({ ...r.body!, agent_id: "x", ms: 0 });
  assert.deepEqual(shape(squat), shape(fresh));
  assert.equal(squat.body!.config.enabled, true);
  assert.notEqual(squat.body!.agent_id, owner.agentId);
  assert.equal(squat.body!.client_id, b.id);

  // A's agent is untouched and keeps working.
  const again = await owner.register();
  assert.equal(again.status, 200);
  assert.equal(again.body!.agent_id, owner.agentId);
  assert.equal(again.body!.config.enabled, true);
  const beat = await owner.call("POST", `/api/agents/${owner.agentId}/heartbeat`, {
    status: "online",
    instance_id: "i-0aaa000000000001",
    mode: "spot",
  });
  assert.equal(beat.status, 200);
  const rows = await t.db.execute<{ client_id: string; agent_id: string; status: string }>(
    "SELECT client_id, agent_id, instance_status AS status FROM instances WHERE id = ? ORDER BY client_id = ?",
    ["i-0aaa000000000001", b.id],
  );
  assert.deepEqual(rows.rows, [
    { client_id: a.id, agent_id: owner.agentId, status: "running_primary" },
    { client_id: b.id, agent_id: squat.body!.agent_id, status: "running_primary" },
  ]);
  const refusals = await t.db.execute(
    "SELECT 1 FROM system_events WHERE event_type = 'instance_claim_refused'",
  );
  assert.equal(refusals.rows.length, 0);
});

Deno.test("tenants: a report about an instance the caller does not own is refused without saying why", async () => {
  const t = await testContext("tenant_reports");
  const a = await t.createClient();
  const b = await t.createClient();
  const owner = sim(t, a.token, "i-0aaa000000000003");
  await owner.register();
  const mallory = sim(t, b.token, "i-0ccc000000000004");
  await mallory.register();
  const report = (instanceId: string) =>
    mallory.call("POST", `/api/agents/${mallory.agentId}/termination-report`, {
      instance_id: instanceId,
      success: true,
    });
  const foreign = await report("i-0aaa000000000003");
  const unknown = await report("i-0fff00000000000f");
  assert.equal(foreign.status, 404);
  assert.deepEqual({ ...foreign, ms: 0 }, { ...unknown, ms: 0 });
  const inst = await t.db.execute<{ instance_status: string; termination_confirmed: number }>(
    "SELECT instance_status, termination_confirmed FROM instances WHERE id = ? AND client_id = ?",
    ["i-0aaa000000000003", a.id],
  );
  assert.deepEqual(inst.rows, [{ instance_status: "running_primary", termination_confirmed: 0 }]);
});

Deno.test("register: a re-registration with only instance_id keeps the known facts", async () => {
  const t = await testContext("register_sparse");
  const a = await t.createClient();
  const full = sim(t, a.token, "i-0ddd000000000005");
  await full.register();
  const before = await t.db.execute(
    "SELECT hostname, instance_type, az, region, current_mode, current_pool_id, ami_id, private_ip FROM agents WHERE id = ?",
    [full.agentId],
  );
  const sparse = await full.call("POST", "/api/agents/register", {
    client_token: a.token,
    instance_id: "i-0ddd000000000005",
  });
  assert.equal(sparse.status, 200);
  assert.equal((sparse.body as { agent_id: string }).agent_id, full.agentId);
  const unknowns = await full.call("POST", "/api/agents/register", {
    client_token: a.token,
    instance_id: "i-0ddd000000000005",
    instance_type: "unknown",
    az: "unknown",
    hostname: null,
  });
  assert.equal(unknowns.status, 200);
  const after = await t.db.execute(
    "SELECT hostname, instance_type, az, region, current_mode, current_pool_id, ami_id, private_ip FROM agents WHERE id = ?",
    [full.agentId],
  );
  assert.deepEqual(after.rows, before.rows);
  assert.equal((before.rows[0] as { current_mode: string }).current_mode, "spot");
  const inst = await t.db.execute(
    "SELECT instance_type, az, current_mode, current_pool_id FROM instances WHERE id = ?",
    ["i-0ddd000000000005"],
  );
  assert.deepEqual(inst.rows, [{
    instance_type: "m5.large",
    az: "us-east-1a",
    current_mode: "spot",
    current_pool_id: "m5.large.us-east-1a",
  }]);
  const open = await t.db.execute(
    "SELECT mode, pool_id FROM instance_segments WHERE instance_id = ? AND ended_at IS NULL",
    ["i-0ddd000000000005"],
  );
  assert.deepEqual(open.rows, [{ mode: "spot", pool_id: "m5.large.us-east-1a" }]);
});
