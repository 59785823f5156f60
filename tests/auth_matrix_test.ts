/**
 * The authorization matrix, enforced for every route the app declares: the route list comes from
 * the app's own /openapi.json (every operation carries `x-auth`), so routes added later are
 * covered without editing this file. Each route is called on a fresh pair of tenants with every
 * kind of credential; a route that declares no credential, or that the router knows but the
 * OpenAPI document does not, fails the test.
 */
import assert from "node:assert/strict";
import { createRoute, z } from "@hono/zod-openapi";
import { signClientToken } from "../core/tokens.ts";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { assertNoSecretLeak, seedTenant } from "./_tenant_fixtures.ts";
import type { Tenant } from "./_tenant_fixtures.ts";
import {
  documentedOperations,
  sampleBody,
  sampleParam,
  TENANT_PARAMS,
  useComponents,
} from "./_openapi_sample.ts";
import type { DocOperation, OpenApiDoc } from "./_openapi_sample.ts";

const KINDS = new Set(["agent", "client", "admin", "none"]);
// Served outside OpenAPI on purpose: the document itself and its viewer.
// /docs/scalar.js is a static asset; /metrics answers Prometheus text (its own credential check).
const UNDOCUMENTED_OK = new Set([
  "GET /openapi.json",
  "GET /docs",
  "GET /docs/scalar.js",
  "GET /metrics",
]);
const TTL = 3600;

type Op = DocOperation;

function fillPath(path: string, target: Tenant | null): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const known = Object.hasOwn(TENANT_PARAMS, name);
    return encodeURIComponent(known && target ? TENANT_PARAMS[name]!(target) : crypto.randomUUID());
  });
}

interface Outcome {
  status: number;
  code: string | undefined;
  text: string;
}

async function send(
  t: TestContext,
  o: Op,
  target: Tenant | null,
  authorization: string | null,
): Promise<Outcome> {
  const ids: Record<string, string> = {};
  for (const [name, pick] of Object.entries(TENANT_PARAMS)) {
    ids[name] = target ? pick(target) : crypto.randomUUID();
  }
  let url = fillPath(o.path, target);
  const query = new URLSearchParams();
  for (const p of o.op.parameters ?? []) {
    if (p.in === "query" && p.required) query.set(p.name, sampleParam(p, ids));
  }
  if (query.size > 0) url += `?${query}`;
  const headers: Record<string, string> = { "X-Forwarded-For": "192.0.2.1" };
  if (authorization !== null) headers.Authorization = authorization;
  let body: string | undefined;
  if (o.method !== "GET") {
    headers["Content-Type"] = "application/json";
    const json = sampleBody(o.op, ids);
    if (json !== undefined) body = JSON.stringify(json);
  }
  const res = await t.app.request(url, { method: o.method, headers, body });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = JSON.parse(text)?.code;
  } catch { /* CSV exports and the like */ }
  return { status: res.status, code, text: text.slice(0, 300) };
}

const ok = (s: number) => s !== 401 && s !== 403;

/** Routes served but not documented, and operations without a valid `x-auth`. */
function declarationProblems(routes: { method: string; path: string }[], ops: Op[]): string[] {
  const problems: string[] = [];
  const documented = new Set(ops.map((o) => `${o.method} ${o.path}`));
  for (const r of routes) {
    if (r.method === "ALL") continue;
    // The HTML console authenticates by session cookie, not bearer credential:
    // tests/console_test.ts checks that every one of its routes needs a session.
    if (r.path === "/console" || r.path.startsWith("/console/")) continue;
    const key = `${r.method} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}")}`;
    if (!documented.has(key) && !UNDOCUMENTED_OK.has(key)) {
      problems.push(`${key}: served but not in /openapi.json (register it with defineRoute)`);
    }
  }
  for (const o of ops) {
    if (!KINDS.has(o.kind)) problems.push(`${o.method} ${o.path}: missing or unknown x-auth`);
  }
  return problems;
}

Deno.test("auth matrix: a route without x-auth, or served outside OpenAPI, is a violation", async () => {
  const t = await testContext("auth_matrix_decl");
  const bare = createRoute({
    method: "get",
    path: "/api/test-undeclared/{agent_id}",
    request: { params: z.object({ agent_id: z.string() }) },
    responses: { 200: { description: "ok" } },
  });
  t.app.openapi(bare, (c) => c.json({}, 200) as never);
  t.app.get("/api/test-plain", (c) => c.json({}));
  const doc = await (await t.request("GET", "/openapi.json")).json() as OpenApiDoc;
  const problems = declarationProblems(t.app.routes, documentedOperations(doc))
    .filter((p) => p.includes("/api/test-"));
  assert.deepEqual(problems, [
    "GET /api/test-plain: served but not in /openapi.json (register it with defineRoute)",
    "GET /api/test-undeclared/{agent_id}: missing or unknown x-auth",
  ]);
});

Deno.test("auth matrix: every declared route follows its credential kind", async () => {
  const t = await testContext("auth_matrix", { env: { CLIENT_TOKEN_TTL: String(TTL) } });
  const res = await t.request("GET", "/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json() as OpenApiDoc;
  useComponents(doc);
  const ops = documentedOperations(doc);
  const problems: string[] = [];
  const notes: string[] = [];

  problems.push(...declarationProblems(t.app.routes, ops));
  assert.ok(ops.some((o) => o.path === "/api/admin/clients/create"), "route list looks empty");

  const secrets = new Set<string>([t.adminToken, t.config.ADMIN_TOKEN!]);
  for (const o of ops.filter((x) => KINDS.has(x.kind))) {
    const a = await seedTenant(t, "a");
    const b = await seedTenant(t, "b");
    const expired = await signClientToken(t.deps.services.keys, {
      clientId: a.clientId,
      version: 2,
      now: t.clock(),
      ttlSeconds: TTL,
    });
    t.clock.advance((TTL + t.config.TOKEN_CLOCK_TOLERANCE + 1) * 1000);
    for (const s of [a.token, a.revokedToken, a.legacyToken, b.token, expired]) secrets.add(s);
    const algNone = `eyJhbGciOiJub25lIn0.${
      btoa(JSON.stringify({ sub: a.clientId, typ: "client", ver: 2 })).replace(/=+$/, "")
    }.`;

    // Refused credentials first: none of them may change anything.
    const r: Record<string, Outcome> = {};
    r.none = await send(t, o, a, null);
    r.malformed = await send(t, o, a, "Bearer not.a-valid/token==");
    r.algNone = await send(t, o, a, `Bearer ${algNone}`);
    r.expired = await send(t, o, a, `Bearer ${expired}`);
    r.revoked = await send(t, o, a, `Bearer ${a.revokedToken}`);
    r.foreign = await send(t, o, b, `Bearer ${a.token}`); // a's token, b's ids
    r.unknown = await send(t, o, null, `Bearer ${a.token}`); // a's token, ids nobody has
    r.other = await send(t, o, a, `Bearer ${b.token}`); // b's token, a's ids
    r.right = await send(t, o, a, `Bearer ${a.token}`);
    r.legacy = await send(t, o, a, `Bearer ${a.legacyToken}`);
    r.admin = await send(t, o, a, `Bearer ${t.adminToken}`);

    const where = `${o.method} ${o.path} [${o.kind}]`;
    const expect = (what: string, cond: boolean, want: string) => {
      if (!cond) {
        problems.push(
          `${where}: ${what} -> ${r[what]!.status} ${r[what]!.code ?? ""}, want ${want}`,
        );
      }
    };
    for (const [what, out] of Object.entries(r)) {
      if (out.status >= 500) problems.push(`${where}: ${what} -> ${out.status} ${out.code ?? ""}`);
    }
    if (o.kind === "none") {
      expect("none", r.none!.status !== 403, "not 403");
      expect("right", ok(r.right!.status), "not 401/403");
      continue;
    }
    for (const what of ["none", "malformed", "algNone", "expired", "revoked"]) {
      expect(what, r[what]!.status === 401, "401");
    }
    if (o.kind === "admin") {
      for (const what of ["right", "other", "legacy"]) expect(what, r[what]!.status === 403, "403");
      expect("admin", ok(r.admin!.status), "not 401/403");
      continue;
    }
    expect("right", ok(r.right!.status), "not 401/403");
    expect("legacy", ok(r.legacy!.status), "not 401/403");
    if (o.kind === "agent") expect("admin", r.admin!.status === 403, "403");
    else expect("admin", ok(r.admin!.status), "not 401/403");
    const scoped = [...o.path.matchAll(/\{(\w+)\}/g)].some((m) => m[1]! in TENANT_PARAMS);
    if (!scoped) {
      expect("other", ok(r.other!.status), "not 401/403");
      continue;
    }
    // A foreign id must look exactly like an id nobody has: 404, never 403 and never success.
    expect(
      "foreign",
      r.foreign!.status === r.unknown!.status,
      `${r.unknown!.status} (as unknown ids)`,
    );
    expect("other", r.other!.status === r.foreign!.status, `${r.foreign!.status} (as foreign ids)`);
    expect("foreign", r.foreign!.status !== 403 && r.foreign!.status >= 400, "a 4xx, not 403");
    // Past body validation (400) and not missing (404), the handler found a's resource: then a
    // foreign id must have been stopped by ownership, i.e. answered 404.
    if (r.right!.status !== 400 && r.right!.status !== 404) {
      expect("foreign", r.foreign!.status === 404, "404");
      expect("other", r.other!.status === 404, "404");
    } else {
      notes.push(
        `${where}: own ids answer ${r.right!.status}, cross-tenant check limited: ${r.right!.text}`,
      );
    }
  }
  await t.deps.services.background.drain();
  const perKind = [...KINDS].map((k) => `${k}=${ops.filter((o) => o.kind === k).length}`);
  notes.unshift(`${ops.length} operations checked (${perKind.join(", ")})`);
  if (notes.length > 0) console.log(`auth matrix notes:\n  ${notes.join("\n  ")}`);
  assert.deepEqual(problems, [], `authorization matrix violations:\n  ${problems.join("\n  ")}`);
  await assertNoSecretLeak(t, secrets);
});
