import assert from "node:assert/strict";
import { encodeRequest, Http1Pool } from "./_http1.ts";
import type { Http1Options } from "./_http1.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  contentType: string | null;
  body: string;
}

/** A Deno.serve on 127.0.0.1:0 with a few routes; records what it received. */
function startServer() {
  const seen: Seen[] = [];
  const big = "x".repeat(200 * 1024);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({
      method: req.method,
      path: url.pathname + url.search,
      authorization: req.headers.get("authorization"),
      contentType: req.headers.get("content-type"),
      body: await req.text(),
    });
    switch (url.pathname) {
      case "/unavailable":
        return Response.json({ error: "busy" }, { status: 503 });
      case "/big":
        return new Response(big, { headers: { "content-type": "text/plain" } });
      case "/chunked": {
        const parts = ["first,", "x".repeat(40_000), ",", "", "last"];
        const body = new ReadableStream<Uint8Array>({
          async pull(c) {
            const p = parts.shift();
            if (p === undefined) return c.close();
            c.enqueue(enc.encode(p));
            await new Promise((r) => setTimeout(r, 5));
          },
        });
        return new Response(body, { headers: { "content-type": "text/plain" } });
      }
      case "/empty":
        return new Response(null, { status: 204 });
      case "/close":
        return new Response("bye", { headers: { connection: "close" } });
      default:
        return Response.json({ method: req.method, path: url.pathname, n: seen.length });
    }
  });
  const host = `127.0.0.1:${server.addr.port}`;
  return { server, seen, host, port: server.addr.port, big };
}

Deno.test("GET and POST are received as sent, their responses read back", async () => {
  const s = startServer();
  const pool = new Http1Pool({ hostname: "127.0.0.1", port: s.port });
  try {
    const headers = {
      "Authorization": "Bearer tok-1",
      "Content-Type": "application/json",
      "User-Agent": "python-requests/2.31.0",
    };
    const get = await pool.request(
      encodeRequest("GET", "/api/agents/a1/config?x=1", s.host, headers),
    );
    assert.equal(get.error, null);
    assert.equal(get.status, 200);
    assert.ok(get.ok);
    assert.deepEqual(JSON.parse(dec.decode(get.body)), {
      method: "GET",
      path: "/api/agents/a1/config",
      n: 1,
    });
    const json = JSON.stringify({ status: "online", note: "héllo" });
    const post = await pool.request(
      encodeRequest("POST", "/api/agents/a1/heartbeat", s.host, headers, json),
    );
    assert.equal(post.status, 200);
    assert.ok(post.ok);
    assert.deepEqual(JSON.parse(dec.decode(post.body)), {
      method: "POST",
      path: "/api/agents/a1/heartbeat",
      n: 2,
    });
    assert.deepEqual(s.seen, [
      {
        method: "GET",
        path: "/api/agents/a1/config?x=1",
        authorization: "Bearer tok-1",
        contentType: "application/json",
        body: "",
      },
      {
        method: "POST",
        path: "/api/agents/a1/heartbeat",
        authorization: "Bearer tok-1",
        contentType: "application/json",
        body: json,
      },
    ]);
    // Keep-alive: both went over one connection.
    assert.equal(pool.opened, 1);
    assert.equal(pool.connections, 1);
  } finally {
    await pool.close();
    await s.server.shutdown();
  }
});

Deno.test("encodeRequest sends the headers fetch sends", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const capture = async () => {
    const c = await l.accept();
    const raw = await readRequest(c);
    await c.write(enc.encode("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"));
    c.close();
    return raw;
  };
  const headers = {
    "Authorization": "Bearer t",
    "Content-Type": "application/json",
    "User-Agent": "python-requests/2.31.0",
  };
  const body = JSON.stringify({ a: "ü", b: [1, 2] });
  try {
    const viaFetch = capture();
    await (await fetch(`http://127.0.0.1:${port}/p/q`, { method: "POST", headers, body })).body
      ?.cancel();
    const fromFetch = await viaFetch;
    const viaPool = capture();
    const pool = new Http1Pool({ hostname: "127.0.0.1", port });
    const res = await pool.request(
      encodeRequest("POST", "/p/q", `127.0.0.1:${port}`, headers, body),
    );
    await pool.close();
    assert.equal(res.status, 200);
    const fromPool = await viaPool;
    assert.equal(fromPool.line, fromFetch.line);
    assert.deepEqual(fromPool.headers, fromFetch.headers);
    assert.equal(fromPool.body, fromFetch.body);
  } finally {
    l.close();
  }
});

Deno.test("500 concurrent requests all complete (queued beyond the connection cap)", async () => {
  const s = startServer();
  for (const maxConnections of [2000, 16]) {
    const pool = new Http1Pool({ hostname: "127.0.0.1", port: s.port, maxConnections });
    try {
      const results = await Promise.all(
        Array.from(
          { length: 500 },
          (_, i) => pool.request(encodeRequest("POST", `/r/${i}`, s.host, {}, `{"i":${i}}`)),
        ),
      );
      for (const [i, r] of results.entries()) {
        assert.equal(r.error, null, `request ${i}`);
        assert.equal(r.status, 200);
        assert.equal(JSON.parse(dec.decode(r.body)).path, `/r/${i}`);
      }
      assert.ok(pool.opened <= maxConnections);
      assert.equal(pool.queued, 0);
    } finally {
      await pool.close();
    }
  }
  assert.equal(s.seen.length, 1000);
  await s.server.shutdown();
});

Deno.test("a 503 answer is an error result; 204 and Connection: close are handled", async () => {
  const s = startServer();
  const pool = new Http1Pool({ hostname: "127.0.0.1", port: s.port });
  try {
    const r = await pool.request(encodeRequest("GET", "/unavailable", s.host));
    assert.equal(r.status, 503);
    assert.equal(r.ok, false);
    assert.deepEqual(JSON.parse(dec.decode(r.body)), { error: "busy" });
    const e = await pool.request(encodeRequest("GET", "/empty", s.host));
    assert.equal(e.status, 204);
    assert.ok(e.ok);
    assert.equal(e.body.length, 0);
    const c = await pool.request(encodeRequest("GET", "/close", s.host));
    assert.ok(c.ok);
    assert.equal(dec.decode(c.body), "bye");
    assert.equal(pool.connections, 0, "a Connection: close connection leaves the pool");
    const again = await pool.request(encodeRequest("GET", "/x", s.host));
    assert.ok(again.ok);
    assert.equal(pool.opened, 2);
  } finally {
    await pool.close();
    await s.server.shutdown();
  }
});

Deno.test("a 200 KB body and a chunked body are read whole", async () => {
  const s = startServer();
  const pool = new Http1Pool({ hostname: "127.0.0.1", port: s.port });
  try {
    for (let i = 0; i < 3; i++) {
      const big = await pool.request(encodeRequest("GET", "/big", s.host));
      assert.ok(big.ok);
      assert.equal(big.body.length, s.big.length);
      assert.equal(dec.decode(big.body), s.big);
      const ch = await pool.request(encodeRequest("GET", "/chunked", s.host));
      assert.ok(ch.ok);
      assert.equal(dec.decode(ch.body), `first,${"x".repeat(40_000)},last`);
    }
    assert.equal(pool.opened, 1, "the connection stays usable after both");
  } finally {
    await pool.close();
    await s.server.shutdown();
  }
});

/** What a test on a raw TCP server gets. */
interface RawCtx {
  pool: Http1Pool;
  port: number;
  /** The serve function's promise ("hold": accepting until the listener closes). */
  served: Promise<unknown>;
  /** Connections accepted by "hold" (never answered). */
  conns: Deno.Conn[];
}

/**
 * Runs `test` against a raw listener on 127.0.0.1:0 served by `serve` ("hold": accept every
 * connection and never answer) and a pool on it; closes the pool, the listener and held
 * connections afterwards.
 */
async function onRawServer(
  serve: ((l: Deno.TcpListener) => Promise<unknown>) | "hold",
  poolOpts: Omit<Http1Options, "hostname" | "port">,
  test: (ctx: RawCtx) => Promise<void>,
): Promise<void> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const conns: Deno.Conn[] = [];
  const served = serve === "hold"
    ? (async () => {
      for await (const c of l) conns.push(c);
    })()
    : serve(l);
  const pool = new Http1Pool({ hostname: "127.0.0.1", port, ...poolOpts });
  try {
    await test({ pool, port, served, conns });
  } finally {
    await pool.close();
    l.close();
    await served.catch(() => {});
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }
}

Deno.test("chunked framing split at every byte, with extensions and trailers", async () => {
  const response = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" +
    "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nx-trailer: 1\r\n\r\n";
  const serve = async (l: Deno.TcpListener) => {
    const c = await l.accept();
    c.setNoDelay(true);
    for (let i = 0; i < 2; i++) {
      await readRequest(c);
      for (const byte of enc.encode(response)) {
        await c.write(new Uint8Array([byte]));
        if (i === 0) await new Promise((r) => setTimeout(r, 0));
      }
    }
    c.close();
  };
  await onRawServer(serve, {}, async ({ pool, port, served }) => {
    for (let i = 0; i < 2; i++) {
      const r = await pool.request(encodeRequest("GET", "/", `127.0.0.1:${port}`));
      assert.equal(r.error, null);
      assert.equal(dec.decode(r.body), "hello, world!!!");
    }
    await served;
  });
});

Deno.test("a connection closed mid-response fails its request (not retried)", async () => {
  let accepted = 0;
  const serve = async (l: Deno.TcpListener) => {
    const c = await l.accept();
    accepted++;
    await readRequest(c);
    await c.write(enc.encode("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"));
    c.close();
  };
  await onRawServer(serve, {}, async ({ pool, port, served }) => {
    const r = await pool.request(encodeRequest("GET", "/", `127.0.0.1:${port}`));
    assert.equal(r.ok, false);
    assert.equal(r.status, 0);
    assert.match(r.error ?? "", /closed/);
    assert.equal(pool.connections, 0);
    await served;
    assert.equal(accepted, 1);
  });
});

Deno.test("a server that never answers is timed out by the sweep", async () => {
  await onRawServer("hold", { timeoutMs: 300, sweepMs: 100 }, async ({ pool, port, conns }) => {
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: 3 }, () => pool.request(encodeRequest("GET", "/", `127.0.0.1:${port}`))),
    );
    const took = performance.now() - t0;
    for (const r of results) {
      assert.equal(r.ok, false);
      assert.equal(r.error, "timeout");
    }
    assert.ok(took >= 300 && took < 1500, `timed out after ${took} ms`);
    assert.equal(pool.timeouts, 3);
    assert.equal(pool.connections, 0, "timed-out connections are closed");
    // The server side gets the request, then sees the close.
    assert.equal(conns.length, 3);
    for (const c of conns) {
      const raw = await readRequest(c);
      assert.equal(raw.line, "GET / HTTP/1.1");
      assert.equal(await c.read(new Uint8Array(1024)).catch(() => null), null);
    }
  });
});

Deno.test("queued requests time out too; close() fails what is left", async () => {
  const opts = { maxConnections: 1, timeoutMs: 200, sweepMs: 50 };
  await onRawServer("hold", opts, async ({ pool, port }) => {
    const req = () => pool.request(encodeRequest("GET", "/", `127.0.0.1:${port}`));
    const [a, b] = await Promise.all([req(), req()]);
    assert.equal(a.error, "timeout");
    assert.equal(b.error, "timeout");
    const pending = req();
    await new Promise((r) => setTimeout(r, 20));
    await pool.close();
    assert.equal((await pending).error, "pool closed");
    assert.equal((await req()).error, "pool closed");
  });
});

/** Reads one request (head + Content-Length body) from a raw connection. */
async function readRequest(
  c: Deno.Conn,
): Promise<{ line: string; headers: Record<string, string>; body: string }> {
  let data = new Uint8Array(0);
  const buf = new Uint8Array(65536);
  for (;;) {
    const text = dec.decode(data);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const [line, ...rest] = text.slice(0, end).split("\r\n");
      const headers: Record<string, string> = {};
      for (const h of rest) {
        const i = h.indexOf(":");
        headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
      }
      const len = Number(headers["content-length"] ?? 0);
      const headLen = enc.encode(text.slice(0, end + 4)).length;
      if (data.length - headLen >= len) {
        return { line, headers, body: dec.decode(data.subarray(headLen, headLen + len)) };
      }
    }
    const n = await c.read(buf);
    if (n === null) throw new Error("EOF before a whole request");
    const next = new Uint8Array(data.length + n);
    next.set(data);
    next.set(buf.subarray(0, n), data.length);
    data = next;
  }
}
