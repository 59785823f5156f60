import assert from "node:assert/strict";
import {
  hashOpaqueToken,
  parseSigningKeys,
  signClientToken,
  tokenFingerprint,
} from "../core/tokens.ts";
import { testContext, testKeySpec } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { assertNoSecretLeak, insertRow } from "./_tenant_fixtures.ts";

/** The server runs behind one reverse proxy. */
const BEHIND_PROXY = { TRUSTED_PROXIES: "1" };

async function validate(
  t: TestContext,
  authorization?: string,
  from = "198.51.100.7",
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  // As one trusted reverse proxy (TRUSTED_PROXIES=1) sends it: the caller's own value, then the
  // peer address the proxy appended.
  const headers: Record<string, string> = { "X-Forwarded-For": `10.9.9.9, ${from}` };
  if (authorization !== undefined) headers.Authorization = authorization;
  const res = await t.request("GET", "/api/client/validate", { headers });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function createViaApi(t: TestContext, name: string, email?: string) {
  const res = await t.request("POST", "/api/admin/clients/create", {
    token: t.adminToken,
    body: { name, email },
  });
  assert.equal(res.status, 200);
  return (await res.json()).client as { id: string; name: string; email: string; token: string };
}

Deno.test("validate: a valid token answers 200 with client_id, name and email", async () => {
  const t = await testContext("validate_ok", { env: BEHIND_PROXY });
  const c = await createViaApi(t, "Valid Co", "ops@valid.test");
  const r = await validate(t, `Bearer ${c.token}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    valid: true,
    client_id: c.id,
    name: "Valid Co",
    email: "ops@valid.test",
  });
  // The attempt is a system event carrying a fingerprint, the source address and no token.
  const ev = await t.db.execute<{ client_id: string; metadata: Record<string, unknown> }>(
    "SELECT client_id, metadata FROM system_events WHERE event_type = 'client_token_validation'",
  );
  assert.equal(ev.rows.length, 1);
  assert.equal(ev.rows[0]!.client_id, c.id);
  const meta = typeof ev.rows[0]!.metadata === "string"
    ? JSON.parse(ev.rows[0]!.metadata)
    : ev.rows[0]!.metadata;
  assert.equal(meta.outcome, "valid");
  assert.equal(meta.token_fingerprint, await tokenFingerprint(c.token));
  assert.equal(meta.source, "198.51.100.7");
  await assertNoSecretLeak(t, [c.token, t.adminToken]);
});

Deno.test("validate: missing, bare, empty, malformed, unknown and forged tokens are 401", async () => {
  const t = await testContext("validate_401", { env: BEHIND_PROXY });
  const c = await createViaApi(t, "Some Co");
  // Right claims, right kid, wrong secret.
  const [evil] = parseSigningKeys(testKeySpec(t.deps.services.keys.signing.kid));
  const forged = await signClientToken(
    { ...t.deps.services.keys, signing: evil!, accepted: [evil!] },
    { clientId: c.id, version: 1, now: t.clock() },
  );
  const cases: [string | undefined, string][] = [
    [undefined, "missing_token"],
    [c.token, "missing_token"], // validate requires the Bearer prefix (CONTRACT CT-V)
    ["Bearer ", "empty_token"],
    ["Bearer    ", "empty_token"],
    ["Basic dXNlcjpwYXNz", "missing_token"],
    ["Bearer abc def", "missing_token"],
    ["Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "invalid_token"],
    ["Bearer token-unknownunknownunknownunknown12", "invalid_token"],
    [`Bearer ${forged}`, "invalid_token"],
    [`Bearer ${t.adminToken}`, "not_a_client_token"],
  ];
  for (const [header, code] of cases) {
    const r = await validate(t, header);
    assert.equal(r.status, 401, `${header}`);
    assert.equal(r.body.valid, false);
    assert.equal(r.body.code, code, `${header}`);
    assert.equal(typeof r.body.error, "string");
  }
  const n = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'client_token_validation'",
  );
  assert.equal(Number(n.rows[0]!.n), cases.length);
  await assertNoSecretLeak(t, [c.token, forged, t.adminToken]);
});

Deno.test("validate: an expired token (CLIENT_TOKEN_TTL) says expired", async () => {
  const t = await testContext("validate_expired", {
    env: { ...BEHIND_PROXY, CLIENT_TOKEN_TTL: "3600" },
  });
  const c = await createViaApi(t, "Short Lived");
  assert.equal((await validate(t, `Bearer ${c.token}`)).status, 200);
  t.clock.advance(3600_000 + 31_000 + t.config.AUTH_CACHE_TTL * 1000);
  const r = await validate(t, `Bearer ${c.token}`);
  assert.equal(r.status, 401);
  assert.equal(r.body.code, "token_expired");
  assert.match(String(r.body.error), /expired/);
  await assertNoSecretLeak(t, [c.token]);
});

Deno.test("validate: a regenerated (revoked) token is 401 at once; an inactive client is 403", async () => {
  const t = await testContext("validate_revoked", { env: BEHIND_PROXY });
  const c = await createViaApi(t, "Rotating");
  assert.equal((await validate(t, `Bearer ${c.token}`)).status, 200); // now cached
  const res = await t.request("POST", `/api/admin/clients/${c.id}/regenerate-token`, {
    token: t.adminToken,
  });
  const fresh = (await res.json()).token as string;
  const revoked = await validate(t, `Bearer ${c.token}`);
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.code, "token_revoked");
  assert.equal((await validate(t, `Bearer ${fresh}`)).status, 200);

  await t.db.execute("UPDATE clients SET is_active = 0 WHERE id = ?", [c.id]);
  t.clock.advance(t.config.AUTH_CACHE_TTL * 1000); // the cache may hold the active state that long
  const inactive = await validate(t, `Bearer ${fresh}`);
  assert.equal(inactive.status, 403);
  assert.deepEqual(inactive.body, {
    valid: false,
    error: "Client account is not active",
    code: "client_inactive",
  });
  await assertNoSecretLeak(t, [c.token, fresh]);
});

Deno.test("validate: a legacy opaque token is valid by its hash", async () => {
  const t = await testContext("validate_legacy", { env: BEHIND_PROXY });
  const legacy = "token-LegacyLegacyLegacyLegacyLegacy12";
  const id = crypto.randomUUID();
  await insertRow(t.db, "clients", {
    id,
    name: "Old Install",
    email: "old@example.test",
    token_hash: await hashOpaqueToken(legacy),
  });
  const r = await validate(t, `Bearer ${legacy}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.client_id, id);
  await assertNoSecretLeak(t, [legacy]);
});

Deno.test("validate: failures are rate-limited per source address (429 + Retry-After)", async () => {
  const t = await testContext("validate_limit", {
    env: { ...BEHIND_PROXY, VALIDATE_RATE_LIMIT: "3" },
  });
  const c = await createViaApi(t, "Limited");
  for (let i = 0; i < 3; i++) {
    assert.equal((await validate(t, "Bearer wrong-token-guess-" + i, "203.0.113.9")).status, 401);
  }
  const blocked = await validate(t, "Bearer wrong-token-guess-x", "203.0.113.9");
  assert.equal(blocked.status, 429);
  assert.deepEqual(blocked.body, {
    valid: false,
    error: "Too many failed validation attempts; retry later",
    code: "rate_limited",
  });
  const retry = Number(blocked.headers.get("retry-after"));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  // Even a good token waits: otherwise a guesser could interleave a known token.
  assert.equal((await validate(t, `Bearer ${c.token}`, "203.0.113.9")).status, 429);
  // Another address is not affected; successes do not count.
  for (let i = 0; i < 5; i++) {
    assert.equal((await validate(t, `Bearer ${c.token}`, "203.0.113.10")).status, 200);
  }
  // The window passes.
  t.clock.advance(60_000);
  assert.equal((await validate(t, `Bearer ${c.token}`, "203.0.113.9")).status, 200);
  // The flood of 429s was recorded once, not per attempt.
  const limited = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'client_token_validation' AND JSON_VALUE(metadata, '$.code') = 'rate_limited'",
  );
  assert.equal(Number(limited.rows[0]!.n), 1);
  await assertNoSecretLeak(t, [c.token]);
});
