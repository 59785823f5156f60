/**
 * Revocation across app instances (issue 13 item 5): a client deleted (or deactivated) through
 * one instance while its token is cached on another. On the other instance every client and
 * agent route answers without a 5xx while the cache entry lives, registration refuses at once
 * (401/403), and after AUTH_CACHE_TTL every route answers 401 (deleted) or 403 (deactivated).
 */
import assert from "node:assert/strict";
import { testContext, testDb, testKeySpec } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { seedTenant } from "./_tenant_fixtures.ts";
import type { Tenant } from "./_tenant_fixtures.ts";
import {
  documentedOperations,
  sampleBody,
  sampleParam,
  TENANT_PARAMS,
  useComponents,
} from "./_openapi_sample.ts";
import type { DocOperation, OpenApiDoc } from "./_openapi_sample.ts";

type Op = DocOperation;

function tenantOperations(doc: OpenApiDoc): Op[] {
  return documentedOperations(doc).filter((o) => o.kind === "agent" || o.kind === "client");
}

async function send(t: TestContext, o: Op, x: Tenant): Promise<number> {
  const ids: Record<string, string> = {};
  for (const [name, pick] of Object.entries(TENANT_PARAMS)) ids[name] = pick(x);
  let url = o.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(ids[n] ?? "x"));
  const query = new URLSearchParams();
  for (const p of o.op.parameters ?? []) {
    if (p.in === "query" && p.required) query.set(p.name, sampleParam(p, ids));
  }
  if (query.size > 0) url += `?${query}`;
  const headers: Record<string, string> = { Authorization: `Bearer ${x.token}` };
  let body: string | undefined;
  if (o.method !== "GET") {
    headers["Content-Type"] = "application/json";
    const json = sampleBody(o.op, ids);
    if (json !== undefined) {
      body = JSON.stringify(
        o.path === "/api/agents/register" ? { ...json as object, client_token: x.token } : json,
      );
    }
  }
  const res = await t.app.request(url, { method: o.method, headers, body });
  await res.body?.cancel();
  return res.status;
}

async function twoInstances(suite: string): Promise<[TestContext, TestContext]> {
  const db = await testDb(suite);
  const env = { TOKEN_SIGNING_KEYS: testKeySpec(), AUTH_CACHE_TTL: "30" };
  const a = await testContext(suite, { db, env });
  const b = await testContext(suite, { db, env, clock: a.clock });
  return [a, b];
}

async function checkRevocation(
  suite: string,
  revoke: (other: TestContext, x: Tenant) => Promise<void>,
  expected: number,
): Promise<void> {
  const [a, b] = await twoInstances(suite);
  const doc = await (await a.request("GET", "/openapi.json")).json() as OpenApiDoc;
  useComponents(doc);
  const ops = tenantOperations(doc);
  assert.ok(ops.length > 30, `only ${ops.length} tenant operations`);
  const x = await seedTenant(a, "x");
  const warm = await a.request("GET", "/api/client/validate", { token: x.token });
  assert.equal(warm.status, 200);
  await revoke(b, x);

  const problems: string[] = [];
  // Within the cache bound: no 5xx anywhere; registration checks the account itself.
  for (const o of ops) {
    const s = await send(a, o, x);
    if (s >= 500) problems.push(`cached: ${o.method} ${o.path} -> ${s}`);
    if (o.path === "/api/agents/register" && s !== expected) {
      problems.push(`cached: register -> ${s}, want ${expected}`);
    }
  }
  a.clock.advance((a.config.AUTH_CACHE_TTL + 1) * 1000);
  for (const o of ops) {
    const s = await send(a, o, x);
    if (s !== expected) problems.push(`after TTL: ${o.method} ${o.path} -> ${s}`);
  }
  await a.deps.services.background.drain();
  assert.deepEqual(problems, []);
}

Deno.test("revocation: a client deleted on another instance gets 401 everywhere, never a 500", async () => {
  await checkRevocation("revoke_deleted", async (b, x) => {
    const res = await b.request("DELETE", `/api/admin/clients/${x.clientId}`, {
      token: b.adminToken,
    });
    assert.equal(res.status, 200, await res.text());
  }, 401);
});

Deno.test("revocation: a client deactivated on another instance gets 403 everywhere", async () => {
  await checkRevocation("revoke_inactive", async (b, x) => {
    await b.db.execute("UPDATE clients SET is_active = 0, status = 'suspended' WHERE id = ?", [
      x.clientId,
    ]);
  }, 403);
});
