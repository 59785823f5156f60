import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import { seedTenant } from "./_tenant_fixtures.ts";

/** Value of one sample line `name{labels} value`, or 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    if (!Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) continue;
    return Number(line.split(" ").at(-1));
  }
  return 0;
}

Deno.test("metrics: needs the admin credential or METRICS_TOKEN; counters move with requests", async () => {
  const t = await testContext("metrics_scrape", {
    env: { METRICS_TOKEN: "metrics-token-0123456789", VALIDATE_RATE_LIMIT: "1" },
  });
  const a = await seedTenant(t, "a");
  const b = await seedTenant(t, "b");
  assert.equal((await t.request("GET", "/metrics")).status, 401);
  assert.equal((await t.request("GET", "/metrics", { token: "wrong" })).status, 401);
  assert.equal((await t.request("GET", "/metrics", { token: a.token })).status, 401);

  const scrape = async (token = "metrics-token-0123456789") => {
    const res = await t.request("GET", "/metrics", { token });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
    return await res.text();
  };
  const before = await scrape();
  const route = "/api/agents/:agent_id/pending-commands";
  for (const tenant of [a, b, a]) {
    const res = await t.request("GET", `/api/agents/${tenant.agentId}/pending-commands`, {
      token: tenant.token,
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  // Two bad validations from one address with VALIDATE_RATE_LIMIT=1: the second is a 429.
  for (let i = 0; i < 3; i++) {
    await (await t.request("GET", "/api/client/validate", { token: "bad-token" })).body?.cancel();
  }
  const after = await scrape(t.adminToken);
  const labels = { method: "GET", route, status_class: "2xx" };
  assert.equal(
    sample(after, "spot_http_requests_total", labels) -
      sample(before, "spot_http_requests_total", labels),
    3,
  );
  assert.ok(
    sample(after, "spot_http_request_duration_seconds_count", { route, status_class: "2xx" }) >=
      3,
  );
  assert.ok(sample(after, "spot_db_statements_total", { kind: route }) >= 3);
  assert.ok(sample(after, "spot_db_statement_seconds_total", { kind: route }) > 0);
  assert.ok(
    sample(after, "spot_rate_limited_requests_total", { route: "/api/client/validate" }) >= 1,
  );
  // Scrape-time gauges from the database: both tenants' agents are counted.
  const agents = sample(after, "spot_agents", { state: "online" }) +
    sample(after, "spot_agents", { state: "offline" });
  assert.ok(agents >= 2, `agents counted (${agents})`);
  assert.match(after, /spot_open_commands\{status="pending"\} \d+/);
  for (const name of ["spot_termination_events_24h", "spot_emergency_replicas_24h"]) {
    assert.match(after, new RegExp(`^${name}[ {]`, "m"), name);
  }
});

Deno.test("metrics: the config hot path stays at 1 statement; the metric counts exactly those", async () => {
  const t = await testContext("metrics_hot_paths", {
    env: { METRICS_TOKEN: "m-0123456789abcdef" },
  });
  const a = await seedTenant(t, "a");
  const get = async () => {
    const res = await t.request("GET", `/api/agents/${a.agentId}/config`, { token: a.token });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  };
  const start = t.db.roundTrips();
  await get(); // warms the auth cache
  const warm = t.db.roundTrips();
  await get();
  await get();
  const end = t.db.roundTrips();
  assert.equal(end - warm, 2, "1 statement per config poll, metrics included");
  const text = await (await t.request("GET", "/metrics", { token: "m-0123456789abcdef" })).text();
  const kind = "/api/agents/:agent_id/config";
  assert.equal(sample(text, "spot_db_statements_total", { kind }), end - start);
});
