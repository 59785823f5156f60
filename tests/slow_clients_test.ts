/**
 * Slow and vanishing clients (issue 13 item 6), over a real socket: the body is read only after
 * authentication, within BODY_READ_TIMEOUT_MS (408) and MAX_BODY_BYTES (413); a client that
 * disconnects mid-body is logged at info level as 499, never as a 500.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";

const enc = new TextEncoder();

function serve(t: TestContext) {
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen: () => {} },
    t.app.fetch,
  );
  return {
    port: server.addr.port,
    async close() {
      ac.abort();
      await server.finished;
    },
  };
}

/** Sends `head` (and optional body bytes) on a raw connection; reads the answer's status line. */
async function rawRequest(
  port: number,
  head: string,
  body = "",
  opts: { waitMs?: number; closeAfterSend?: boolean } = {},
): Promise<{ status: number | null; ms: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const started = performance.now();
  await conn.write(enc.encode(head + body));
  if (opts.closeAfterSend) {
    conn.close();
    return { status: null, ms: 0 };
  }
  const buf = new Uint8Array(512);
  const timer = setTimeout(() => conn.close(), opts.waitMs ?? 5000);
  let text = "";
  try {
    const n = await conn.read(buf);
    if (n) text = new TextDecoder().decode(buf.subarray(0, n));
  } catch {
    // closed by the timer: no answer
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed */ }
  }
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return { status: m ? Number(m[1]) : null, ms: performance.now() - started };
}

function post(path: string, headers: Record<string, string>): string {
  const lines = Object.entries({ Host: "x", "Content-Type": "application/json", ...headers })
    .map(([k, v]) => `${k}: ${v}`);
  return `POST ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}

Deno.test("slow clients: the body is not read before authentication", async () => {
  const t = await testContext("slow_auth_first", { env: { BODY_READ_TIMEOUT_MS: "10000" } });
  const s = serve(t);
  try {
    // A body that never comes: without a credential the answer is 401 at once, not a wait.
    const r = await rawRequest(
      s.port,
      post(`/api/agents/${crypto.randomUUID()}/heartbeat`, { "Content-Length": "500" }),
      '{"status":',
    );
    assert.equal(r.status, 401);
    assert.ok(r.ms < 3000, `answered after ${r.ms} ms`);
  } finally {
    await s.close();
  }
});

Deno.test("slow clients: a body slower than BODY_READ_TIMEOUT_MS gets 408; too large gets 413", async () => {
  const t = await testContext("slow_body", {
    env: { BODY_READ_TIMEOUT_MS: "300", MAX_BODY_BYTES: "2048" },
  });
  const c = await t.createClient();
  const s = serve(t);
  try {
    const auth = { Authorization: `Bearer ${c.token}` };
    const path = `/api/agents/${crypto.randomUUID()}/heartbeat`;
    const slow = await rawRequest(s.port, post(path, { ...auth, "Content-Length": "500" }), "{");
    assert.equal(slow.status, 408);
    assert.ok(slow.ms < 3000, `answered after ${slow.ms} ms`);
    // Chunked, so no Content-Length tells the size up front: counted while reading.
    const chunk = "x".repeat(1000);
    const chunks = [1, 2, 3].map(() => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("");
    const big = await rawRequest(
      s.port,
      post(path, { ...auth, "Transfer-Encoding": "chunked" }),
      `${chunks}0\r\n\r\n`,
    );
    assert.equal(big.status, 413);
    const declared = await rawRequest(s.port, post(path, { ...auth, "Content-Length": "9999" }));
    assert.equal(declared.status, 413);
  } finally {
    await s.close();
  }
});

Deno.test("slow clients: a client that disconnects mid-body is logged as 499 at info, never a 500", async () => {
  const t = await testContext("slow_vanish", { env: { BODY_READ_TIMEOUT_MS: "5000" } });
  const c = await t.createClient();
  const s = serve(t);
  try {
    const auth = { Authorization: `Bearer ${c.token}` };
    for (let i = 0; i < 5; i++) {
      await rawRequest(
        s.port,
        post(`/api/agents/${crypto.randomUUID()}/heartbeat`, { ...auth, "Content-Length": "800" }),
        '{"status":"online"',
        { closeAfterSend: true },
      );
    }
    const deadline = Date.now() + 5000;
    const requests = () =>
      t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request" && l.status === 499);
    while (requests().length < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(requests().length, 5);
    assert.ok(requests().every((l) => l.level === "info"));
    const errors = t.logs.map((l) => JSON.parse(l)).filter((l) => l.level === "error");
    assert.deepEqual(errors, []);
  } finally {
    await s.close();
  }
});
