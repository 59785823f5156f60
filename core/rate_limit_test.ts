import assert from "node:assert/strict";
import { createRateLimiter } from "./rate_limit.ts";

const T0 = Date.UTC(2026, 0, 1);

Deno.test("rate limit: allows limit hits per window, then denies with Retry-After", () => {
  const rl = createRateLimiter({ limit: 3, windowMs: 60_000, maxKeys: 100 });
  assert.deepEqual(rl.hit("1.2.3.4", T0), { allowed: true, retryAfterSeconds: 0, remaining: 2 });
  assert.deepEqual(rl.hit("1.2.3.4", T0 + 1000), {
    allowed: true,
    retryAfterSeconds: 0,
    remaining: 1,
  });
  assert.deepEqual(rl.hit("1.2.3.4", T0 + 2000), {
    allowed: true,
    retryAfterSeconds: 0,
    remaining: 0,
  });
  assert.deepEqual(rl.hit("1.2.3.4", T0 + 2000), {
    allowed: false,
    retryAfterSeconds: 58,
    remaining: 0,
  });
  // Rounded up: 500 ms left is still "retry in 1 s", never 0.
  assert.equal(rl.hit("1.2.3.4", T0 + 59_500).retryAfterSeconds, 1);
  assert.equal(rl.hit("1.2.3.4", T0 + 30_001).retryAfterSeconds, 30);
  // Other keys are independent.
  assert.equal(rl.hit("5.6.7.8", T0 + 2000).allowed, true);
});

Deno.test("rate limit: recovers after the window", () => {
  const rl = createRateLimiter({ limit: 2, windowMs: 10_000, maxKeys: 10 });
  for (let i = 0; i < 50; i++) rl.hit("k", T0 + i);
  assert.equal(rl.hit("k", T0 + 9_999).allowed, false);
  const after = rl.hit("k", T0 + 10_000);
  assert.deepEqual(after, { allowed: true, retryAfterSeconds: 0, remaining: 1 });
});

Deno.test("rate limit: peek does not count and predicts the next hit", () => {
  const rl = createRateLimiter({ limit: 2, windowMs: 10_000, maxKeys: 10 });
  assert.deepEqual(rl.peek("k", T0), { allowed: true, retryAfterSeconds: 0, remaining: 2 });
  assert.equal(rl.size(), 0);
  rl.hit("k", T0);
  rl.hit("k", T0);
  assert.deepEqual(rl.peek("k", T0 + 4_000), {
    allowed: false,
    retryAfterSeconds: 6,
    remaining: 0,
  });
  assert.equal(rl.peek("k", T0 + 10_000).allowed, true);
});

Deno.test("rate limit: reset forgets a key", () => {
  const rl = createRateLimiter({ limit: 1, windowMs: 10_000, maxKeys: 10 });
  rl.hit("k", T0);
  assert.equal(rl.hit("k", T0).allowed, false);
  rl.reset("k");
  assert.equal(rl.size(), 0);
  assert.equal(rl.hit("k", T0).allowed, true);
});

Deno.test("rate limit: size stays within maxKeys", async (t) => {
  await t.step("live windows: the oldest is evicted", () => {
    const rl = createRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 3 });
    for (let i = 0; i < 1000; i++) {
      rl.hit(`ip-${i}`, T0 + i);
      assert.ok(rl.size() <= 3);
    }
    // The newest keys are still limited; the evicted oldest starts afresh.
    assert.equal(rl.hit("ip-999", T0 + 1000).allowed, false);
    assert.equal(rl.hit("ip-0", T0 + 1000).allowed, true);
  });
  await t.step("expired windows are swept before live ones", () => {
    const rl = createRateLimiter({ limit: 1, windowMs: 1_000, maxKeys: 3 });
    rl.hit("old-a", T0);
    rl.hit("old-b", T0);
    rl.hit("live", T0 + 1_500);
    rl.hit("new", T0 + 1_600);
    assert.equal(rl.size(), 2);
    assert.equal(rl.hit("live", T0 + 1_700).allowed, false, "live window kept");
  });
});

Deno.test("rate limit: a clock that steps back never yields a longer wait than a window", () => {
  const rl = createRateLimiter({ limit: 1, windowMs: 5_000, maxKeys: 10 });
  rl.hit("k", T0);
  const r = rl.hit("k", T0 - 60_000);
  assert.equal(r.allowed, false);
  assert.equal(r.retryAfterSeconds, 5);
});

Deno.test("rate limit: rejects nonsense options", () => {
  assert.throws(() => createRateLimiter({ limit: 0, windowMs: 1000, maxKeys: 1 }), RangeError);
  assert.throws(() => createRateLimiter({ limit: 1, windowMs: 0, maxKeys: 1 }), RangeError);
  assert.throws(() => createRateLimiter({ limit: 1, windowMs: 1000, maxKeys: 0 }), RangeError);
});
