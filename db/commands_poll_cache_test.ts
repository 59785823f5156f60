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
  const c = new EmptyPollCache({ ttlMs: 30_000 });
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
