import assert from "node:assert/strict";
import { EmptyPollCache, invalidatePollCache, pollCacheOf } from "./commands_poll_cache.ts";

Deno.test("poll memo: a poll that started before an invalidation never stores its answer", () => {
  const c = new EmptyPollCache({ ttlMs: 30_000 });
  const token = c.begin("agent-1"); // the poll reads the database ...
  c.invalidate("agent-1"); // ... while a command is queued
  c.remember(token, "client-a", 1_000);
  assert.equal(c.isEmpty("client-a", "agent-1", 1_000), false);
  const next = c.begin("agent-1"); // a poll after the insert stores its [] again
  c.remember(next, "client-a", 2_000);
  assert.equal(c.isEmpty("client-a", "agent-1", 2_000), true);
});

Deno.test("poll memo: entries are per client and expire after ttlMs", () => {
  const c = new EmptyPollCache({ ttlMs: 30_000, random: () => 0 });
  c.remember(c.begin("agent-1"), "client-a", 0);
  assert.equal(c.isEmpty("client-b", "agent-1", 1), false, "another client never hits");
  assert.equal(c.isEmpty("client-a", "agent-1", 29_999), true);
  assert.equal(c.isEmpty("client-a", "agent-1", 30_000), false);
  const off = new EmptyPollCache({ ttlMs: 0 });
  off.remember(off.begin("agent-1"), "client-a", 0);
  assert.equal(off.isEmpty("client-a", "agent-1", 0), false);
});

Deno.test("poll memo: bounded; a full memo starts over and fails polls in flight", () => {
  const c = new EmptyPollCache({ ttlMs: 30_000, maxEntries: 2 });
  c.remember(c.begin("a"), "x", 0);
  const inFlight = c.begin("z");
  c.remember(c.begin("b"), "x", 0);
  c.remember(c.begin("c"), "x", 0); // full: cleared
  assert.equal(c.size, 0);
  c.remember(inFlight, "x", 0);
  assert.equal(c.isEmpty("x", "z", 0), false);
});

Deno.test("poll memo: one memo per database handle; invalidation reaches only that handle's", () => {
  const db1 = {};
  const db2 = {};
  const m1 = pollCacheOf(db1, 30_000);
  assert.equal(pollCacheOf(db1, 30_000), m1);
  const m2 = pollCacheOf(db2, 30_000);
  m1.remember(m1.begin("agent"), "c", 0);
  m2.remember(m2.begin("agent"), "c", 0);
  invalidatePollCache(db1, "agent");
  assert.equal(m1.isEmpty("c", "agent", 1), false);
  assert.equal(m2.isEmpty("c", "agent", 1), true);
  invalidatePollCache({}, "agent"); // a handle without a memo: nothing to do
});

Deno.test("poll memo: an agent's first answer lives a random part of ttlMs, later ones all of it", () => {
  const draws = [0.5, 0.9375, 0.25];
  const c = new EmptyPollCache({ ttlMs: 36_000, random: () => draws.shift()! });
  c.remember(c.begin("a"), "x", 0); // first life 18 s
  c.remember(c.begin("b"), "x", 0); // first life 2.25 s
  assert.equal(c.isEmpty("x", "a", 17_999), true);
  assert.equal(c.isEmpty("x", "a", 18_000), false, "the first answer expired early");
  assert.equal(c.isEmpty("x", "b", 2_249), true);
  assert.equal(c.isEmpty("x", "b", 2_250), false);
  c.remember(c.begin("a"), "x", 20_000); // second store: the whole ttlMs
  assert.equal(c.isEmpty("x", "a", 55_999), true);
  assert.equal(c.isEmpty("x", "a", 56_000), false);
  c.invalidate("c"); // an invalidated agent has an entry: its first store gets the whole ttlMs
  c.remember(c.begin("c"), "x", 0);
  assert.equal(c.isEmpty("x", "c", 35_999), true);
  assert.deepEqual(draws, [0.25], "one draw per agent's first store");
});

Deno.test("poll memo: first lives spread a fleet's misses instead of one wave every 45 s", () => {
  // 3,000 agents, first polls within the same 15 s after a start, then every 15 s: count the
  // polls that miss in each 15 s third of the 45 s cycle, from the second cycle on.
  const ttlMs = 35_000;
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const c = new EmptyPollCache({ ttlMs, random });
  const perThird = [0, 0, 0];
  for (let a = 0; a < 3_000; a++) {
    const phase = (a / 3_000) * 15_000;
    for (let t = phase; t < 180_000; t += 15_000) {
      const id = `agent-${a}`;
      if (c.isEmpty("x", id, t)) continue;
      c.remember(c.begin(id), "x", t);
      if (t >= 45_000) perThird[Math.floor((t % 45_000) / 15_000)]++;
    }
  }
  const total = perThird[0] + perThird[1] + perThird[2];
  assert.ok(total > 0);
  for (const n of perThird) {
    assert.ok(n / total < 0.5, `misses per third ${perThird}: no third takes half of them`);
  }
});
