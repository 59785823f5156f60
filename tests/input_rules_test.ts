/**
 * The input rules (README "Input rules"), one test per case measured in issue 13 items 1 and 2:
 * timestamps outside what MySQL holds, lone surrogates headed for JSON columns, identifiers with
 * control/bidi/zero-width characters, over-long strings, unknown enum values, unparseable dates
 * and non-decimal numeric query parameters all answer 4xx with a code (never 5xx, never a silent
 * truncation), while the real agent's payloads and a retry of a valid report keep answering 200.
 * Two tenants each time: the second tenant's valid requests are unaffected.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { seedTenant } from "./_tenant_fixtures.ts";
import type { Tenant } from "./_tenant_fixtures.ts";

async function call(
  t: TestContext,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await t.request(method, path, { token, body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch { /* asserted below */ }
  return { status: res.status, json };
}

async function refused(
  t: TestContext,
  method: string,
  path: string,
  token: string,
  body: unknown,
  what: string,
): Promise<string> {
  const r = await call(t, method, path, token, body);
  assert.equal(r.status, 400, `${what}: ${r.status} ${JSON.stringify(r.json)}`);
  assert.equal(typeof r.json.code, "string", what);
  return String(r.json.code);
}

async function setup(name: string): Promise<{ t: TestContext; a: Tenant; b: Tenant }> {
  const t = await testContext(name, { engine: false });
  return { t, a: await seedTenant(t, "a"), b: await seedTenant(t, "b") };
}

const naive = (d: Date) => d.toISOString().replace("Z", "");

Deno.test("health-metrics: metric_time outside what the column holds is a 400; the valid retry stays 200", async () => {
  const { t, a, b } = await setup("input_metric_time");
  const path = `/api/agents/${a.agentId}/health-metrics`;
  for (
    const bad of [
      "2100-01-01T00:00:00",
      "1970-01-01T00:00:00",
      "1969-12-31T23:59:59",
      "2038-01-19T03:14:08Z",
      "9999-12-31T23:59:59",
      "0001-01-01T00:00:00",
      "0000-01-01T00:00:00",
      "2026-02-30T00:00:00",
      "2026-10-01T00:00:00", // storable, but 57 days before the server's clock
    ]
  ) {
    await refused(t, "POST", path, a.token, { metric_time: bad, error_count: 1 }, bad);
  }
  const good = { metric_time: naive(new Date(t.clock().getTime() - 60_000)), error_count: 2 };
  for (let i = 0; i < 2; i++) {
    assert.equal((await call(t, "POST", path, a.token, good)).status, 200);
  }
  const other = `/api/agents/${b.agentId}/health-metrics`;
  assert.equal((await call(t, "POST", other, b.token, good)).status, 200);
});

Deno.test("lone surrogates bound for JSON columns become U+FFFD: no 5xx, the retry works", async () => {
  const { t, a, b } = await setup("input_surrogates");
  const s = "\ud800x";
  const agent = `/api/agents/${a.agentId}`;
  const now = naive(t.clock());
  const cases: [string, unknown][] = [
    ["/termination-report", { instance_id: a.instanceId, success: false, error: s }],
    ["/termination", { reason: s, note: s }],
    ["/health-metrics", { metadata: { [s]: 1, k: s, nested: { [s]: [s] } } }],
    ["/cleanup-report", {
      timestamp: now,
      snapshots: { type: "snapshots", deleted: [s], failed: [{ id: s, error: s }] },
      amis: { type: "amis", deleted_amis: [s], deleted_snapshots: [s] },
    }],
  ];
  for (const [path, body] of cases) {
    for (let i = 0; i < 2; i++) {
      const r = await call(t, "POST", agent + path, a.token, body);
      assert.equal(r.status, 200, `${path}: ${r.status} ${JSON.stringify(r.json)}`);
    }
  }
  const created = await call(t, "POST", "/api/admin/clients/create", t.adminToken, {
    name: `n${s}`,
    email: "",
  });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const row = await t.db.execute<{ name: string }>(
    "SELECT name FROM clients WHERE id = ?",
    [(created.json.client as { id: string }).id],
  );
  assert.equal(row.rows[0].name, "n\ufffdx");
  const m = await t.db.execute<{ d: string }>(
    "SELECT CAST(metadata AS CHAR) AS d FROM agent_health_metrics WHERE agent_id = ? AND metadata IS NOT NULL",
    [a.agentId],
  );
  assert.ok(String(m.rows[0].d).includes("\ufffd"), m.rows[0].d);
  // Identifiers are refused instead: a replaced character would name a different instance.
  await refused(t, "POST", agent + "/termination-report", a.token, { instance_id: `i-${s}` }, "id");
  const ok = await call(t, "POST", `/api/agents/${b.agentId}/termination`, b.token, {
    reason: "x",
  });
  assert.equal(ok.status, 200);
});

Deno.test("register: bad id characters, over-long fields and unknown modes are 400; the real agent's body is 200", async () => {
  const { t, a, b } = await setup("input_register");
  const body = (over: Record<string, unknown>) => ({
    client_token: a.token,
    logical_agent_id: "web-1",
    instance_id: "i-0123456789abcdef0",
    instance_type: "t3.medium",
    region: "us-east-1",
    az: "us-east-1a",
    ami_id: "ami-0abc",
    mode: "spot",
    hostname: "ip-10-0-0-1",
    agent_version: "4.0.0",
    private_ip: "10.0.0.1",
    public_ip: null,
    ...over,
  });
  const bad: [string, Record<string, unknown>][] = [
    ["NUL", { instance_id: "i-0123\u0000abcd" }],
    ["right-to-left override", { instance_id: "i-0123\u202eabcd" }],
    ["zero-width space", { instance_id: "i-0123\u200babcd" }],
    ["lone surrogate", { instance_id: "i-0123\ud800" }],
    ["logical id with NUL", { logical_agent_id: "web\u0000-1" }],
    ["100 KB hostname", { hostname: "h".repeat(100_000) }],
    ["100 KB agent_version", { agent_version: "4".repeat(100_000) }],
    ["300-character instance_type", { instance_type: "t".repeat(300) }],
    ["mode zzz", { mode: "zzz" }],
  ];
  for (const [what, over] of bad) {
    await refused(t, "POST", "/api/agents/register", a.token, body(over), what);
  }
  // Invalid UTF-8 bytes decode to U+FFFD, which no identifier may contain.
  const raw = new TextEncoder().encode(JSON.stringify(body({ instance_id: "i-01##" })));
  const at = raw.indexOf(0x23);
  raw[at] = 0xff;
  raw[at + 1] = 0xfe;
  const res = await t.app.request("/api/agents/register", {
    method: "POST",
    headers: { Authorization: `Bearer ${a.token}`, "Content-Type": "application/json" },
    body: raw,
  });
  assert.equal(res.status, 400, await res.text());
  const rows = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM agents WHERE client_id = ? AND logical_agent_id = 'web-1'",
    [a.clientId],
  );
  assert.equal(Number(rows.rows[0].n), 0, "nothing refused was stored");
  for (const mode of ["spot", "ondemand", "unknown", undefined]) {
    const r = await call(t, "POST", "/api/agents/register", a.token, body({ mode }));
    assert.equal(r.status, 200, `${mode}: ${JSON.stringify(r.json)}`);
  }
  const legacy = body({ mode: undefined, private_ip: undefined, public_ip: undefined });
  assert.equal((await call(t, "POST", "/api/agents/register", a.token, legacy)).status, 200);
  const unknowns = body({ instance_type: "unknown", az: "unknown", ami_id: "unknown" });
  assert.equal((await call(t, "POST", "/api/agents/register", a.token, unknowns)).status, 200);
  const other = { ...body({ instance_id: "i-0fedcba987654321" }), client_token: b.token };
  assert.equal((await call(t, "POST", "/api/agents/register", b.token, other)).status, 200);
});

Deno.test("termination-imminent and rebalance-recommendation: an unparseable date is a 400, not dropped", async () => {
  const { t, a, b } = await setup("input_interruption_dates");
  const agent = `/api/agents/${a.agentId}`;
  for (
    const bad of ["soon", "2026-13-01T00:00:00Z", "2100-01-01T00:00:00Z", "1969-12-31T00:00:00"]
  ) {
    await refused(t, "POST", `${agent}/termination-imminent`, a.token, {
      instance_id: a.instanceId,
      termination_time: bad,
      detected_at: naive(t.clock()),
    }, `termination_time ${bad}`);
    await refused(t, "POST", `${agent}/termination-imminent`, a.token, {
      instance_id: a.instanceId,
      time: bad,
    }, `time ${bad}`);
    await refused(t, "POST", `${agent}/rebalance-recommendation`, a.token, {
      instance_id: a.instanceId,
      detected_at: bad,
    }, `detected_at ${bad}`);
  }
  const notice = {
    instance_id: b.instanceId,
    termination_time: new Date(t.clock().getTime() + 120_000).toISOString().replace(
      /\.\d{3}Z$/,
      "Z",
    ),
    detected_at: naive(t.clock()),
  };
  for (let i = 0; i < 2; i++) {
    const r = await call(
      t,
      "POST",
      `/api/agents/${b.agentId}/termination-imminent`,
      b.token,
      notice,
    );
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  const rb = { instance_id: b.instanceId, detected_at: naive(t.clock()) };
  const r = await call(t, "POST", `/api/agents/${b.agentId}/rebalance-recommendation`, b.token, rb);
  assert.equal(r.status, 200, JSON.stringify(r.json));
});

Deno.test("numeric query parameters are decimal only; unknown filters and ranges are 400", async () => {
  const { t, a, b } = await setup("input_query");
  const client = `/api/client/${a.clientId}`;
  const cases: [string, string][] = [
    [`${client}/agents?limit=0x10`, a.token],
    [`${client}/agents?limit=1e3`, a.token],
    [`${client}/agents?offset=`, a.token],
    [`${client}/agents?limit=-1`, a.token],
    [`/api/admin/agents?status=zzz`, t.adminToken],
    [`/api/agents/${a.agentId}/replicas?status=zzz`, a.token],
    [`/api/client/instances/${a.instanceId}/price-history?days=-1`, a.token],
    [`/api/client/instances/${a.instanceId}/price-history?days=0`, a.token],
    [`/api/client/instances/${a.instanceId}/price-history?days=1e9`, a.token],
    [`${client}/savings?range=garbage`, t.adminToken],
  ];
  for (const [url, token] of cases) {
    const r = await call(t, "GET", url, token);
    assert.equal(r.status, 400, `${url}: ${r.status} ${JSON.stringify(r.json)}`);
    assert.equal(typeof r.json.code, "string");
  }
  const fine: [string, string][] = [
    [`/api/client/${b.clientId}/agents?limit=16&offset=0`, b.token],
    [`/api/admin/agents?status=online`, t.adminToken],
    [`/api/client/instances/${b.instanceId}/price-history?days=7&interval=hour`, b.token],
    [`/api/client/${b.clientId}/savings?range=monthly`, t.adminToken],
  ];
  for (const [url, token] of fine) {
    const r = await call(t, "GET", url, token);
    assert.equal(r.status, 200, `${url}: ${r.status} ${JSON.stringify(r.json)}`);
  }
});
