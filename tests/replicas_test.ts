import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { rows, spotAgent } from "./_interruption_fixtures.ts";

const PRIMARY = "i-0a1b2c3d4e5f60001";
const R1 = "i-0000000000000aa01";
const R2 = "i-0000000000000aa02";

async function json(res: Response): Promise<Record<string, unknown>> {
  return await res.json();
}

async function manualMode(ctx: TestContext, agentId: string): Promise<void> {
  await ctx.db.execute(
    "UPDATE agents SET auto_switch_enabled = 0, manual_replica_enabled = 1, replica_enabled = 1, replica_count = 1 WHERE id = ?",
    [agentId],
  );
}

Deno.test("replicas: no placeholder without an instance id; manual replicas need manual mode", async () => {
  const ctx = await testContext("replicas_rules");
  const { client, agentId } = await spotAgent(ctx, { instanceId: PRIMARY });
  const path = `/api/agents/${agentId}/replicas`;
  // The client dashboard's body: the server cannot launch an instance → honest 400, no row.
  const cd = await ctx.request("POST", path, {
    token: client.token,
    body: { target_pool_id: "t3.medium.us-east-1b" },
  });
  assert.equal(cd.status, 400);
  assert.equal((await json(cd)).code, "instance_id_required");
  assert.deepEqual(await rows(ctx, "SELECT id FROM replica_instances"), []);

  const manual = { instance_id: R1, replica_type: "manual", pool_id: "t3.medium.us-east-1b" };
  const conflict = await ctx.request("POST", path, { token: client.token, body: manual });
  assert.equal(conflict.status, 409);
  assert.equal((await json(conflict)).code, "mode_conflict");

  await manualMode(ctx, agentId);
  const ok = await ctx.request("POST", path, { token: client.token, body: manual });
  assert.equal(ok.status, 200);
  const created = await json(ok);
  assert.equal(created.replica_type, "manual");
  assert.equal(created.status, "launching");
  const same = await json(await ctx.request("POST", path, { token: client.token, body: manual }));
  assert.equal(same.replica_id, created.replica_id);
  assert.equal(same.created, false);
  const second = await ctx.request("POST", path, {
    token: client.token,
    body: { ...manual, instance_id: R2 },
  });
  assert.equal(second.status, 409);
  assert.deepEqual(await json(second), {
    error: "A manual replica already exists",
    code: "replica_exists",
    current_count: 1,
    max_allowed: 1,
  });
  const badPool = await ctx.request("POST", path, {
    token: client.token,
    body: { instance_id: R2, replica_type: "emergency", pool_id: "m5.large.us-east-1b" },
  });
  assert.equal(badPool.status, 400);
  assert.equal((await json(badPool)).code, "pool_type_mismatch");

  const [inst] = await rows(
    ctx,
    "SELECT instance_status, is_primary, agent_id FROM instances WHERE id = ?",
    [R1],
  );
  assert.deepEqual(inst, { instance_status: "running_replica", is_primary: 0, agent_id: agentId });
  const cfg = await json(
    await ctx.request("GET", `/api/agents/${agentId}/replica-config`, { token: client.token }),
  );
  assert.deepEqual(cfg, {
    enabled: true,
    count: 1,
    manual_replica_enabled: true,
    auto_switch_enabled: false,
    active_replicas: 1,
  });
});

Deno.test("replicas: list, status, sync, promote without a body, delete; scoped to the client, admin sees all", async () => {
  const ctx = await testContext("replicas_lifecycle");
  const { client, agentId } = await spotAgent(ctx, { instanceId: PRIMARY });
  await manualMode(ctx, agentId);
  const base = `/api/agents/${agentId}/replicas`;
  const created = await json(
    await ctx.request("POST", base, {
      token: client.token,
      body: { instance_id: R1, replica_type: "manual", pool_id: "t3.medium.us-east-1b" },
    }),
  );
  const id = created.replica_id as string;

  const list = await json(await ctx.request("GET", base, { token: client.token }));
  assert.equal(list.total, 1);
  const item = (list.replicas as Record<string, unknown>[])[0];
  assert.equal(item.id, id);
  assert.equal(item.instance_id, R1);
  assert.equal(item.is_active, true);
  assert.equal(item.state_transfer_progress, 0);
  assert.deepEqual(item.cost, { hourly: 0.013, total: 0 });
  assert.equal((item.pool as Record<string, unknown>).az, "us-east-1b");

  // Another client cannot see or touch it; the admin can.
  const stranger = await ctx.createClient();
  const hidden = await ctx.request("GET", base, { token: stranger.token });
  assert.equal(hidden.status, 404);
  await hidden.body?.cancel();
  const foreign = await ctx.request("POST", `${base}/${id}/promote`, { token: stranger.token });
  assert.equal(foreign.status, 404);
  await foreign.body?.cancel();
  const admin = await json(await ctx.request("GET", base, { token: ctx.adminToken }));
  assert.equal(admin.total, 1);

  // Promotion needs ready/syncing.
  const early = await ctx.request("POST", `${base}/${id}/promote`, {
    token: client.token,
    body: {},
  });
  assert.equal(early.status, 409);
  assert.equal((await json(early)).code, "replica_not_ready");

  const sync = await json(
    await ctx.request("POST", `${base}/${id}/sync-status`, {
      token: client.token,
      body: { sync_status: "syncing", sync_latency_ms: 40, state_transfer_progress: 55.5 },
    }),
  );
  assert.equal(sync.status, "launching");
  const [mid] = await rows(
    ctx,
    "SELECT sync_status, sync_latency_ms, state_transfer_progress FROM replica_instances WHERE id = ?",
    [id],
  );
  assert.deepEqual(mid, {
    sync_status: "syncing",
    sync_latency_ms: 40,
    state_transfer_progress: 55.5,
  });
  ctx.clock.advance(60_000);
  const ready = await json(
    await ctx.request("POST", `${base}/${id}/status`, {
      token: client.token,
      body: { status: "ready" },
    }),
  );
  assert.equal(ready.status, "ready");
  const [r] = await rows<Record<string, unknown>>(
    ctx,
    "SELECT ready_at, sync_status, state_transfer_progress FROM replica_instances WHERE id = ?",
    [id],
  );
  // "ready" means the state transfer finished.
  assert.deepEqual(r, {
    ready_at: ctx.clock().toISOString(),
    sync_status: "synced",
    state_transfer_progress: 100,
  });

  // CD promotes with Content-Type: application/json and no body at all (T-24).
  const promoted = await ctx.app.request(`${base}/${id}/promote`, {
    method: "POST",
    headers: { "Authorization": `Bearer ${client.token}`, "Content-Type": "application/json" },
  });
  assert.equal(promoted.status, 200);
  const p = await json(promoted);
  assert.equal(p.new_instance_id, R1);
  assert.equal(p.old_instance_id, PRIMARY);
  assert.equal(p.old_instance_status, "zombie");
  assert.equal(p.demoted, false);
  const inst = await rows<Record<string, unknown>>(
    ctx,
    "SELECT id, instance_status, is_primary, is_active, agent_id, current_pool_id FROM instances ORDER BY id",
  );
  assert.deepEqual(inst, [
    {
      id: R1,
      instance_status: "running_primary",
      is_primary: 1,
      is_active: 1,
      agent_id: agentId,
      current_pool_id: "t3.medium.us-east-1b",
    },
    {
      id: PRIMARY,
      instance_status: "zombie",
      is_primary: 0,
      is_active: 1,
      agent_id: agentId,
      current_pool_id: "t3.medium.us-east-1a",
    },
  ]);
  const [a] = await rows<Record<string, unknown>>(
    ctx,
    "SELECT instance_id, current_pool_id, az, current_replica_id FROM agents WHERE id = ?",
    [agentId],
  );
  assert.deepEqual(a, {
    instance_id: R1,
    current_pool_id: "t3.medium.us-east-1b",
    az: "us-east-1b",
    current_replica_id: null,
  });
  const sw = await rows(
    ctx,
    "SELECT old_instance_id, new_instance_id, switch_reason FROM instance_switches",
  );
  assert.deepEqual(sw, [{
    old_instance_id: PRIMARY,
    new_instance_id: R1,
    switch_reason: "manual-replica-promotion",
  }]);
  const seg = await rows(
    ctx,
    "SELECT instance_id, ended_at IS NULL AS open, superseded_at IS NOT NULL AS sup FROM instance_segments ORDER BY instance_id",
  );
  assert.deepEqual(seg.map((s) => [s.instance_id, Number(s.open), Number(s.sup)]), [[R1, 1, 0], [
    PRIMARY,
    1,
    1,
  ]]);
  const twice = await ctx.request("POST", `${base}/${id}/promote`, { token: client.token });
  assert.equal(twice.status, 409);
  await twice.body?.cancel();

  // A new standby for the new primary, then deleted (its EC2 instance becomes a zombie record).
  const r2 = await json(
    await ctx.request("POST", base, {
      token: client.token,
      body: {
        instance_id: R2,
        replica_type: "manual",
        pool_id: "t3.medium.us-east-1c",
        status: "ready",
      },
    }),
  );
  const del = await ctx.request("DELETE", `${base}/${r2.replica_id}`, { token: client.token });
  assert.equal(del.status, 200);
  const d = await json(del);
  assert.equal(d.message, "Replica terminated");
  assert.equal(d.terminated_at, ctx.clock().toISOString());
  const again = await ctx.request("DELETE", `${base}/${r2.replica_id}`, { token: client.token });
  assert.equal(again.status, 409);
  await again.body?.cancel();
  const [z] = await rows(ctx, "SELECT instance_status, is_active FROM instances WHERE id = ?", [
    R2,
  ]);
  assert.deepEqual(z, { instance_status: "zombie", is_active: 0 });
  const all = await json(
    await ctx.request("GET", `${base}?include_terminated=true`, { token: client.token }),
  );
  assert.deepEqual(
    (all.replicas as Record<string, unknown>[]).map((x) => x.status).sort(),
    ["promoted", "terminated"],
  );
});

Deno.test("replicas: promoting an emergency replica resolves the notice and terminates the old primary", async () => {
  const ctx = await testContext("replicas_emergency_promote");
  const { client, sim, agentId } = await spotAgent(ctx, { instanceId: PRIMARY });
  const noticeAt = ctx.clock();
  const first = await sim.terminationImminent(new Date(noticeAt.getTime() + 120_000));
  assert.equal(first.body!.create_emergency_replica, true);
  ctx.clock.advance(40_000);
  const rep = await sim.call<Record<string, unknown>>("POST", `/api/agents/${agentId}/replicas`, {
    instance_id: R1,
    replica_type: "emergency",
    parent_instance_id: PRIMARY,
    pool_id: "t3.medium.us-east-1a",
    status: "ready",
  });
  assert.equal(rep.status, 200);
  ctx.clock.advance(20_000);
  // The user promotes from the dashboard before the replica's agent registers.
  const res = await ctx.request(
    "POST",
    `/api/agents/${agentId}/replicas/${rep.body!.replica_id}/promote`,
    {
      token: client.token,
      body: { demote_old_primary: true },
    },
  );
  assert.equal(res.status, 200);
  const p = await json(res);
  assert.equal(p.old_instance_status, "terminated"); // never demoted: it is being reclaimed
  assert.equal(p.demoted, false);
  const [ev] = await rows<Record<string, unknown>>(
    ctx,
    "SELECT status, new_instance_id, replica_ready_at, promoted_at FROM termination_events",
  );
  assert.deepEqual(ev, {
    status: "resolved",
    new_instance_id: R1,
    replica_ready_at: new Date(noticeAt.getTime() + 40_000).toISOString(),
    promoted_at: new Date(noticeAt.getTime() + 60_000).toISOString(),
  });
  const [old] = await rows(ctx, "SELECT instance_status, is_primary FROM instances WHERE id = ?", [
    PRIMARY,
  ]);
  assert.deepEqual(old, { instance_status: "terminated", is_primary: 0 });
  // The replica's agent registering afterwards is the primary already: a plain re-registration.
  const reg = await sim.successor({ instanceId: R1 }).register();
  assert.equal(reg.body!.agent_id, agentId);
  assert.equal(reg.body!.config.enabled, true);
});

Deno.test("replicas: the replica's agent may register before the agent reports the replica", async () => {
  const ctx = await testContext("replicas_register_first");
  const { sim, agentId } = await spotAgent(ctx, { instanceId: PRIMARY });
  await sim.terminationImminent(new Date(ctx.clock().getTime() + 120_000));
  ctx.clock.advance(50_000);
  await sim.successor({ instanceId: R1 }).register();
  ctx.clock.advance(10_000);
  const rep = await sim.call<Record<string, unknown>>("POST", `/api/agents/${agentId}/replicas`, {
    instance_id: R1,
    replica_type: "emergency",
    parent_instance_id: PRIMARY,
    pool_id: "t3.medium.us-east-1a",
    status: "ready",
  });
  assert.equal(rep.status, 200);
  assert.equal(rep.body!.status, "promoted");
  const [ev] = await rows(
    ctx,
    "SELECT status, new_instance_id, emergency_replica_id FROM termination_events",
  );
  assert.deepEqual(ev, {
    status: "resolved",
    new_instance_id: R1,
    emergency_replica_id: rep.body!.replica_id,
  });
  const [inst] = await rows(ctx, "SELECT instance_status, is_primary FROM instances WHERE id = ?", [
    R1,
  ]);
  assert.deepEqual(inst, { instance_status: "running_primary", is_primary: 1 });
});
