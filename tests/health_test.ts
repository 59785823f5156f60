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
