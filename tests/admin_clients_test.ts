import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { hashOpaqueToken } from "../core/tokens.ts";
import { splitStatements } from "../db/schema_parse.ts";
import { migrate } from "../db/migrate.ts";
import { testContext, testStack } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import {
  assertNoSecretLeak,
  insertRow,
  rowsOfTenant,
  seedTenant,
  tenantTables,
} from "./_tenant_fixtures.ts";

async function call(
  t: TestContext,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown } = {},
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any }> {
  const res = await t.request(method, path, { token: opts.token ?? t.adminToken, body: opts.body });
  return { status: res.status, body: await res.json() };
}

async function create(t: TestContext, name: string, email?: string | null) {
  return await call(t, "POST", "/api/admin/clients/create", { body: { name, email } });
}

async function validates(t: TestContext, token: string): Promise<number> {
  const res = await t.request("GET", "/api/client/validate", { token });
  await res.body?.cancel();
  return res.status;
}

Deno.test("admin clients: create answers the token once; only hashes and fingerprints are stored", async () => {
  const t = await testContext("admin_create");
  const r = await create(t, "  Acme Corp  ", "ops@acme.test");
  assert.equal(r.status, 200);
  assert.equal(r.body.success, true);
  const { id, name, token, status } = r.body.client;
  assert.equal(name, "Acme Corp");
  assert.equal(status, "active");
  const claims = decodeJwt(token);
  assert.equal(claims.sub, id);
  assert.equal(claims.typ, "client");
  assert.equal(claims.ver, 1);
  assert.equal(typeof claims.iat, "number");
  assert.equal(claims.exp, undefined); // CLIENT_TOKEN_TTL unset: agents run unattended
  assert.equal(decodeProtectedHeader(token).kid, t.deps.services.keys.signing.kid);
  assert.equal(await validates(t, token), 200);

  const rows = await t.db.execute<{ event_type: string }>(
    "SELECT event_type FROM system_events WHERE client_id = ?",
    [id],
  );
  assert.ok(rows.rows.some((e) => e.event_type === "client_created"));
  const notes = await t.db.execute<{ message: string }>(
    "SELECT message FROM notifications WHERE client_id = ?",
    [id],
  );
  assert.deepEqual(notes.rows.map((n) => n.message), ["New client created: Acme Corp"]);
  const audit = await t.db.execute<{ action: string; actor_type: string; actor_id: string }>(
    "SELECT action, actor_type, actor_id FROM audit_logs WHERE entity_id = ?",
    [id],
  );
  assert.deepEqual(audit.rows, [{ action: "create", actor_type: "admin", actor_id: "test-admin" }]);
  await assertNoSecretLeak(t, [token, t.adminToken, t.config.ADMIN_TOKEN!]);
});

Deno.test("admin clients: CLIENT_TOKEN_TTL gives client tokens an exp", async () => {
  const t = await testContext("admin_create_ttl", { env: { CLIENT_TOKEN_TTL: "86400" } });
  const r = await create(t, "Expiring");
  const claims = decodeJwt(r.body.client.token);
  assert.equal(claims.exp, Number(claims.iat) + 86400);
});

Deno.test("admin clients: duplicate name or e-mail is 409 (case-insensitive); no e-mail never collides", async () => {
  const t = await testContext("admin_create_dup");
  assert.equal((await create(t, "Acme", "ops@acme.test")).status, 200);
  const byName = await create(t, "ACME", "other@acme.test");
  assert.equal(byName.status, 409);
  assert.equal(byName.body.code, "client_exists");
  assert.match(byName.body.error, /already exists/);
  const byEmail = await create(t, "Acme Two", "OPS@Acme.TEST");
  assert.equal(byEmail.status, 409);
  assert.equal(byEmail.body.code, "email_exists");
  // B-31: names the predecessor mapped to the same default address.
  const a = await create(t, "Big Co");
  const b = await create(t, "big_co");
  const c = await create(t, "Big Co 2", "");
  assert.deepEqual([a.status, b.status, c.status], [200, 200, 200]);
  const emails = await t.db.execute<{ email: string }>(
    "SELECT email FROM clients WHERE id IN (?)",
    [[a.body.client.id, b.body.client.id, c.body.client.id]],
  );
  assert.equal(new Set(emails.rows.map((e) => e.email.toLowerCase())).size, 3);
  for (const e of emails.rows) assert.match(e.email, /@no-email\.invalid$/);
  // Validation: an empty name or a bad address is 400.
  assert.equal((await create(t, "   ")).status, 400);
  assert.equal((await create(t, "Bad Mail", "not-an-address")).status, 400);
  assert.equal((await call(t, "POST", "/api/admin/clients/create", { body: {} })).status, 400);
});

Deno.test("admin clients: list is newest first with unduplicated counters and lastSync", async () => {
  const t = await testContext("admin_list");
  const first = await create(t, "First");
  t.clock.advance(1000);
  const second = await create(t, "Second");
  await t.db.execute("UPDATE clients SET created_at = ?, total_savings = 100.5 WHERE id = ?", [
    new Date("2026-11-01T00:00:00Z"),
    first.body.client.id,
  ]);
  const cid = first.body.client.id;
  const beats = [
    "2026-11-27T11:00:00.000Z",
    "2026-11-27T11:59:00.000Z",
    "2026-11-20T00:00:00.000Z",
  ];
  for (const [i, status] of ["online", "online", "deleted", "offline"].entries()) {
    await insertRow(t.db, "agents", {
      id: crypto.randomUUID(),
      client_id: cid,
      logical_agent_id: `l${i}`,
      status,
      last_heartbeat_at: beats[i] ? new Date(beats[i]!) : null,
    });
  }
  for (const [i, active] of [1, 1, 0].entries()) {
    await insertRow(t.db, "instances", { id: `i-${i}`, client_id: cid, is_active: active });
  }
  const list = await call(t, "GET", "/api/admin/clients");
  assert.equal(list.status, 200);
  assert.ok(Array.isArray(list.body));
  assert.deepEqual(list.body.map((c: { name: string }) => c.name), ["Second", "First"]);
  const row = list.body[1];
  assert.deepEqual(
    {
      agentsOnline: row.agentsOnline,
      agentsTotal: row.agentsTotal,
      instances: row.instances,
      totalSavings: row.totalSavings,
      lastSync: row.lastSync,
      status: row.status,
    },
    {
      agentsOnline: 2,
      agentsTotal: 3,
      instances: 2,
      totalSavings: 100.5,
      lastSync: "2026-11-27T11:59:00.000Z",
      status: "active",
    },
  );
  assert.equal(list.body[0].lastSync, null);
  const paged = await call(t, "GET", "/api/admin/clients?limit=1&offset=1");
  assert.deepEqual(paged.body.map((c: { id: string }) => c.id), [cid]);
  assert.equal((await call(t, "GET", "/api/admin/clients?limit=5000")).status, 400);

  const one = await call(t, "GET", `/api/admin/clients/${second.body.client.id}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.tokenVersion, 1);
  assert.equal(one.body.hasLegacyToken, false);
  assert.equal(typeof one.body.tokenFingerprint, "string");
  assert.equal((await call(t, "GET", `/api/admin/clients/${crypto.randomUUID()}`)).status, 404);
});

Deno.test("admin clients: growth is derived from created_at, one point per day, count = total", async () => {
  const t = await testContext("admin_growth"); // clock: 2026-11-27T12:00Z
  const at = async (name: string, when: string, active = 1) => {
    await insertRow(t.db, "clients", {
      id: crypto.randomUUID(),
      name,
      email: `${name}@example.test`,
      created_at: new Date(when),
      is_active: active,
    });
  };
  await at("old", "2026-01-01T00:00:00Z");
  await at("d25a", "2026-11-25T08:00:00Z");
  await at("d25b", "2026-11-25T23:59:59Z", 0);
  await at("today", "2026-11-27T01:00:00Z");
  const r = await call(t, "GET", "/api/admin/clients/growth?days=3");
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, [
    { date: "2026-11-25", total: 3, new: 2, active: 2, count: 3 },
    { date: "2026-11-26", total: 3, new: 0, active: 2, count: 3 },
    { date: "2026-11-27", total: 4, new: 1, active: 3, count: 4 },
  ]);
  const dflt = await call(t, "GET", "/api/admin/clients/growth");
  assert.equal(dflt.body.length, 30);
  assert.equal(dflt.body[0].total, 1);
  for (const bad of ["0", "366", "x"]) {
    assert.equal((await call(t, "GET", `/api/admin/clients/growth?days=${bad}`)).status, 400);
  }
});

Deno.test("admin clients: regenerate revokes every earlier token at once (JWT and legacy)", async () => {
  const t = await testContext("admin_regen");
  const c = await create(t, "Rotor");
  const id = c.body.client.id;
  const legacy = "token-OldOldOldOldOldOldOldOldOldOld12";
  await t.db.execute("UPDATE clients SET token_hash = ? WHERE id = ?", [
    await hashOpaqueToken(legacy),
    id,
  ]);
  assert.equal(await validates(t, c.body.client.token), 200); // cached now
  assert.equal(await validates(t, legacy), 200);
  const r = await call(t, "POST", `/api/admin/clients/${id}/regenerate-token`);
  assert.equal(r.status, 200);
  assert.equal(r.body.success, true);
  assert.equal(typeof r.body.message, "string");
  assert.equal(decodeJwt(r.body.token).ver, 2);
  assert.equal(await validates(t, c.body.client.token), 401);
  assert.equal(await validates(t, legacy), 401);
  assert.equal(await validates(t, r.body.token), 200);
  const row = await t.db.execute<{ token_version: number; token_hash: string | null }>(
    "SELECT token_version, token_hash FROM clients WHERE id = ?",
    [id],
  );
  assert.deepEqual(row.rows[0], { token_version: 2, token_hash: null });
  const ev = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE client_id = ? AND event_type = 'token_regenerated'",
    [id],
  );
  assert.equal(Number(ev.rows[0]!.n), 1);
  const note = await t.db.execute<{ severity: string }>(
    "SELECT severity FROM notifications WHERE client_id = ? AND notification_type = 'token_regenerated'",
    [id],
  );
  assert.deepEqual(note.rows, [{ severity: "warning" }]);
  const audit = await t.db.execute<{ actor_id: string }>(
    "SELECT actor_id FROM audit_logs WHERE entity_id = ? AND action = 'regenerate_token'",
    [id],
  );
  assert.deepEqual(audit.rows, [{ actor_id: "test-admin" }]);
  const unknown = await call(
    t,
    "POST",
    `/api/admin/clients/${crypto.randomUUID()}/regenerate-token`,
  );
  assert.equal(unknown.status, 404);
  await assertNoSecretLeak(t, [c.body.client.token, r.body.token, legacy, t.adminToken]);
});

Deno.test("admin clients: another instance honours a regenerate within AUTH_CACHE_TTL", async () => {
  const t = await testContext("admin_regen_cluster");
  const other = await testContext("x", {
    db: t.db,
    clock: t.clock,
    env: { TOKEN_SIGNING_KEYS: t.config.TOKEN_SIGNING_KEYS! },
  });
  const c = await create(t, "Clustered");
  assert.equal(await validates(other, c.body.client.token), 200); // cached on the other instance
  await call(t, "POST", `/api/admin/clients/${c.body.client.id}/regenerate-token`);
  assert.equal(await validates(t, c.body.client.token), 401);
  assert.equal(await validates(other, c.body.client.token), 200); // still cached there ...
  t.clock.advance(t.config.AUTH_CACHE_TTL * 1000);
  assert.equal(await validates(other, c.body.client.token), 401); // ... for AUTH_CACHE_TTL at most
});

Deno.test("admin clients: the stored token cannot be read back (410 pointing to regenerate)", async () => {
  const t = await testContext("admin_token_gone");
  const c = await create(t, "Secretive");
  const r = await call(t, "GET", `/api/admin/clients/${c.body.client.id}/token`);
  assert.equal(r.status, 410);
  assert.equal(r.body.code, "token_not_retrievable");
  assert.match(r.body.error, /hash/);
  assert.match(r.body.error, /regenerate-token/);
  assert.equal(
    (await call(t, "GET", `/api/admin/clients/${crypto.randomUUID()}/token`)).status,
    404,
  );
});

Deno.test("admin clients: delete removes the client's rows from every tenant table, no orphans", async () => {
  const t = await testContext("admin_delete");
  const a = await seedTenant(t, "a");
  const b = await seedTenant(t, "b");
  assert.equal(await validates(t, a.token), 200); // cached: the delete must forget it
  const tables = await tenantTables(t.db);
  for (const x of [a, b]) {
    for (const [table, cols] of tables) {
      if (table === "agents") continue;
      const values: Record<string, unknown> = {};
      if (cols.has("client_id")) values.client_id = x.clientId;
      if (cols.has("agent_id")) values.agent_id = x.agentId;
      if (table === "agent_configs") continue; // one per agent, seeded already
      // May clash with a seeded row (one open command per agent); coverage is asserted below.
      await insertRow(t.db, table, values).catch(() => {});
      if (cols.has("client_id") && cols.has("agent_id")) {
        // Rows that name only the agent (client_id NULL where the column allows it).
        await insertRow(t.db, table, { ...values, client_id: null }).catch(() => {});
      }
    }
  }
  const before = await rowsOfTenant(t.db, a.clientId, [a.agentId]);
  for (const table of tables.keys()) assert.ok(before[table], `no fixture row in ${table}`);

  const r = await call(t, "DELETE", `/api/admin/clients/${a.clientId}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.success, true);
  assert.ok(r.body.deleted.agents >= 1);
  assert.deepEqual(await rowsOfTenant(t.db, a.clientId, [a.agentId]), {});
  const clients = await t.db.execute("SELECT id FROM clients WHERE id = ?", [a.clientId]);
  assert.equal(clients.rows.length, 0);
  // The other tenant is untouched.
  assert.deepEqual(
    Object.keys(await rowsOfTenant(t.db, b.clientId, [b.agentId])).sort(),
    [...tables.keys()].sort(),
  );
  // The deletion itself stays on record, and the deleted client's token is dead at once.
  const ev = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'client_deleted' AND JSON_VALUE(metadata, '$.client_id') = ?",
    [a.clientId],
  );
  assert.equal(Number(ev.rows[0]!.n), 1);
  const audit = await t.db.execute<{ actor_id: string }>(
    "SELECT actor_id FROM audit_logs WHERE entity_id = ? AND action = 'delete'",
    [a.clientId],
  );
  assert.deepEqual(audit.rows, [{ actor_id: "test-admin" }]);
  assert.equal(await validates(t, a.token), 401);
  assert.equal((await call(t, "DELETE", `/api/admin/clients/${a.clientId}`)).status, 404);
  await assertNoSecretLeak(t, [a.token, b.token, a.legacyToken, b.legacyToken, t.adminToken]);
});

Deno.test("admin clients: delete on an upgraded predecessor database leaves no orphans", async () => {
  const stack = await testStack();
  const db = stack.open(`t_admin_del_pred_${crypto.randomUUID().slice(0, 8)}`);
  const fixture = await Deno.readTextFile(
    new URL("./fixtures/predecessor_v5_1.sql", import.meta.url),
  );
  for (const stmt of splitStatements(fixture)) await db.execute(stmt);
  await migrate(db);
  const t = await testContext("admin_del_pred", { db });
  const acme = "11111111-1111-1111-1111-111111111111";
  const agents = ["aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"];
  const before = await rowsOfTenant(db, acme, agents);
  assert.ok(before.pending_switch_commands && before.pricing_reports && before.commands);
  const r = await call(t, "DELETE", `/api/admin/clients/${acme}`);
  assert.equal(r.status, 200);
  assert.deepEqual(await rowsOfTenant(db, acme, agents), {});
  const left = await db.execute<{ name: string }>("SELECT name FROM clients");
  assert.deepEqual(left.rows, [{ name: "Demo Client" }]);
});

Deno.test("admin clients: every route needs the admin credential", async () => {
  const t = await testContext("admin_auth");
  const c = await t.createClient();
  const id = c.id;
  const routes: [string, string][] = [
    ["POST", "/api/admin/clients/create"],
    ["GET", "/api/admin/clients"],
    ["GET", "/api/admin/clients/growth"],
    ["GET", `/api/admin/clients/${id}`],
    ["DELETE", `/api/admin/clients/${id}`],
    ["POST", `/api/admin/clients/${id}/regenerate-token`],
    ["GET", `/api/admin/clients/${id}/token`],
  ];
  for (const [method, path] of routes) {
    const body = method === "GET" ? undefined : { name: "x" };
    const none = await t.request(method, path, { body });
    assert.equal(none.status, 401, `${method} ${path}`);
    await none.body?.cancel();
    const client = await t.request(method, path, { token: c.token, body });
    assert.equal(client.status, 403, `${method} ${path}`);
    await client.body?.cancel();
  }
  // The static ADMIN_TOKEN works as well as an admin JWT.
  const r = await call(t, "GET", "/api/admin/clients", { token: t.config.ADMIN_TOKEN! });
  assert.equal(r.status, 200);
  const a = await call(t, "POST", "/api/admin/clients/create", {
    token: t.config.ADMIN_TOKEN!,
    body: { name: "Via Static" },
  });
  const audit = await t.db.execute<{ actor_id: string }>(
    "SELECT actor_id FROM audit_logs WHERE entity_id = ?",
    [a.body.client.id],
  );
  assert.deepEqual(audit.rows, [{ actor_id: "admin-token" }]);
  await assertNoSecretLeak(t, [c.token, t.adminToken, t.config.ADMIN_TOKEN!, a.body.client.token]);
});
