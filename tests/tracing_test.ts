/**
 * Tracing with Deno's built-in OpenTelemetry: main.ts runs as a subprocess with OTEL_DENO=true and
 * exports OTLP/HTTP JSON to a receiver served by this test on 127.0.0.1. A request's server span
 * is named after its route template (with `http.route`), and its database statements are child
 * spans `db <OPERATION>` with the statement text (placeholders, never values) in the same trace.
 */
import assert from "node:assert/strict";
import { serveTestDb } from "./_served_db.ts";
import { testKeySpec } from "./_support.ts";

const ROOT = new URL("../", import.meta.url);

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

function attr(span: OtlpSpan, key: string): unknown {
  const a = span.attributes?.find((x) => x.key === key);
  return a ? Object.values(a.value)[0] : undefined;
}

/** Collects every span of every OTLP/HTTP JSON trace export it receives. */
function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const contentTypes = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method === "POST" && url.pathname === "/v1/traces") {
      contentTypes.add(req.headers.get("content-type") ?? "");
      const body = await req.json() as {
        resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      }
    } else {
      await req.body?.cancel();
    }
    return Response.json({});
  });
  return { spans, contentTypes, port: server.addr.port, close: () => server.shutdown() };
}

Deno.test("tracing: a request span per route template with child spans for its statements", async () => {
  const served = await serveTestDb("tracing");
  const receiver = otlpReceiver();
  const admin = "admin-" + crypto.randomUUID();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      DATABASE_URL: served.url,
      TOKEN_SIGNING_KEYS: testKeySpec(),
      ADMIN_TOKEN: admin,
      HOST: "127.0.0.1",
      PORT: "0",
      CRON_ENABLED: "false",
      OTEL_DENO: "true",
      OTEL_DENO_CONSOLE: "ignore",
      OTEL_SERVICE_NAME: "spot-optimizer-test",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.text();
  try {
    // The "listening" log line carries the port the OS picked.
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    let base = "";
    while (!base) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`main.ts exited before listening:\n${out}\n${await stderr}`);
      out += value;
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) base = m[1];
    }
    const missing = crypto.randomUUID();
    const res = await fetch(`${base}/api/admin/clients/${missing}`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    assert.equal(res.status, 404, await res.text());
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200, await health.text());

    // SIGTERM: graceful shutdown, and Deno flushes the batched spans before the process exits.
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0, await stderr);
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});

    const spans = receiver.spans;
    assert.ok(receiver.contentTypes.has("application/json"), [...receiver.contentTypes].join());
    const req = spans.find((s) => attr(s, "http.route") === "/api/admin/clients/:client_id");
    assert.ok(req, `no span with the route template: ${spans.map((s) => s.name).join(", ")}`);
    assert.equal(req.name, "GET /api/admin/clients/:client_id");
    const inTrace = spans.filter((s) => s.traceId === req.traceId);
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    const descendsFromReq = (s: OtlpSpan): boolean => {
      for (let p = s.parentSpanId; p; p = byId.get(p)?.parentSpanId) {
        if (p === req.spanId) return true;
      }
      return false;
    };
    const dbSpans = inTrace.filter((s) => s.name.startsWith("db ") && descendsFromReq(s));
    assert.ok(dbSpans.length >= 1, `no db span under the request: ${inTrace.map((s) => s.name)}`);
    const select = dbSpans.find((s) => s.name === "db SELECT");
    assert.ok(select, dbSpans.map((s) => s.name).join());
    assert.equal(attr(select, "db.system.name"), "mysql");
    const text = String(attr(select, "db.query.text"));
    assert.match(text, /\?/);
    assert.ok(!text.includes(missing), "a statement span must not carry parameter values");
    const healthSpan = spans.find((s) => attr(s, "http.route") === "/health");
    assert.ok(healthSpan && healthSpan.name === "GET /health", "the /health request span");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await receiver.close();
    await served.close();
  }
});
