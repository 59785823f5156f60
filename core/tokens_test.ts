import assert from "node:assert/strict";
import { SignJWT } from "jose";
import {
  constantTimeEqual,
  extractBearer,
  generateOpaqueSecret,
  hashOpaqueToken,
  looksLikeJwt,
  parseSigningKeys,
  signAdminToken,
  signClientToken,
  type SigningKey,
  TokenError,
  type TokenErrorCode,
  tokenFingerprint,
  type TokenKeys,
  verifyToken,
} from "./tokens.ts";

const NOW = new Date("2026-01-01T00:00:00Z");
const NOW_S = NOW.getTime() / 1000;

function secretB64(fill: number, length = 32): string {
  return btoa(String.fromCharCode(...new Uint8Array(length).fill(fill)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

const [OLD, NEW] = parseSigningKeys(`k1:${secretB64(1)},k2:${secretB64(2)}`) as [
  SigningKey,
  SigningKey,
];

function keys(signing: SigningKey, accepted: SigningKey[], over: Partial<TokenKeys> = {}) {
  return {
    signing,
    accepted,
    issuer: "spot-control",
    audience: "spot-api",
    clockToleranceSeconds: 30,
    ...over,
  };
}

function b64json(value: unknown): string {
  return btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function assertRefused(p: Promise<unknown>, code: TokenErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TokenError, `expected TokenError, got ${err}`);
    assert.equal(err.code, code);
    return true;
  });
}

Deno.test("tokens: parseSigningKeys", async (t) => {
  await t.step("parses several keys, tolerating spaces and standard base64", () => {
    const std = btoa(String.fromCharCode(...new Uint8Array(33).fill(0xfb)));
    const parsed = parseSigningKeys(` a:${secretB64(7)} , b:${std} `);
    assert.deepEqual(parsed.map((k) => k.kid), ["a", "b"]);
    assert.equal(parsed[0]?.secret.length, 32);
    assert.equal(parsed[1]?.secret[0], 0xfb);
  });
  await t.step("short secret names the kid", () => {
    assert.throws(() => parseSigningKeys(`ok:${secretB64(1)},short:${secretB64(1, 31)}`), /short/);
  });
  await t.step("duplicate kid, missing kid, bad base64, empty spec throw", () => {
    assert.throws(() => parseSigningKeys(`a:${secretB64(1)},a:${secretB64(2)}`), /duplicate/);
    assert.throws(() => parseSigningKeys(`:${secretB64(1)}`), /kid/);
    assert.throws(() => parseSigningKeys("a:not*base64"), /"a"/);
    assert.throws(() => parseSigningKeys(" , "), /at least one/);
  });
});

Deno.test("tokens: client token round trip", async () => {
  const k = keys(NEW, [OLD, NEW]);
  const token = await signClientToken(k, { clientId: "c-1", version: 3, now: NOW });
  assert.ok(looksLikeJwt(token));
  const [h, p] = token.split(".") as [string, string];
  const header = JSON.parse(atob(h.replaceAll("-", "+").replaceAll("_", "/")));
  const payload = JSON.parse(atob(p.replaceAll("-", "+").replaceAll("_", "/")));
  assert.deepEqual(header, { alg: "HS256", typ: "JWT", kid: "k2" });
  assert.deepEqual(payload, {
    typ: "client",
    ver: 3,
    sub: "c-1",
    iat: NOW_S,
    iss: "spot-control",
    aud: "spot-api",
  });
  // No exp: valid years later (agents run unattended for months).
  const later = new Date(NOW.getTime() + 5 * 365 * 86400_000);
  assert.deepEqual(await verifyToken(k, token, later), {
    kind: "client",
    clientId: "c-1",
    version: 3,
  });
});

Deno.test("tokens: admin vs client typ", async () => {
  const k = keys(NEW, [NEW]);
  const admin = await signAdminToken(k, { subject: "ops", now: NOW, ttlSeconds: 3600 });
  assert.deepEqual(await verifyToken(k, admin, NOW), { kind: "admin", subject: "ops" });
  const other = await new SignJWT({ typ: "superuser" }).setProtectedHeader({
    alg: "HS256",
    kid: "k2",
  }).setSubject("x").setIssuedAt(NOW_S).setIssuer("spot-control").setAudience("spot-api")
    .sign(NEW.secret);
  await assertRefused(verifyToken(k, other, NOW), "invalid");
  const adminNoExp = await new SignJWT({ typ: "admin" }).setProtectedHeader({
    alg: "HS256",
    kid: "k2",
  }).setSubject("ops").setIssuedAt(NOW_S).setIssuer("spot-control").setAudience("spot-api")
    .sign(NEW.secret);
  await assertRefused(verifyToken(k, adminNoExp, NOW), "invalid");
});

Deno.test("tokens: key rotation", async (t) => {
  const oldToken = await signClientToken(keys(OLD, [OLD]), { clientId: "c", version: 1, now: NOW });
  await t.step("old kid still accepted while its key is in accepted", async () => {
    const v = await verifyToken(keys(NEW, [NEW, OLD]), oldToken, NOW);
    assert.equal(v.kind, "client");
  });
  await t.step("new tokens carry the new kid", async () => {
    const t2 = await signClientToken(keys(NEW, [NEW, OLD]), {
      clientId: "c",
      version: 1,
      now: NOW,
    });
    assert.match(atob(t2.split(".")[0] ?? ""), /"kid":"k2"/);
  });
  await t.step("refused once the old key is retired", async () => {
    await assertRefused(verifyToken(keys(NEW, [NEW]), oldToken, NOW), "unknown_key");
  });
  await t.step("same kid with a different secret is a signature failure", async () => {
    const impostor = { kid: "k1", secret: NEW.secret };
    await assertRefused(verifyToken(keys(NEW, [impostor]), oldToken, NOW), "invalid");
  });
  await t.step("a token without kid is refused", async () => {
    const noKid = await new SignJWT({ typ: "client", ver: 1 }).setProtectedHeader({
      alg: "HS256",
    }).setSubject("c").setIssuedAt(NOW_S).setIssuer("spot-control").setAudience("spot-api")
      .sign(NEW.secret);
    await assertRefused(verifyToken(keys(NEW, [NEW]), noKid, NOW), "unknown_key");
  });
});

Deno.test("tokens: expiry and clock tolerance", async (t) => {
  const k = keys(NEW, [NEW], { clockToleranceSeconds: 30 });
  const token = await signClientToken(k, { clientId: "c", version: 1, now: NOW, ttlSeconds: 60 });
  const at = (s: number) => new Date((NOW_S + s) * 1000);
  await t.step("valid before exp and inside the tolerance", async () => {
    assert.equal((await verifyToken(k, token, at(59))).kind, "client");
    assert.equal((await verifyToken(k, token, at(89))).kind, "client");
  });
  await t.step("expired at exp + tolerance", async () => {
    await assertRefused(verifyToken(k, token, at(90)), "expired");
    await assertRefused(verifyToken(k, token, at(86400)), "expired");
  });
  await t.step("zero tolerance expires exactly at exp", async () => {
    const strict = { ...k, clockToleranceSeconds: 0 };
    assert.equal((await verifyToken(strict, token, at(59))).kind, "client");
    await assertRefused(verifyToken(strict, token, at(60)), "expired");
  });
  await t.step("admin tokens expire", async () => {
    const admin = await signAdminToken(k, { subject: "ops", now: NOW, ttlSeconds: 600 });
    await assertRefused(verifyToken(k, admin, at(630)), "expired");
  });
});

Deno.test("tokens: wrong issuer, audience, algorithm", async (t) => {
  const k = keys(NEW, [NEW]);
  const token = await signClientToken(k, { clientId: "c", version: 1, now: NOW });
  await t.step("issuer", async () => {
    await assertRefused(verifyToken({ ...k, issuer: "someone-else" }, token, NOW), "invalid");
  });
  await t.step("audience", async () => {
    await assertRefused(verifyToken({ ...k, audience: "dashboard" }, token, NOW), "invalid");
  });
  await t.step("alg none", async () => {
    const header = b64json({ alg: "none", kid: "k2" });
    const body = b64json({
      typ: "client",
      ver: 1,
      sub: "c",
      iat: NOW_S,
      iss: k.issuer,
      aud: k.audience,
    });
    const unsigned = `${header}.${body}.`;
    assert.ok(looksLikeJwt(unsigned), "alg none must be routed to JWT verification");
    await assertRefused(verifyToken(k, unsigned, NOW), "invalid");
  });
  await t.step("HS512 with the right secret", async () => {
    const hs512 = await new SignJWT({ typ: "client", ver: 1 })
      .setProtectedHeader({ alg: "HS512", kid: "k2" }).setSubject("c").setIssuedAt(NOW_S)
      .setIssuer(k.issuer).setAudience(k.audience).sign(NEW.secret);
    await assertRefused(verifyToken(k, hs512, NOW), "invalid");
  });
});

Deno.test("tokens: tampering and malformed input", async (t) => {
  const k = keys(NEW, [NEW]);
  const token = await signClientToken(k, { clientId: "c-1", version: 1, now: NOW });
  const [h, , s] = token.split(".") as [string, string, string];
  await t.step("tampered payload", async () => {
    const forged = b64json({
      typ: "client",
      ver: 1,
      sub: "c-2",
      iat: NOW_S,
      iss: k.issuer,
      aud: k.audience,
    });
    await assertRefused(verifyToken(k, `${h}.${forged}.${s}`, NOW), "invalid");
  });
  await t.step("tampered signature", async () => {
    const flipped = (s[0] === "A" ? "B" : "A") + s.slice(1);
    await assertRefused(verifyToken(k, `${h}.${token.split(".")[1]}.${flipped}`, NOW), "invalid");
  });
  await t.step("opaque and garbage tokens are malformed", async () => {
    for (const bad of ["token-abc", "demo-token-12345", "a.b.c", "", "x".repeat(5000)]) {
      await assertRefused(verifyToken(k, bad, NOW), "malformed");
    }
  });
});

Deno.test("tokens: looksLikeJwt", () => {
  assert.equal(looksLikeJwt("token-" + "A1".repeat(16)), false);
  assert.equal(looksLikeJwt("demo-token-12345"), false);
  assert.equal(looksLikeJwt("a.b.c"), false);
  assert.equal(looksLikeJwt(`${b64json({ typ: "JWT" })}.e30.sig`), false);
  assert.equal(looksLikeJwt(`${b64json([1])}.e30.sig`), false);
  assert.equal(looksLikeJwt(`${b64json({ alg: "HS256" })}.e30.s!g`), false);
  assert.equal(looksLikeJwt(`${b64json({ alg: "HS256" })}.e30.sig`), true);
});

Deno.test("tokens: extractBearer", async (t) => {
  await t.step("prefix forms", () => {
    assert.equal(extractBearer("Bearer abc"), "abc");
    assert.equal(extractBearer("bearer abc"), "abc");
    assert.equal(extractBearer("BEARER   abc  "), "abc");
    assert.equal(extractBearer("Bearer\tabc"), "abc");
  });
  await t.step("bare token", () => {
    assert.equal(
      extractBearer("token-abcdefghijklmnopqrstuvwxyz012345"),
      "token-abcdefghijklmnopqrstuvwxyz012345",
    );
    assert.equal(extractBearer("  demo-token-12345 "), "demo-token-12345");
    assert.equal(extractBearer("bearerish-token"), "bearerish-token");
  });
  await t.step("liberal alphabet", () => {
    for (const tok of ["a=b+c/d%e!f", "x~y_z.w-", "p@ss#word$^&*()[]{}|;:'\",<>?`", "tök€n"]) {
      assert.equal(extractBearer(`Bearer ${tok}`), tok);
      assert.equal(extractBearer(tok), tok);
    }
  });
  await t.step("nothing usable is null", () => {
    for (const v of [null, undefined, "", "   ", "Bearer", "Bearer   ", "bearer "]) {
      assert.equal(extractBearer(v), null, JSON.stringify(v));
    }
    assert.equal(extractBearer("Bearer a b"), null);
    assert.equal(extractBearer("Bearer a\u0000b"), null);
  });
  await t.step("requireScheme (validate endpoint)", () => {
    assert.equal(extractBearer("abc", { requireScheme: true }), null);
    assert.equal(extractBearer("Bearer abc", { requireScheme: true }), "abc");
  });
});

Deno.test("tokens: hashing, fingerprint, secrets, constant-time compare", async () => {
  const h = await hashOpaqueToken("demo-token-12345");
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(await hashOpaqueToken("demo-token-12345"), h);
  assert.notEqual(await hashOpaqueToken("demo-token-12346"), h);
  // Known vector: SHA-256("abc").
  assert.equal(
    await hashOpaqueToken("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  const fp = await tokenFingerprint("demo-token-12345");
  assert.equal(fp, h.slice(0, 12));

  const s1 = generateOpaqueSecret();
  assert.match(s1, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(generateOpaqueSecret(), s1);
  assert.equal(looksLikeJwt(s1), false);

  assert.equal(constantTimeEqual("secret-admin", "secret-admin"), true);
  assert.equal(constantTimeEqual("secret-admin", "secret-admim"), false);
  assert.equal(constantTimeEqual("short", "a much longer value"), false);
  assert.equal(constantTimeEqual("", ""), true);
});

Deno.test("tokens: configuration mistakes throw instead of refusing every token", async () => {
  const k = keys(NEW, [NEW]);
  const token = await signClientToken(k, { clientId: "c", version: 1, now: NOW });
  await assert.rejects(verifyToken({ ...k, clockToleranceSeconds: -1 }, token, NOW), TypeError);
  await assert.rejects(verifyToken(k, token, new Date(NaN)), TypeError);
  await assert.rejects(
    signClientToken(k, { clientId: "c", version: 1.5, now: NOW }),
    TypeError,
  );
  await assert.rejects(signAdminToken(k, { subject: "a", now: NOW, ttlSeconds: 0 }), TypeError);
});
