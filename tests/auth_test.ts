import assert from "node:assert/strict";
import { z } from "@hono/zod-openapi";
import { defineRoute, principalOf } from "../routes/_app.ts";
import { hashOpaqueToken, signAdminToken, signClientToken } from "../core/tokens.ts";
import { resolvePrincipal } from "../routes/_middleware/auth.ts";
import { splitStatements } from "../db/schema_parse.ts";
import { migrate } from "../db/migrate.ts";
import { testContext, testKeySpec, testStack } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { assertNoSecretLeak, insertRow } from "./_tenant_fixtures.ts";

/** Adds probe routes (one per credential kind) to a test app: they echo the principal. */
function addProbes(t: TestContext): void {
  const who = z.object({ kind: z.string(), id: z.string() });
  for (const kind of ["agent", "client", "admin"] as const) {
    const route = defineRoute(kind, {
      method: "post",
      path: `/api/test-probe/${kind}`,
      request: {
        body: {
          required: false,
          content: {
            "application/json": { schema: z.object({ client_token: z.string().optional() }) },
          },
        },
      },
      responses: { 200: { description: "ok", content: { "application/json": { schema: who } } } },
    }, { bodyToken: kind === "agent" });
    t.app.openapi(route, (c) => {
      const p = principalOf(c);
      return c.json({ kind: p.kind, id: p.kind === "client" ? p.clientId : p.subject }, 200);
    });
  }
}

async function probe(
  t: TestContext,
  kind: string,
  opts: { auth?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (opts.auth !== undefined) headers.Authorization = opts.auth;
  const res = await t.request("POST", `/api/test-probe/${kind}`, {
    headers,
    body: opts.body ?? {},
  });
  return { status: res.status, body: await res.json() };
}

const secrets: string[] = [];

Deno.test("auth: bearer, bare header and register body client_token all authenticate", async () => {
  const t = await testContext("auth_transport");
  addProbes(t);
  const c = await t.createClient();
  secrets.push(c.token);
  assert.deepEqual((await probe(t, "agent", { auth: `Bearer ${c.token}` })).body, {
    kind: "client",
    id: c.id,
  });
  assert.equal((await probe(t, "agent", { auth: `bearer   ${c.token}  ` })).status, 200);
  assert.equal((await probe(t, "agent", { auth: c.token })).status, 200);
  assert.equal((await probe(t, "agent", { body: { client_token: c.token } })).status, 200);
  const none = await probe(t, "agent");
  assert.equal(none.status, 401);
  assert.equal(none.body.code, "missing_token");
  assert.equal(typeof none.body.error, "string");
  assert.equal((await probe(t, "agent", { auth: "Bearer not-a-token" })).status, 401);
  await assertNoSecretLeak(t, secrets);
});

Deno.test("auth: legacy opaque tokens with unusual characters pass by hash, never 400", async () => {
  const t = await testContext("auth_legacy_chars");
  addProbes(t);
  const tokens = [
    "token-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    "demo-token-12345",
    "tok=+/%!~.:@$&*()[]{}|^`'\"#?,;<>_",
    "ünïcödé-tökén",
  ];
  for (const [i, token] of tokens.entries()) {
    const id = crypto.randomUUID();
    await insertRow(t.db, "clients", {
      id,
      name: `legacy-${i}`,
      email: `legacy-${i}@example.test`,
      token_hash: await hashOpaqueToken(token),
    });
    secrets.push(token);
    // Non-ASCII cannot travel in an HTTP header; it still works in the register body.
    const viaHeader = /^[\x20-\x7e]+$/.test(token);
    const r = viaHeader
      ? await probe(t, "agent", { auth: `Bearer ${token}` })
      : await probe(t, "agent", { body: { client_token: token } });
    assert.equal(r.status, 200, `token #${i}`);
    assert.equal(r.body.id, id);
  }
  await assertNoSecretLeak(t, secrets);
});

Deno.test("auth: credential kinds — admin routes refuse client tokens, agent routes refuse admin", async () => {
  const t = await testContext("auth_kinds");
  addProbes(t);
  const c = await t.createClient();
  const adminToken = t.config.ADMIN_TOKEN!;
  secrets.push(c.token, adminToken, t.adminToken);
  assert.equal((await probe(t, "admin", { auth: `Bearer ${c.token}` })).status, 403);
  assert.equal((await probe(t, "admin", { auth: `Bearer ${adminToken}` })).status, 200);
  assert.equal((await probe(t, "admin", { auth: `Bearer ${t.adminToken}` })).status, 200);
  assert.equal((await probe(t, "admin", {})).status, 401);
  assert.equal((await probe(t, "agent", { auth: `Bearer ${t.adminToken}` })).status, 403);
  assert.equal((await probe(t, "client", { auth: `Bearer ${t.adminToken}` })).status, 200);
  assert.equal((await probe(t, "client", { auth: `Bearer ${c.token}` })).status, 200);
  // A near-miss of ADMIN_TOKEN is just an unknown opaque token.
  assert.equal((await probe(t, "admin", { auth: `Bearer ${adminToken}x` })).status, 401);
  // Expired admin JWT.
  const old = await signAdminToken(t.deps.services.keys, {
    subject: "old",
    now: new Date(t.clock().getTime() - 7200_000),
    ttlSeconds: 3600,
  });
  const expired = await probe(t, "admin", { auth: `Bearer ${old}` });
  assert.equal(expired.status, 401);
  assert.equal(expired.body.code, "token_expired");
  await assertNoSecretLeak(t, secrets);
});

Deno.test("auth: inactive client is 403, revoked version and unknown client are 401", async () => {
  const t = await testContext("auth_states");
  addProbes(t);
  const c = await t.createClient();
  await t.db.execute("UPDATE clients SET is_active = 0 WHERE id = ?", [c.id]);
  const inactive = await probe(t, "agent", { auth: `Bearer ${c.token}` });
  assert.equal(inactive.status, 403);
  assert.equal(inactive.body.code, "client_inactive");
  await t.db.execute("UPDATE clients SET is_active = 1, status = 'suspended' WHERE id = ?", [c.id]);
  assert.equal((await probe(t, "agent", { auth: `Bearer ${c.token}` })).status, 403);
  await t.db.execute("UPDATE clients SET status = 'active', token_version = 2 WHERE id = ?", [
    c.id,
  ]);
  const revoked = await probe(t, "agent", { auth: `Bearer ${c.token}` });
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.code, "token_revoked");
  const ghost = await signClientToken(t.deps.services.keys, {
    clientId: crypto.randomUUID(),
    version: 1,
    now: t.clock(),
  });
  assert.equal((await probe(t, "agent", { auth: `Bearer ${ghost}` })).status, 401);
  // Failures are recorded (throttled) as auth_failed events without the token.
  const ev = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'auth_failed'",
  );
  assert.ok(Number(ev.rows[0]!.n) >= 2);
  secrets.push(c.token, ghost);
  await assertNoSecretLeak(t, secrets);
});

Deno.test("auth: a verified token is cached — the repeat costs no database round trip", async () => {
  const t = await testContext("auth_cache");
  const c = await t.createClient();
  secrets.push(c.token);
  await resolvePrincipal(t.deps, c.token);
  const before = t.db.roundTrips();
  const p = await resolvePrincipal(t.deps, c.token);
  assert.equal(t.db.roundTrips(), before);
  assert.equal(p.kind === "client" && p.clientId, c.id);
  // After AUTH_CACHE_TTL the database is asked again.
  t.clock.advance(t.config.AUTH_CACHE_TTL * 1000);
  await resolvePrincipal(t.deps, c.token);
  assert.ok(t.db.roundTrips() > before);
});

Deno.test("auth: a cached entry never outlives the token's own expiry", async () => {
  const t = await testContext("auth_cache_exp", { env: { AUTH_CACHE_TTL: "300" } });
  addProbes(t);
  const c = await t.createClient();
  const shortLived = await signClientToken(t.deps.services.keys, {
    clientId: c.id,
    version: 1,
    now: t.clock(),
    ttlSeconds: 40,
  });
  secrets.push(shortLived);
  assert.equal((await probe(t, "agent", { auth: `Bearer ${shortLived}` })).status, 200);
  // Beyond exp + clock tolerance (30 s) but within AUTH_CACHE_TTL of the first use.
  t.clock.advance(75_000);
  const r = await probe(t, "agent", { auth: `Bearer ${shortLived}` });
  assert.equal(r.status, 401);
  assert.equal(r.body.code, "token_expired");
});

Deno.test("auth: key rotation — an old-key token works while listed and fails once retired", async () => {
  const oldKey = testKeySpec("old");
  const newKey = testKeySpec("new");
  const before = await testContext("auth_rotation", { env: { TOKEN_SIGNING_KEYS: oldKey } });
  const c = await before.createClient();
  secrets.push(c.token);
  const header = JSON.parse(atob(c.token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")));
  assert.equal(header.kid, "old");

  const during = await testContext("x", {
    db: before.db,
    env: { TOKEN_SIGNING_KEYS: `${newKey},${oldKey}` },
  });
  addProbes(during);
  assert.equal((await probe(during, "agent", { auth: `Bearer ${c.token}` })).status, 200);
  const fresh = await signClientToken(during.deps.services.keys, {
    clientId: c.id,
    version: 1,
    now: during.clock(),
  });
  secrets.push(fresh);
  assert.equal(JSON.parse(atob(fresh.split(".")[0]!)).kid, "new");
  assert.equal((await probe(during, "agent", { auth: `Bearer ${fresh}` })).status, 200);

  const after = await testContext("x", { db: before.db, env: { TOKEN_SIGNING_KEYS: newKey } });
  addProbes(after);
  const refused = await probe(after, "agent", { auth: `Bearer ${c.token}` });
  assert.equal(refused.status, 401);
  assert.equal(refused.body.code, "invalid_token");
  assert.equal((await probe(after, "agent", { auth: `Bearer ${fresh}` })).status, 200);
  await assertNoSecretLeak(after, secrets);
});

Deno.test("auth: a predecessor's opaque token still works after the upgrade; no clear text remains", async () => {
  const stack = await testStack();
  const db = stack.open(`t_auth_pred_${crypto.randomUUID().slice(0, 8)}`);
  const fixture = await Deno.readTextFile(
    new URL("./fixtures/predecessor_v5_1.sql", import.meta.url),
  );
  for (const stmt of splitStatements(fixture)) await db.execute(stmt);
  await migrate(db);
  const t = await testContext("auth_pred", { db });
  addProbes(t);
  const legacy = "demo-token-12345";
  secrets.push(legacy);
  const r = await probe(t, "agent", { auth: `Bearer ${legacy}` });
  assert.equal(r.status, 200);
  const demo = await db.execute<{ id: string }>(
    "SELECT id FROM clients WHERE name = 'Demo Client'",
  );
  assert.equal(r.body.id, demo.rows[0]!.id);
  // The bare header form that older agents may send works too.
  assert.equal((await probe(t, "agent", { auth: legacy })).status, 200);
  const v = await t.request("GET", "/api/client/validate", { token: legacy });
  assert.equal(v.status, 200);
  assert.equal((await v.json()).client_id, demo.rows[0]!.id);
  await assertNoSecretLeak(t, secrets);
});
