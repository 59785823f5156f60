/**
 * Client addresses come from trusted hops only (TRUSTED_PROXIES, issue 13 item 4): rotating
 * X-Forwarded-For does not evade the validate limiter, and failures sent "as" a victim's address
 * do not lock the victim out.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";

async function validateOver(
  fetcher: (path: string, init: RequestInit) => Promise<Response>,
  token: string,
  forwardedFor: string,
): Promise<number> {
  const res = await fetcher("/api/client/validate", {
    headers: { Authorization: `Bearer ${token}`, "X-Forwarded-For": forwardedFor },
  });
  await res.body?.cancel();
  return res.status;
}

/** Serves the app on a real socket (127.0.0.1) while `fn` runs. */
async function withServer(
  t: TestContext,
  fn: (send: (path: string, init: RequestInit) => Promise<Response>) => Promise<void>,
): Promise<void> {
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen: () => {} },
    t.app.fetch,
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    await fn((path, init) => fetch(`${base}${path}`, init));
  } finally {
    ac.abort();
    await server.finished;
  }
}

function inProcess(t: TestContext) {
  return (path: string, init: RequestInit) => Promise.resolve(t.app.request(path, init));
}

Deno.test("client address: with the default (none) a rotating X-Forwarded-For is ignored (real socket)", async () => {
  const t = await testContext("addr_none_socket", { env: { VALIDATE_RATE_LIMIT: "5" } });
  await withServer(t, async (remote) => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(await validateOver(remote, `wrong-${i}`, `198.51.100.${i + 1}`));
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    const lines = t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    assert.ok(lines.length >= 12);
    assert.ok(lines.every((l) => l.ip === "127.0.0.1"), JSON.stringify(lines[0]));
  });
});

Deno.test("client address: behind one proxy, a rotating left part does not evade the limiter", async () => {
  const t = await testContext("addr_rotate", {
    env: { TRUSTED_PROXIES: "1", VALIDATE_RATE_LIMIT: "5" },
  });
  const send = inProcess(t);
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    // The attacker's own X-Forwarded-For value, then what our proxy appended (its peer).
    statuses.push(await validateOver(send, `wrong-${i}`, `10.${i}.0.1, 203.0.113.66`));
  }
  assert.equal(statuses.filter((s) => s === 401).length, 5);
  assert.equal(statuses.filter((s) => s === 429).length, 35);
  const events = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'client_token_validation'",
  );
  assert.ok(Number(events.rows[0]!.n) <= 6, `events ${events.rows[0]!.n}`);
});

Deno.test("client address: failures sent as a victim's address do not lock out the victim", async () => {
  // One nginx hop (count) or a load balancer known by its range; the proxy is 127.0.0.1 here.
  for (const trusted of ["1", "127.0.0.0/8"]) {
    const t = await testContext("addr_victim", {
      env: { TRUSTED_PROXIES: trusted, VALIDATE_RATE_LIMIT: "5" },
    });
    const c = await t.createClient();
    await withServer(t, async (send) => {
      const victim = "198.51.100.20";
      for (let i = 0; i < 25; i++) {
        // The attacker writes the victim's address; the proxy appends the attacker's.
        const status = await validateOver(send, `wrong-${i}`, `${victim}, 203.0.113.66`);
        assert.ok(status === 401 || status === 429, String(status));
      }
      assert.equal(await validateOver(send, "wrong-x", "203.0.113.66"), 429);
      assert.equal(await validateOver(send, c.token, victim), 200, trusted);
    });
  }
});
