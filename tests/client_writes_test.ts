/**
 * Client write routes (CONTRACT E33–E36, E43): toggle, settings, config, delete and force-switch,
 * with their business rules (T-24/T-25, T-27, B-14, B-33) against the real database.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import { call } from "./_schema_check.ts";
import { addReplica, fleet, HOUR, NOW, prices } from "./_dashboard_fixtures.ts";

Deno.test("client: toggle-enabled flips with an empty body and sets with {enabled}", async () => {
  const t = await testContext("client_toggle");
  const { client, other, a1 } = await fleet(t);
  const path = `/api/client/agents/${a1}/toggle-enabled`;
  // The client dashboard posts no body at all, with Content-Type: application/json (T-24, T-25).
  const flip = await call(t, "POST", path, {
    token: client.token,
    headers: { "Content-Type": "application/json" },
  });
  assert.equal(flip.status, 200);
  assert.deepEqual(flip.body, { success: true, agent_id: a1, enabled: false, changed: true });
  const back = await call(t, "POST", path, { token: client.token, body: {} });
  assert.equal(back.body.enabled, true);
  const set = await call(t, "POST", path, { token: t.adminToken, body: { enabled: false } });
  assert.equal(set.body.enabled, false);
  const again = await call(t, "POST", path, { token: t.adminToken, body: { enabled: false } });
  assert.deepEqual([again.body.enabled, again.body.changed], [false, false]);
  const row = await t.db.execute<{ enabled: number }>("SELECT enabled FROM agents WHERE id = ?", [
    a1,
  ]);
  assert.equal(row.rows[0]!.enabled, 0);
  const ev = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE agent_id = ? AND event_type = 'agent_toggled'",
    [a1],
  );
  assert.equal(ev.rows[0]!.n, 4);
  assert.equal((await call(t, "POST", path, { token: other.token, body: {} })).status, 404);
  assert.equal(
    (await call(t, "POST", path, { token: client.token, body: { enabled: "no" } })).status,
    400,
  );
});

Deno.test("client: settings keep auto-switch and manual replica mutually exclusive", async () => {
  const t = await testContext("client_settings");
  const { client, a1 } = await fleet(t);
  const path = `/api/client/agents/${a1}/settings`;
  const on = await call(t, "POST", path, {
    token: client.token,
    body: {
      auto_switch_enabled: false,
      auto_terminate_enabled: true,
      manual_replica_enabled: true,
      replica_count: 1,
    },
  });
  assert.equal(on.status, 200);
  assert.equal(on.body.manual_replica_enabled, true);
  assert.equal(on.body.auto_switch_enabled, false);
  assert.deepEqual(on.body.changed.sort(), ["autoSwitchEnabled", "manualReplicaEnabled"]);
  // Turning auto-switch on turns manual replica mode off (and its manual replicas go).
  const rep = await addReplica(t.db, { agentId: a1, clientId: client.id, instanceId: "i-m1" });
  const auto = await call(t, "POST", path, {
    token: client.token,
    body: { auto_switch_enabled: true },
  });
  assert.equal(auto.body.auto_switch_enabled, true);
  assert.equal(auto.body.manual_replica_enabled, false);
  assert.deepEqual(auto.body.terminated_replica_ids, [rep]);
  // The dashboard's form resends every checkbox: with auto-switch still ticked, ticking manual
  // turns manual on (the mode that was off wins).
  const form = await call(t, "POST", path, {
    token: client.token,
    body: { auto_switch_enabled: true, manual_replica_enabled: true },
  });
  assert.equal(form.status, 200);
  assert.deepEqual([form.body.auto_switch_enabled, form.body.manual_replica_enabled], [
    false,
    true,
  ]);
  await call(t, "POST", path, {
    token: client.token,
    body: { auto_switch_enabled: false, manual_replica_enabled: false },
  });
  const both = await call(t, "POST", path, {
    token: client.token,
    body: { auto_switch_enabled: true, manual_replica_enabled: true },
  });
  assert.equal(both.status, 400, "both on while neither was on is ambiguous");
  assert.equal(both.body.code, "modes_mutually_exclusive");
  await call(t, "POST", path, { token: client.token, body: { auto_switch_enabled: true } });
  const row = await t.db.execute<{ a: number; m: number }>(
    "SELECT auto_switch_enabled AS a, manual_replica_enabled AS m FROM agents WHERE id = ?",
    [a1],
  );
  assert.deepEqual(row.rows[0], { a: 1, m: 0 });
});

Deno.test("client: config applies only changes; manual off never removes emergency replicas (B-14)", async () => {
  const t = await testContext("client_config");
  const { client, a1 } = await fleet(t);
  const path = `/api/client/agents/${a1}/config`;
  const emergency = await addReplica(t.db, {
    agentId: a1,
    clientId: client.id,
    instanceId: "i-em1",
    type: "automatic-termination",
  });
  // The admin modal always sends all four keys; only the wait time changed here (T-27).
  const save = await call(t, "POST", path, {
    token: t.adminToken,
    body: {
      terminateWaitMinutes: 10,
      autoSwitchEnabled: true,
      manualReplicaEnabled: false,
      autoTerminateEnabled: true,
    },
  });
  assert.equal(save.status, 200);
  assert.deepEqual(save.body.changed, ["terminateWaitSeconds"]);
  assert.equal(save.body.terminateWaitMinutes, 10);
  assert.equal(save.body.terminate_wait_seconds, 600);
  assert.deepEqual(save.body.terminated_replica_ids, []);
  // Manual on, one manual replica, then manual off: only the manual replica is terminated.
  await call(t, "POST", path, {
    token: t.adminToken,
    body: { autoSwitchEnabled: false, manualReplicaEnabled: true },
  });
  const manual = await addReplica(t.db, { agentId: a1, clientId: client.id, instanceId: "i-m2" });
  const off = await call(t, "POST", path, {
    token: t.adminToken,
    body: {
      terminateWaitMinutes: 10,
      autoSwitchEnabled: false,
      manualReplicaEnabled: false,
      autoTerminateEnabled: true,
    },
  });
  assert.deepEqual(off.body.terminated_replica_ids, [manual]);
  const states = await t.db.execute<{ id: string; status: string; is_active: number }>(
    "SELECT id, status, is_active FROM replica_instances WHERE agent_id = ? ORDER BY id",
    [a1],
  );
  const byId = new Map(states.rows.map((r) => [r.id, r]));
  assert.equal(byId.get(emergency)!.status, "ready");
  assert.equal(byId.get(emergency)!.is_active, 1);
  assert.equal(byId.get(manual)!.status, "terminated");
  const ev = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE agent_id = ? AND event_type = 'replicas_disabled'",
    [a1],
  );
  assert.equal(ev.rows[0]!.n, 1);
  const unknown = await call(t, "POST", `/api/client/agents/${crypto.randomUUID()}/config`, {
    token: t.adminToken,
    body: { terminateWaitMinutes: 1 },
  });
  assert.equal(unknown.status, 404);
});

Deno.test("client: deleting an agent soft-deletes it, ends its replicas and pending commands", async () => {
  const t = await testContext("client_delete_agent");
  const { client, other, a1 } = await fleet(t);
  const rep = await addReplica(t.db, {
    agentId: a1,
    clientId: client.id,
    instanceId: "i-em2",
    type: "automatic-rebalance",
  });
  await t.db.execute(
    "INSERT INTO commands (id, client_id, agent_id, target_mode, status, created_at) VALUES (?, ?, ?, 'ondemand', 'pending', ?)",
    [crypto.randomUUID(), client.id, a1, NOW],
  );
  assert.equal(
    (await call(t, "DELETE", `/api/client/agents/${a1}`, { token: other.token })).status,
    404,
  );
  const del = await call(t, "DELETE", `/api/client/agents/${a1}`, { token: client.token });
  assert.equal(del.status, 200);
  assert.equal(del.body.success, true);
  assert.equal(del.body.agent_id, a1);
  assert.deepEqual(del.body.terminated_replica_ids, [rep]);
  assert.equal(del.body.cancelled_commands, 1);
  const row = await t.db.execute<{ status: string; enabled: number; deleted_at: string | null }>(
    "SELECT status, enabled, deleted_at FROM agents WHERE id = ?",
    [a1],
  );
  assert.equal(row.rows[0]!.status, "deleted");
  assert.equal(row.rows[0]!.enabled, 0);
  assert.equal(row.rows[0]!.deleted_at, NOW.toISOString());
  const notes = await t.db.execute<{ message: string }>(
    "SELECT message FROM notifications WHERE agent_id = ?",
    [a1],
  );
  assert.match(notes.rows[0]!.message, /web-1 has been deleted/);
  const twice = await call(t, "DELETE", `/api/client/agents/${a1}`, { token: client.token });
  assert.equal(twice.status, 200);
  assert.equal(twice.body.message, "Agent was already deleted");
  const toggle = await call(t, "POST", `/api/client/agents/${a1}/toggle-enabled`, {
    token: client.token,
    body: {},
  });
  assert.equal(toggle.status, 409);
});

Deno.test("client: force-switch queues through the command lifecycle with its guard rails", async () => {
  const t = await testContext("client_force_switch");
  const { client, other, a1, a2 } = await fleet(t);
  await prices(t);
  const path = "/api/client/instances/i-spot1/force-switch";
  assert.equal(
    (await call(t, "POST", path, { token: other.token, body: { target: "ondemand" } })).status,
    404,
  );
  const noPool = await call(t, "POST", path, { token: t.adminToken, body: { target: "spot" } });
  assert.equal(noPool.status, 400);
  assert.equal(noPool.body.code, "pool_required");
  const same = await call(t, "POST", path, {
    token: t.adminToken,
    body: { target: "pool", pool_id: "t3.medium.us-east-1a" },
  });
  assert.equal(same.status, 409);
  assert.equal(same.body.code, "already_in_target");
  const extra = await call(t, "POST", path, {
    token: t.adminToken,
    body: { target: "ondemand", surprise: 1 },
  });
  assert.equal(extra.status, 400, "unknown keys are refused");

  const first = await call(t, "POST", path, { token: t.adminToken, body: { target: "ondemand" } });
  assert.equal(first.status, 200);
  assert.equal(first.body.success, true);
  const second = await call(t, "POST", path, {
    token: t.adminToken,
    body: { target: "pool", pool_id: "t3.medium.us-east-1b" },
  });
  assert.equal(second.status, 200);
  assert.deepEqual(second.body.superseded_command_ids, [first.body.command_id]);
  const cmds = await t.db.execute<{
    id: string;
    status: string;
    priority: number;
    created_by: string;
    trigger_type: string;
    target_mode: string;
    target_pool_id: string | null;
    instance_id: string;
  }>(
    "SELECT id, status, priority, created_by, trigger_type, target_mode, target_pool_id, instance_id FROM commands WHERE agent_id = ? ORDER BY created_at, status",
    [a1],
  );
  const byId = new Map(cmds.rows.map((r) => [r.id, r]));
  assert.equal(byId.get(first.body.command_id)!.status, "superseded");
  const open = byId.get(second.body.command_id)!;
  assert.deepEqual(
    [open.status, open.priority, open.created_by, open.trigger_type, open.target_mode],
    ["pending", 75, "manual", "manual", "spot"],
  );
  assert.equal(open.target_pool_id, "t3.medium.us-east-1b");
  assert.equal(open.instance_id, "i-spot1");
  const ev = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE agent_id = ? AND event_type = 'manual_switch_requested'",
    [a1],
  );
  assert.equal(ev.rows[0]!.n, 2);
  const notes = await t.db.execute<{ severity: string }>(
    "SELECT severity FROM notifications WHERE agent_id = ?",
    [a1],
  );
  assert.equal(notes.rows.length, 2);
  assert.equal(notes.rows[0]!.severity, "warning");
  // A command already handed to the agent cannot be replaced.
  await t.db.execute("UPDATE commands SET status = 'delivered', expires_at = ? WHERE id = ?", [
    new Date(NOW.getTime() + HOUR),
    second.body.command_id,
  ]);
  const inFlight = await call(t, "POST", path, {
    token: t.adminToken,
    body: { target: "ondemand" },
  });
  assert.equal(inFlight.status, 409);
  assert.equal(inFlight.body.code, "command_in_flight");
  // A disabled agent is refused (through its agent id, which resolves too).
  await t.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [a2]);
  const disabled = await call(t, "POST", `/api/client/instances/${a2}/force-switch`, {
    token: client.token,
    body: { target: "spot", pool_id: "t3.medium.us-east-1b" },
  });
  assert.equal(disabled.status, 409);
  assert.equal(disabled.body.code, "agent_disabled");
});
