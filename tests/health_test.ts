import assert from "node:assert/strict";
import { createDb } from "../db/client.ts";
import { testContext } from "./_support.ts";

Deno.test("health: 200 with the database up, with latency and schema version", async () => {
  const t = await testContext("health_up");
  const res = await t.request("GET", "/health");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  assert.ok(res.headers.get("x-request-id"));
  const body = await res.json();
  assert.equal(body.status, "healthy");
  assert.equal(body.database, "connected");
  assert.equal(body.schema_version, "002_instance_namespace");
  assert.equal(typeof body.database_latency_ms, "number");
  assert.ok(t.logs.some((l) => JSON.parse(l).msg === "request"));
});

Deno.test("health: 503 with a reason when the database is unreachable", async () => {
  // A real connection refused: nothing listens on port 9 of the loopback.
  const down = createDb({ url: "http://u:p@127.0.0.1:9", timeoutMs: 2000 });
  const t = await testContext("health_down", { db: down });
  const res = await t.request("GET", "/health");
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "5");
  const body = await res.json();
  assert.equal(body.status, "unhealthy");
  assert.equal(body.database, "disconnected");
  assert.ok(body.reason.length > 0);
});

Deno.test("app: unknown routes answer JSON 404; an incoming request id is echoed", async () => {
  const t = await testContext("app_basics");
  const res = await t.request("GET", "/api/nope", { headers: { "X-Request-Id": "abc-123" } });
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("x-request-id"), "abc-123");
  assert.deepEqual(await res.json(), { error: "Not found", code: "route_not_found" });
});

Deno.test("health: anonymous callers never see the raw database error, the admin does", async () => {
  const down = createDb({ url: "http://u:p@127.0.0.1:9", timeoutMs: 2000 });
  const t = await testContext("health_down_raw", { db: down });
  const anon = await (await t.request("GET", "/health")).json();
  assert.equal(anon.reason, "The database did not answer");
  assert.ok(!/127\.0\.0\.1|ECONNREFUSED|refused/i.test(JSON.stringify(anon)));
  const admin = await (await t.request("GET", "/health", { token: t.adminToken })).json();
  assert.notEqual(admin.reason, "The database did not answer");
});

Deno.test("livez answers without the database; readyz says why it is not ready", async () => {
  const down = createDb({ url: "http://u:p@127.0.0.1:9", timeoutMs: 2000 });
  const t = await testContext("readyz_down", { db: down });
  const live = await t.request("GET", "/livez");
  assert.equal(live.status, 200);
  assert.equal((await live.json()).status, "live");
  const ready = await t.request("GET", "/readyz");
  assert.equal(ready.status, 503);
  const body = await ready.json();
  assert.deepEqual([body.status, body.code], ["not_ready", "database_unreachable"]);
  assert.ok(!/127\.0\.0\.1|refused/i.test(JSON.stringify(body)));
});

Deno.test("readyz: 200 at the expected schema, 503 schema_mismatch when it is behind", async () => {
  const t = await testContext("readyz_up");
  const ok = await t.request("GET", "/readyz");
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).schema_version, "002_instance_namespace");
  await t.db.execute("DELETE FROM schema_migrations WHERE version = ?", ["002_instance_namespace"]);
  const behind = await t.request("GET", "/readyz");
  assert.equal(behind.status, 503);
  const body = await behind.json();
  assert.equal(body.code, "schema_mismatch");
  assert.match(body.reason, /deno task migrate/);
  // Liveness does not care.
  assert.equal((await t.request("GET", "/livez")).status, 200);
});

Deno.test("security headers on JSON and HTML, CORS for the dashboards intact", async () => {
  const t = await testContext("secure_headers");
  for (const path of ["/health", "/docs"]) {
    const res = await t.request("GET", path, { headers: { Origin: "https://dash.example" } });
    await res.body?.cancel();
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.ok(res.headers.get("x-frame-options"), path);
    assert.ok(res.headers.get("strict-transport-security"), path);
    assert.equal(res.headers.get("content-security-policy"), null, path);
  }
  const api = await t.request("OPTIONS", "/api/client/validate", {
    headers: { Origin: "https://dash.example", "Access-Control-Request-Method": "GET" },
  });
  await api.body?.cancel();
  assert.equal(api.headers.get("access-control-allow-origin"), "*");
  assert.equal(api.headers.get("cross-origin-resource-policy"), "cross-origin");

  // A dashboard's cross-origin GET gets CORS; the agent's (no Origin) only Vary: Origin.
  const fromDash = await t.request("GET", "/api/client/validate", {
    headers: { Origin: "https://dash.example" },
  });
  await fromDash.body?.cancel();
  assert.equal(fromDash.headers.get("access-control-allow-origin"), "*");
  assert.match(fromDash.headers.get("access-control-expose-headers") ?? "", /X-Request-Id/);
  const fromAgent = await t.request("GET", "/api/client/validate");
  await fromAgent.body?.cancel();
  assert.equal(fromAgent.headers.get("access-control-allow-origin"), null);
  assert.match(fromAgent.headers.get("vary") ?? "", /Origin/);
  assert.ok(fromAgent.headers.get("x-request-id"));

  // JSON carries the resource headers only; documents also get the document headers.
  const json = await t.request("GET", "/health");
  await json.body?.cancel();
  const html = await t.request("GET", "/docs");
  await html.body?.cancel();
  for (const name of ["x-content-type-options", "strict-transport-security", "x-frame-options"]) {
    assert.ok(json.headers.get(name), name);
    assert.ok(html.headers.get(name), name);
  }
  for (const name of ["cross-origin-opener-policy", "referrer-policy", "x-download-options"]) {
    assert.equal(json.headers.get(name), null, name);
    assert.ok(html.headers.get(name), name);
  }
  // A value the route set itself wins over the default (the console forbids framing).
  const page = await t.request("GET", "/console/sign-in");
  await page.body?.cancel();
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("x-frame-options"), "DENY");
  assert.equal(page.headers.get("referrer-policy"), "same-origin");
  assert.equal(page.headers.get("cross-origin-opener-policy"), "same-origin");
});
