/**
 * The console over app.request(): sign-in (cookie attributes, never the raw token, bad token),
 * CSRF refusals, tenancy of console pages, the ledger CSV, and sessions ended by a token
 * regeneration or a deactivation.
 */
import assert from "node:assert/strict";
import { testContext, testKeySpec } from "./_support.ts";
import { signAdminToken } from "../core/tokens.ts";
import type { TestContext } from "./_support.ts";
import { consoleFleet } from "./_console_fixtures.ts";

/** A minimal cookie jar for app.request(). */
class Jar {
  cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const i = pair!.indexOf("=");
      const k = pair!.slice(0, i);
      const v = pair!.slice(i + 1);
      if (/max-age=0/i.test(line) || v === "") this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

async function get(t: TestContext, jar: Jar, path: string, headers: Record<string, string> = {}) {
  const res = await t.app.request(path, { headers: { cookie: jar.header(), ...headers } });
  jar.take(res);
  return res;
}

async function post(
  t: TestContext,
  jar: Jar,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const res = await t.app.request(path, {
    method: "POST",
    headers: {
      cookie: jar.header(),
      "content-type": "application/x-www-form-urlencoded",
      ...headers,
    },
    body: new URLSearchParams(form).toString(),
  });
  jar.take(res);
  return res;
}

function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, "form has a CSRF field");
  return m[1]!;
}

/** Signs in with `token` and returns the jar holding the session. */
async function signIn(t: TestContext, token: string, as = "client"): Promise<Jar> {
  const jar = new Jar();
  const page = await get(t, jar, "/console/sign-in");
  const res = await post(t, jar, "/console/sign-in", {
    _csrf: csrfOf(await page.text()),
    token,
    as,
  });
  assert.equal(res.status, 303, await res.clone().text());
  return jar;
}

Deno.test("console: sign-in sets an HttpOnly SameSite=Strict session that is not the token", async () => {
  const t = await testContext("console_signin");
  const { client } = await consoleFleet(t);
  const jar = new Jar();
  const page = await get(t, jar, "/console/sign-in");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  const res = await post(t, jar, "/console/sign-in", {
    _csrf: csrfOf(await page.text()),
    token: client.token,
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/console/overview");
  const cookie = res.headers.getSetCookie().find((l) => l.startsWith("console_session="))!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(cookie, /Path=\/console/);
  assert.doesNotMatch(cookie, /Secure/, "plain HTTP: no Secure flag");
  assert.ok(!cookie.includes(client.token), "the session is not the client token");
  const overview = await get(t, jar, "/console/overview");
  assert.equal(overview.status, 200);
  assert.match(await overview.text(), /Agents online/);

  // Behind an HTTPS proxy the cookie is Secure.
  const jar2 = new Jar();
  const p2 = await get(t, jar2, "/console/sign-in");
  const r2 = await post(t, jar2, "/console/sign-in", {
    _csrf: csrfOf(await p2.text()),
    token: client.token,
  }, { "x-forwarded-proto": "https" });
  assert.match(r2.headers.getSetCookie().find((l) => l.startsWith("console_session="))!, /Secure/);
});

Deno.test("console: a bad token, an admin token as client, a CSRF-less sign-in are refused", async () => {
  const t = await testContext("console_badtoken");
  await consoleFleet(t);
  const jar = new Jar();
  const page = await get(t, jar, "/console/sign-in");
  const csrf = csrfOf(await page.text());
  const bad = await post(t, jar, "/console/sign-in", { _csrf: csrf, token: "not-a-token" });
  assert.equal(bad.status, 401);
  assert.match(await bad.text(), /Sign-in refused/);
  assert.ok(!jar.cookies.has("console_session"));
  const noCsrf = await post(t, new Jar(), "/console/sign-in", { token: "x" });
  assert.equal(noCsrf.status, 403);
  const asAdmin = await post(t, jar, "/console/sign-in", {
    _csrf: csrf,
    token: t.adminToken,
    as: "client",
  });
  assert.equal(asAdmin.status, 401, "the admin credential is not a client token");
  const wrongAdmin = await post(t, jar, "/console/sign-in", {
    _csrf: csrf,
    token: "nope",
    as: "admin",
  });
  assert.equal(wrongAdmin.status, 401);
  assert.equal((await get(t, jar, "/console/overview")).status, 303);
});

Deno.test("console: a POST without the session's CSRF token is refused and changes nothing", async () => {
  const t = await testContext("console_csrf");
  const { client, a1 } = await consoleFleet(t);
  const jar = await signIn(t, client.token);
  const form = { auto_switch_enabled: "", terminate_wait_seconds: "60" };
  const res = await post(t, jar, `/console/agents/${a1}/settings`, form);
  assert.equal(res.status, 403);
  assert.match(await res.text(), /csrf_failed/);
  const wrong = await post(t, jar, `/console/agents/${a1}/settings`, { ...form, _csrf: "x" });
  assert.equal(wrong.status, 403);
  const agent = await (await t.request("GET", `/api/agents/${a1}`, { token: client.token })).json();
  assert.equal(agent.auto_switch_enabled, true);
  assert.equal(agent.terminate_wait_seconds, 300);
  const signOut = await post(t, jar, "/console/sign-out", {});
  assert.equal(signOut.status, 403, "sign-out needs the CSRF token too");
});

Deno.test("console: a client sees only its own agents; admin pages need an admin session", async () => {
  const t = await testContext("console_tenancy");
  const { client, other, a1 } = await consoleFleet(t);
  const jar = await signIn(t, other.token);
  const res = await get(t, jar, `/console/agents/${a1}`);
  assert.equal(res.status, 404);
  const agents = await (await get(t, jar, "/console/agents")).text();
  assert.ok(!agents.includes(a1));
  const admin = await get(t, jar, "/console/admin/clients");
  assert.equal(admin.status, 303, "a client session is sent home");
  assert.equal(admin.headers.get("location"), "/console/overview");
  const mine = await signIn(t, client.token);
  assert.match(await (await get(t, mine, "/console/agents")).text(), new RegExp(a1));
});

Deno.test("console: the ledger CSV lists the settled and live days", async () => {
  const t = await testContext("console_csv");
  const { client } = await consoleFleet(t);
  const jar = await signIn(t, client.token);
  const res = await get(t, jar, "/console/savings.csv");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/csv/);
  const lines = (await res.text()).trim().split("\r\n");
  assert.match(lines[0]!, /^Day,Settled,/);
  assert.ok(lines.some((l) => l.startsWith("2026-11-25,true,")), "a settled day");
  assert.ok(lines.some((l) => l.startsWith("2026-11-27,false,")), "today, live");
});

Deno.test("console: regenerating the token or deactivating the client ends its session", async () => {
  const t = await testContext("console_revoke");
  const { client } = await consoleFleet(t);
  const jar = await signIn(t, client.token);
  assert.equal((await get(t, jar, "/console/overview")).status, 200);
  const r = await t.request("POST", `/api/admin/clients/${client.id}/regenerate-token`, {
    token: t.adminToken,
  });
  assert.equal(r.status, 200);
  const after = await get(t, jar, "/console/overview");
  assert.equal(after.status, 303);
  assert.equal(after.headers.get("location"), "/console/sign-in?ended=1");
  assert.ok(!jar.cookies.has("console_session"), "the cookie is cleared");

  const { token } = await r.json();
  const jar2 = await signIn(t, token);
  const admin = await signIn(t, t.adminToken, "admin");
  const page = await get(t, admin, "/console/admin/clients");
  const res = await post(t, admin, `/console/admin/clients/${client.id}/deactivate`, {
    _csrf: csrfOf(await page.text()),
  });
  assert.equal(res.status, 303);
  assert.equal(
    (await get(t, jar2, "/console/overview")).headers.get("location"),
    "/console/sign-in?ended=1",
  );
  const v = await t.request("GET", "/api/client/validate", { token });
  assert.equal(v.status, 403, "an inactive client's token is refused by the API too");
});

Deno.test("console: a session cookie is not an API token, and a forged one is not a session", async () => {
  const t = await testContext("console_forged");
  const { client } = await consoleFleet(t);
  const jar = await signIn(t, client.token);
  const session = jar.cookies.get("console_session")!;
  const asBearer = await t.request("GET", "/api/client/validate", { token: session });
  assert.equal(asBearer.status, 401, "signed with a derived key and another audience");
  const [h, p, s] = session.split(".");
  const claims = JSON.parse(atob(p!.replace(/-/g, "+").replace(/_/g, "/")));
  const forged = btoa(JSON.stringify({ ...claims, role: "admin" })).replace(/=+$/, "")
    .replace(/\+/g, "-").replace(/\//g, "_");
  jar.cookies.set("console_session", `${h}.${forged}.${s}`);
  const res = await get(t, jar, "/console/admin/clients");
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/console/sign-in");
});

Deno.test("console: every console route but sign-in and assets needs a session", async () => {
  const t = await testContext("console_matrix");
  const { a1 } = await consoleFleet(t);
  const open = new Set(["/console/sign-in", "/console/assets/:name"]);
  const routes = t.app.routes.filter((r) =>
    r.method !== "ALL" && (r.path === "/console" || r.path.startsWith("/console/")) &&
    !open.has(r.path)
  );
  assert.ok(routes.length >= 20, `console routes found: ${routes.length}`);
  for (const r of routes) {
    const path = r.path.replace(":id", a1);
    const res = await t.app.request(path, {
      method: r.method,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: r.method === "POST" ? "_csrf=x" : undefined,
    });
    const where = res.headers.get("location");
    assert.ok(
      res.status === 303 && where === "/console/sign-in",
      `${r.method} ${r.path} without a session: ${res.status} ${where}`,
    );
  }
  const asset = await t.app.request("/console/assets/console.css");
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get("content-type") ?? "", /text\/css/);
});

Deno.test("console: an admin creates a client; its token is shown once and works", async () => {
  const t = await testContext("console_create");
  await consoleFleet(t);
  const admin = await signIn(t, t.adminToken, "admin");
  const page = await get(t, admin, "/console/admin/clients");
  const csrf = csrfOf(await page.text());
  const res = await post(t, admin, "/console/admin/clients", {
    _csrf: csrf,
    name: "Acme Console",
    email: "ops@acme.test",
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const m = /id="issued-token">([^<]+)</.exec(await res.text());
  assert.ok(m, "the token is on the page");
  const v = await t.request("GET", "/api/client/validate", { token: m[1]! });
  assert.equal(v.status, 200);
  assert.equal((await v.json()).name, "Acme Console");
  const list = await (await get(t, admin, "/console/admin/clients")).text();
  assert.ok(
    list.includes("Acme Console") && !list.includes(m[1]!),
    "listed, token not shown again",
  );
  const dup = await post(t, admin, "/console/admin/clients", { _csrf: csrf, name: "Acme Console" });
  assert.equal(dup.status, 303, "a refused create goes back with a message");
  const back = await (await get(t, admin, "/console/admin/clients")).text();
  assert.match(back, /already exists \(client_exists\)/);
});

Deno.test("console: sign-in failures count against validate's limit per address and are audited", async () => {
  const t = await testContext("console_limit", { env: { VALIDATE_RATE_LIMIT: "2" } });
  const { client } = await consoleFleet(t);
  const jar = new Jar();
  const csrf = csrfOf(await (await get(t, jar, "/console/sign-in")).text());
  for (let i = 0; i < 2; i++) {
    const r = await post(t, jar, "/console/sign-in", { _csrf: csrf, token: `bad-${i}` });
    assert.equal(r.status, 401);
  }
  const limited = await post(t, jar, "/console/sign-in", { _csrf: csrf, token: client.token });
  assert.equal(limited.status, 429, "the good token waits too: the address is limited");
  assert.ok(limited.headers.get("retry-after"));
  const api = await t.request("GET", "/api/client/validate", { token: client.token });
  assert.equal(api.status, 429, "the same limit as the API's validate");
  const events = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM system_events WHERE event_type = 'client_token_validation'",
  );
  assert.ok(Number(events.rows[0]!.n) >= 2, "console sign-in attempts are audited");
});

Deno.test("console: admin sessions work on every instance, end with a changed ADMIN_TOKEN or the admin JWT", async () => {
  const keys = testKeySpec();
  const t1 = await testContext("console_admin_sessions", { env: { TOKEN_SIGNING_KEYS: keys } });
  await consoleFleet(t1);
  const jar = await signIn(t1, t1.config.ADMIN_TOKEN!, "admin");
  const same = await testContext("console_admin_sessions", {
    db: t1.db,
    env: { TOKEN_SIGNING_KEYS: keys },
  });
  assert.equal((await get(same, jar, "/console/admin/clients")).status, 200, "another instance");
  const rotated = await testContext("console_admin_sessions", {
    db: t1.db,
    env: { TOKEN_SIGNING_KEYS: keys, ADMIN_TOKEN: "a-new-admin-token-0123456789abcdef" },
  });
  const r = await get(rotated, jar, "/console/admin/clients");
  assert.equal(r.status, 303, "a changed ADMIN_TOKEN ends sessions opened with the old one");

  const shortJwt = await signAdminToken(t1.deps.services.keys, {
    subject: "ops",
    now: t1.clock(),
    ttlSeconds: 120,
  });
  const jwtJar = await signIn(t1, shortJwt, "admin");
  assert.equal((await get(t1, jwtJar, "/console/admin/clients")).status, 200);
  t1.clock.advance(180_000);
  const late = await get(t1, jwtJar, "/console/admin/clients");
  assert.equal(late.status, 303, "the session ends with the admin JWT it was opened with");
});
