/**
 * The heartbeat write-behind memo (services/heartbeat.ts) against the real database, two tenants:
 * a repeated beat costs no statement and is written by the next flush; a beat whose row changed
 * meanwhile (stale job, deletion, another instance) is replayed through the database path at the
 * flush; a later beat of the agent supersedes a queued one; another client's beat of the id is
 * never absorbed; many agents of one client beating at once while flushes run all end with their
 * last beat's time.
 */
import assert from "node:assert/strict";
import { markStaleAgentsOffline } from "../db/stale_agents.ts";
import { AgentSim } from "./agent_sim.ts";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";

async function setup(suite: string, env: Record<string, string> = {}) {
  // The auth cache outlives the test clock's jumps: statement counts are the heartbeat's own.
  const t = await testContext(suite, { engine: false, env: { AUTH_CACHE_TTL: "3600", ...env } });
  t.deps.services.heartbeats.setActive(true);
  const one = await t.createClient("memo-one");
  const two = await t.createClient("memo-two");
  return { t, one, two };
}

async function agent(t: TestContext, token: string, n: number): Promise<AgentSim> {
  const a = AgentSim.forApp(t.app, {
    token,
    instanceId: `i-memo${String(n).padStart(12, "0")}`,
    instanceType: "t3.medium",
    az: "us-east-1a",
    mode: "spot",
    now: t.clock,
  });
  const r = await a.register();
  assert.equal(r.status, 200);
  return a;
}

async function row(t: TestContext, agentId: string) {
  const r = await t.db.execute<{ status: string; last_heartbeat_at: string | null }>(
    "SELECT status, last_heartbeat_at FROM agents WHERE id = ?",
    [agentId],
  );
  return r.rows[0];
}

async function beat(a: AgentSim, status?: "online" | "offline") {
  const r = await a.heartbeat(status);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

Deno.test("heartbeat memo: a repeated beat costs no statement and the flush writes its time", async () => {
  const { t, one, two } = await setup("hb_memo_basic");
  const a = await agent(t, one.token, 1);
  const b = await agent(t, two.token, 2);
  t.clock.advance(30_000);
  const firstAt = t.clock().toISOString();
  await beat(a); // verifies through the database
  t.clock.advance(30_000);
  const before = t.db.roundTrips();
  await beat(a);
  assert.equal(t.db.roundTrips() - before, 0, "the repeat was answered from memory");
  assert.equal((await row(t, a.agentId!)).last_heartbeat_at, firstAt, "not written yet");

  // The other tenant's token with this agent id: never absorbed, 404 from the database.
  const foreign = await b.call("POST", `/api/agents/${a.agentId}/heartbeat`, {
    status: "online",
    instance_id: "i-memo000000000001",
    instance_type: "t3.medium",
    mode: "spot",
    az: "us-east-1a",
  });
  assert.equal(foreign.status, 404);
  // A beat with any other field takes the database at once.
  const other = await a.call("POST", `/api/agents/${a.agentId}/heartbeat`, {
    status: "online",
    instance_id: "i-memo000000000001",
    instance_type: "t3.large",
    mode: "spot",
    az: "us-east-1a",
  });
  assert.equal(other.status, 200);
  assert.equal((await row(t, a.agentId!)).last_heartbeat_at, t.clock().toISOString());

  // The slow path changed the row; the next such beat verifies through the one-UPDATE path, and
  // the repeat after it is absorbed, then flushed.
  const large = {
    status: "online",
    instance_id: "i-memo000000000001",
    instance_type: "t3.large",
    mode: "spot",
    az: "us-east-1a",
  };
  const counts: number[] = [];
  let lastAt = "";
  for (let i = 0; i < 2; i++) {
    t.clock.advance(30_000);
    lastAt = t.clock().toISOString();
    const n = t.db.roundTrips();
    const r = await a.call("POST", `/api/agents/${a.agentId}/heartbeat`, large);
    assert.equal(r.status, 200);
    counts.push(t.db.roundTrips() - n);
  }
  assert.deepEqual(counts, [1, 0]);
  const flushed = await t.deps.services.heartbeats.flush(t.deps);
  assert.deepEqual(flushed, { written: 1, replayed: 0, superseded: 0 });
  assert.equal((await row(t, a.agentId!)).last_heartbeat_at, lastAt);
  assert.equal((await row(t, b.agentId!)).status, "online");
});

Deno.test("heartbeat memo: a row marked offline meanwhile is brought back by the replayed beat", async () => {
  const { t, one } = await setup("hb_memo_stale");
  const a = await agent(t, one.token, 3);
  await beat(a);
  t.clock.advance(400_000); // past AGENT_HEARTBEAT_TIMEOUT (300 s)
  await beat(a); // absorbed: the row still says the old time
  assert.equal(t.deps.services.heartbeats.stats().queued, 1);
  // The stale job (here or on another instance) sees the old time and marks the agent offline.
  const marked = await markStaleAgentsOffline(t.db, {
    now: t.clock(),
    timeoutSeconds: t.config.AGENT_HEARTBEAT_TIMEOUT,
  });
  assert.equal(marked.length, 1);
  assert.equal((await row(t, a.agentId!)).status, "offline");

  const flushed = await t.deps.services.heartbeats.flush(t.deps);
  assert.deepEqual(flushed, { written: 0, replayed: 1, superseded: 0 });
  const r = await row(t, a.agentId!);
  assert.equal(r.status, "online", "the replayed beat went through the slow path");
  assert.equal(r.last_heartbeat_at, t.clock().toISOString());
  const events = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE agent_id = ? AND event_type = 'agent_status_changed'",
    [a.agentId],
  );
  assert.equal(events.rows[0].n, 1, "one status change event for the replayed beat");

  // The next beat verifies again through the database, the one after is absorbed.
  t.clock.advance(30_000);
  let n = t.db.roundTrips();
  await beat(a);
  assert.ok(t.db.roundTrips() - n >= 1);
  t.clock.advance(30_000);
  n = t.db.roundTrips();
  await beat(a);
  assert.equal(t.db.roundTrips() - n, 0);
});

Deno.test("heartbeat memo: a queued beat never undoes the agent's later shutdown beat", async () => {
  const { t, one } = await setup("hb_memo_supersede");
  const a = await agent(t, one.token, 4);
  await beat(a);
  t.clock.advance(30_000);
  await beat(a); // absorbed, queued as online
  t.clock.advance(1_000);
  await beat(a, "offline"); // different status: the database path, the agent goes offline
  assert.equal((await row(t, a.agentId!)).status, "offline");
  const flushed = await t.deps.services.heartbeats.flush(t.deps);
  assert.deepEqual(flushed, { written: 0, replayed: 0, superseded: 1 });
  assert.equal((await row(t, a.agentId!)).status, "offline");
});

Deno.test("heartbeat memo: a deleted agent stays deleted and a vanished one is skipped", async () => {
  const { t, one, two } = await setup("hb_memo_deleted");
  const a = await agent(t, one.token, 5);
  const b = await agent(t, two.token, 6);
  for (const x of [a, b]) await beat(x);
  t.clock.advance(30_000);
  for (const x of [a, b]) await beat(x); // both absorbed
  const del = await t.request("DELETE", `/api/client/agents/${a.agentId}`, { token: one.token });
  assert.equal(del.status, 200);
  await del.body?.cancel();
  // Another instance (or an operator) removes the other tenant's agent row altogether.
  await t.db.execute("DELETE FROM agents WHERE id = ?", [b.agentId]);
  const flushed = await t.deps.services.heartbeats.flush(t.deps);
  assert.deepEqual(flushed, { written: 0, replayed: 2, superseded: 0 });
  assert.equal((await row(t, a.agentId!)).status, "deleted");
  assert.equal(await row(t, b.agentId!), undefined);
  // Neither is absorbed any more: the deleted agent's beats are ignored, the gone one gets 404.
  t.clock.advance(30_000);
  assert.equal((await a.heartbeat()).status, 200);
  assert.equal((await b.heartbeat()).status, 404);
  assert.equal(t.deps.services.heartbeats.stats().queued, 0);
});

Deno.test("heartbeat memo: 120 agents of two clients beating at once while flushes run", async () => {
  const { t, one, two } = await setup("hb_memo_concurrent");
  const agents: AgentSim[] = [];
  for (let i = 0; i < 120; i++) {
    agents.push(await agent(t, i % 3 === 0 ? two.token : one.token, 100 + i));
  }
  const start = t.db.roundTrips();
  const memo = t.deps.services.heartbeats;
  for (let round = 0; round < 5; round++) {
    t.clock.advance(30_000);
    const flushes: Promise<unknown>[] = [];
    await Promise.all(agents.map(async (a, i) => {
      await beat(a);
      if (i % 40 === 0) flushes.push(memo.flush(t.deps));
    }));
    await Promise.all(flushes);
  }
  await memo.flush(t.deps);
  const used = t.db.roundTrips() - start;
  assert.ok(used < 120 * 5 / 2, `statements: ${used} for 600 beats`);
  const rows = await t.db.execute<{ id: string; status: string; last_heartbeat_at: string }>(
    "SELECT id, status, last_heartbeat_at FROM agents WHERE id IN (?)",
    [agents.map((a) => a.agentId)],
  );
  assert.equal(rows.rows.length, 120);
  for (const r of rows.rows) {
    assert.equal(r.status, "online");
    assert.equal(r.last_heartbeat_at, t.clock().toISOString(), `agent ${r.id}`);
  }
});

Deno.test("heartbeat memo: a legacy v3.2 beat (no type, AZ or mode) always takes the database", async () => {
  const { t, one } = await setup("hb_memo_legacy");
  const a = await agent(t, one.token, 8);
  for (let i = 0; i < 3; i++) {
    t.clock.advance(30_000);
    const n = t.db.roundTrips();
    const r = await a.call("POST", `/api/agents/${a.agentId}/heartbeat`, {
      status: "online",
      monitored_instances: ["i-memo000000000008"],
    });
    assert.equal(r.status, 200);
    assert.equal(t.db.roundTrips() - n, 1);
    assert.equal((await row(t, a.agentId!)).last_heartbeat_at, t.clock().toISOString());
  }
});

Deno.test("heartbeat memo: off without its flusher and with HEARTBEAT_WRITE_BEHIND_SECONDS=0", async () => {
  const envs: Record<string, string>[] = [
    { AUTH_CACHE_TTL: "3600" },
    { AUTH_CACHE_TTL: "3600", HEARTBEAT_WRITE_BEHIND_SECONDS: "0" },
  ];
  for (const env of envs) {
    const t = await testContext("hb_memo_off", { engine: false, env });
    if ("HEARTBEAT_WRITE_BEHIND_SECONDS" in env) t.deps.services.heartbeats.setActive(true);
    const c = await t.createClient();
    const a = await agent(t, c.token, 7);
    for (let i = 0; i < 3; i++) {
      t.clock.advance(30_000);
      const n = t.db.roundTrips();
      await beat(a);
      assert.equal(t.db.roundTrips() - n, 1, "one UPDATE per beat");
      assert.equal((await row(t, a.agentId!)).last_heartbeat_at, t.clock().toISOString());
    }
  }
});
