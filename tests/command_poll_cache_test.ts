/**
 * pending-commands answers [] from memory after an empty answer (db/commands_poll_cache.ts): two
 * app instances on one database, two tenants. A command queued through an instance is delivered on
 * that instance's next poll; the other instance sees it within COMMAND_POLL_CACHE_SECONDS.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { queueSwitchCommand } from "../db/commands.ts";
import { testClock, testContext, testKeySpec, testStack } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { seedTenant, type Tenant } from "./_tenant_fixtures.ts";

async function twoInstances(suite: string, env: Record<string, string> = {}) {
  const stack = await testStack();
  const name = `t_${suite}_${crypto.randomUUID().slice(0, 8)}`;
  const db1 = stack.open(name);
  await migrate(db1);
  const clock = testClock();
  const keys = { TOKEN_SIGNING_KEYS: testKeySpec(), ...env };
  const one = await testContext(`${suite}_1`, { db: db1, clock, env: keys });
  // Another handle on the same database: another server process, as far as memos go.
  const two = await testContext(`${suite}_2`, { db: stack.open(name), clock, env: keys });
  return { one, two, clock };
}

async function poll(t: TestContext, tenant: Tenant, agentId = tenant.agentId) {
  const res = await t.request("GET", `/api/agents/${agentId}/pending-commands`, {
    token: tenant.token,
  });
  return { status: res.status, body: await res.json() };
}

async function queue(t: TestContext, tenant: Tenant, mode: "spot" | "ondemand" = "ondemand") {
  return (await queueSwitchCommand(t.db, {
    clientId: tenant.clientId,
    agentId: tenant.agentId,
    targetMode: mode,
    targetPoolId: mode === "spot" ? "t3.medium.us-east-1b" : null,
    priority: 75,
    createdBy: "manual",
    triggerType: "manual",
    now: t.clock(),
    pendingTtlSeconds: 3600,
  })).id;
}

async function complete(t: TestContext, tenant: Tenant, commandId: string) {
  const res = await t.request(
    "POST",
    `/api/agents/${tenant.agentId}/commands/${commandId}/executed`,
    { token: tenant.token, body: { success: true } },
  );
  assert.equal(res.status, 200);
  await res.body?.cancel();
}

/** Delivers and completes the command seedTenant leaves pending. */
async function drainSeeded(t: TestContext, tenant: Tenant) {
  const first = await poll(t, tenant);
  assert.deepEqual(first.body.map((c: { id: string }) => c.id), [tenant.commandId]);
  await complete(t, tenant, tenant.commandId);
}

Deno.test("poll memo: an empty answer costs no statement; a command queued here is delivered on the next poll", async () => {
  const { one } = await twoInstances("poll_memo_here");
  const a = await seedTenant(one, "a");
  const b = await seedTenant(one, "b");
  await drainSeeded(one, a);
  await drainSeeded(one, b);

  assert.deepEqual((await poll(one, a)).body, []); // stored
  const before = one.db.roundTrips();
  for (let i = 0; i < 3; i++) assert.deepEqual((await poll(one, a)).body, []);
  assert.equal(one.db.roundTrips() - before, 0, "memoised [] answers send no statement");

  // Another tenant never rides on A's memo: its poll of A's agent goes to the database (404).
  assert.equal((await poll(one, b, a.agentId)).status, 404);

  // Queued through this instance: the very next poll delivers it, and B's memo is untouched.
  assert.deepEqual((await poll(one, b)).body, []);
  const id = await queue(one, a);
  const next = await poll(one, a);
  assert.deepEqual(next.body.map((c: { id: string }) => c.id), [id]);
  assert.deepEqual((await poll(one, a)).body, [], "delivered once (T-06)");
  const beforeB = one.db.roundTrips();
  assert.deepEqual((await poll(one, b)).body, []);
  assert.equal(one.db.roundTrips() - beforeB, 0);
});

Deno.test("poll memo: another instance's command is delivered within COMMAND_POLL_CACHE_SECONDS", async () => {
  const { one, two, clock } = await twoInstances("poll_memo_other");
  const a = await seedTenant(one, "a");
  const b = await seedTenant(one, "b");
  await drainSeeded(two, a);
  await drainSeeded(two, b);
  const ttlMs = two.config.COMMAND_POLL_CACHE_SECONDS * 1000;
  assert.ok(ttlMs > 30_000, "the default outlives two 15 s polls (two polls of three hit)");
  assert.deepEqual((await poll(two, a)).body, []); // instance two stores [] (a random first life)
  assert.deepEqual((await poll(two, b)).body, []);
  clock.advance(ttlMs);
  assert.deepEqual((await poll(two, a)).body, []); // stored again, now for the whole ttlMs

  const id = await queue(one, a); // queued through instance one
  clock.advance(ttlMs - 1_000);
  assert.deepEqual((await poll(two, a)).body, [], "within the bound the memo may hide it");
  clock.advance(1_000); // COMMAND_POLL_CACHE_SECONDS after the memo was stored
  const late = await poll(two, a);
  assert.deepEqual(late.body.map((c: { id: string }) => c.id), [id]);
  // B's command queued on one, polled on one: at once (one has no memo of B).
  const idB = await queue(one, b);
  assert.deepEqual((await poll(one, b)).body.map((c: { id: string }) => c.id), [idB]);
});

Deno.test("poll memo: a pending command of a disabled agent is not memoised; 0 turns the memo off", async () => {
  const { one } = await twoInstances("poll_memo_disabled");
  const a = await seedTenant(one, "a");
  await drainSeeded(one, a);
  await one.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [a.agentId]);
  const id = await queue(one, a);
  assert.deepEqual((await poll(one, a)).body, [], "a disabled agent gets []");
  // Enabled again behind the server's back (no route, so no invalidation): delivered at once.
  await one.db.execute("UPDATE agents SET enabled = 1 WHERE id = ?", [a.agentId]);
  assert.deepEqual((await poll(one, a)).body.map((c: { id: string }) => c.id), [id]);

  const off = await twoInstances("poll_memo_off", { COMMAND_POLL_CACHE_SECONDS: "0" });
  const c = await seedTenant(off.one, "c");
  await drainSeeded(off.one, c);
  assert.deepEqual((await poll(off.one, c)).body, []);
  const r = off.one.db.roundTrips();
  assert.deepEqual((await poll(off.one, c)).body, []);
  assert.ok(off.one.db.roundTrips() - r >= 1, "with 0 every poll reads the database");
});

Deno.test("poll memo: polls racing a command insert never hide it; it is delivered exactly once", async () => {
  const { one } = await twoInstances("poll_memo_race");
  const a = await seedTenant(one, "a");
  const b = await seedTenant(one, "b");
  await drainSeeded(one, a);
  await drainSeeded(one, b);
  for (let round = 0; round < 5; round++) {
    assert.deepEqual((await poll(one, a)).body, []); // memoised before the race
    let id = "";
    const polls = await Promise.all([
      ...Array.from({ length: 12 }, () => poll(one, a)),
      queue(one, a).then((x) => {
        id = x;
        return null;
      }),
      ...Array.from({ length: 12 }, () => poll(one, a)),
      poll(one, b), // the other tenant, side by side: never sees A's command
    ]);
    const delivered = polls.flatMap((p) => p?.body ?? []).map((c: { id: string }) => c.id);
    const after = (await poll(one, a)).body.map((c: { id: string }) => c.id);
    assert.deepEqual([...delivered, ...after], [id], `round ${round}: one delivery`);
    await complete(one, a, id);
  }
});
