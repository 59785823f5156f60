import assert from "node:assert/strict";
import { createAuthCache } from "./auth_cache.ts";
import { hashOpaqueToken } from "./tokens.ts";

const T0 = Date.UTC(2026, 0, 1);

interface Principal {
  clientId: string;
  version: number;
}

function key(n: number): string {
  return n.toString(16).padStart(64, "0");
}

Deno.test("auth cache: hit within ttl, miss after (reads do not extend)", () => {
  const cache = createAuthCache<Principal>({ ttlMs: 30_000, maxEntries: 10 });
  cache.set(key(1), { clientId: "c1", version: 1 }, T0);
  assert.deepEqual(cache.get(key(1), T0 + 29_999), { clientId: "c1", version: 1 });
  assert.equal(cache.get(key(1), T0 + 30_000), undefined);
  assert.equal(cache.size(), 0, "expired entry dropped on read");
  assert.equal(cache.get(key(2), T0), undefined);
});

Deno.test("auth cache: set refreshes value and expiry", () => {
  const cache = createAuthCache<Principal>({ ttlMs: 1_000, maxEntries: 10 });
  cache.set(key(1), { clientId: "c1", version: 1 }, T0);
  cache.set(key(1), { clientId: "c1", version: 2 }, T0 + 900);
  assert.deepEqual(cache.get(key(1), T0 + 1_500), { clientId: "c1", version: 2 });
  assert.equal(cache.size(), 1);
});

Deno.test("auth cache: LRU eviction keeps size <= maxEntries", () => {
  const cache = createAuthCache<Principal>({ ttlMs: 60_000, maxEntries: 3 });
  for (let i = 1; i <= 3; i++) cache.set(key(i), { clientId: `c${i}`, version: 1 }, T0);
  cache.get(key(1), T0 + 1); // key 1 becomes most recently used
  cache.set(key(4), { clientId: "c4", version: 1 }, T0 + 2);
  assert.equal(cache.size(), 3);
  assert.equal(cache.get(key(2), T0 + 3), undefined, "least recently used evicted");
  assert.ok(cache.get(key(1), T0 + 3));
  for (let i = 10; i < 500; i++) {
    cache.set(key(i), { clientId: "x", version: 1 }, T0 + i);
    assert.ok(cache.size() <= 3);
  }
});

Deno.test("auth cache: delete and deleteWhere invalidate at once", () => {
  const cache = createAuthCache<Principal>({ ttlMs: 60_000, maxEntries: 10 });
  cache.set(key(1), { clientId: "a", version: 1 }, T0);
  cache.set(key(2), { clientId: "a", version: 1 }, T0);
  cache.set(key(3), { clientId: "b", version: 1 }, T0);
  const g0 = cache.generation();
  assert.equal(cache.deleteWhere((p) => p.clientId === "a"), 2);
  assert.equal(cache.get(key(1), T0), undefined);
  assert.equal(cache.get(key(2), T0), undefined);
  assert.ok(cache.get(key(3), T0));
  cache.delete(key(3));
  assert.equal(cache.size(), 0);
  assert.ok(cache.generation() > g0, "a lookup started before the revocation can tell");
  assert.equal(cache.deleteWhere(() => true), 0);
});

Deno.test("auth cache: keys must be SHA-256 hex, never a clear token", async () => {
  const cache = createAuthCache<Principal>({ ttlMs: 1_000, maxEntries: 10 });
  const p = { clientId: "c", version: 1 };
  assert.throws(() => cache.set("demo-token-12345", p, T0), TypeError);
  assert.throws(() => cache.get("demo-token-12345", T0), TypeError);
  assert.throws(() => cache.set(key(1).toUpperCase().replace("0", "A"), p, T0), TypeError);
  const h = await hashOpaqueToken("demo-token-12345");
  cache.set(h, p, T0);
  assert.deepEqual(cache.get(h, T0), p);
});

Deno.test("auth cache: rejects nonsense options", () => {
  assert.throws(() => createAuthCache({ ttlMs: 0, maxEntries: 1 }), RangeError);
  assert.throws(() => createAuthCache({ ttlMs: 1, maxEntries: 0 }), RangeError);
});
