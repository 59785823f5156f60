/**
 * The OpenAPI document (/openapi.json): it covers every route the app registers (compared with
 * Hono's own route list), validates structurally as OpenAPI 3.1 (checked here, no network), and
 * the declared response schemas are the ones real answers match: every GET route of the dashboard
 * groups is called and its body checked against its declared zod schema.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import { assertDeclared, call, declaredRoutes } from "./_schema_check.ts";
import { addAgent, addInstance, addSwitch } from "./_dashboard_fixtures.ts";

type Json = Record<string, unknown>;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** The app's own routes (method + OpenAPI-style path) under /api, and the probes. */
function registeredRoutes(app: { routes: { method: string; path: string }[] }): Set<string> {
  const out = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    if (!r.path.startsWith("/api/") && !["/health", "/livez", "/readyz"].includes(r.path)) continue;
    out.add(`${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`);
  }
  return out;
}

/** Resolves a local JSON pointer (`#/a/b`) in `doc`. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let cur: unknown = doc;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object" || !(key in (cur as Json))) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

/** Every `$ref` string anywhere in the value, with where it was found. */
function collectRefs(v: unknown, at = "#", out: [string, string][] = []): [string, string][] {
  if (Array.isArray(v)) v.forEach((x, i) => collectRefs(x, `${at}/${i}`, out));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string") out.push([at, x]);
      else collectRefs(x, `${at}/${k}`, out);
    }
  }
  return out;
}

/** Structural problems of an OpenAPI 3.1 document (empty when it is well-formed). */
function structuralProblems(doc: Json): string[] {
  const p: string[] = [];
  if (typeof doc.openapi !== "string" || !/^3\.1\.\d+$/.test(doc.openapi)) {
    p.push(`openapi is ${doc.openapi}, not 3.1.x`);
  }
  const info = doc.info as Json | undefined;
  if (!info || typeof info.title !== "string" || typeof info.version !== "string") {
    p.push("info.title and info.version are required strings");
  }
  const paths = doc.paths as Record<string, Json> | undefined;
  if (!paths || typeof paths !== "object") return [...p, "paths missing"];
  const schemes = ((doc.components as Json | undefined)?.securitySchemes ?? {}) as Json;
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith("/")) p.push(`${path}: path must start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, raw] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method)) {
        if (method !== "parameters" && method !== "summary" && method !== "description") {
          p.push(`${where}: unknown path item key`);
        }
        continue;
      }
      const op = raw as Json;
      const responses = op.responses as Record<string, Json> | undefined;
      if (!responses || Object.keys(responses).length === 0) p.push(`${where}: no responses`);
      let withSchema = 0;
      for (const [status, resp] of Object.entries(responses ?? {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) p.push(`${where}: bad status ${status}`);
        if (typeof resp.description !== "string") p.push(`${where} ${status}: no description`);
        for (const [media, m] of Object.entries((resp.content ?? {}) as Record<string, Json>)) {
          if (!m || typeof m.schema !== "object") p.push(`${where} ${status} ${media}: no schema`);
          else withSchema++;
        }
      }
      if (withSchema === 0) p.push(`${where}: no response declares a content schema`);
      const params = (op.parameters ?? []) as Json[];
      const seen = new Set<string>();
      for (const prm of params) {
        if (typeof prm.name !== "string") p.push(`${where}: parameter without name`);
        if (!["path", "query", "header", "cookie"].includes(String(prm.in))) {
          p.push(`${where}: parameter ${prm.name} has in=${prm.in}`);
        }
        if (prm.in === "path" && prm.required !== true) {
          p.push(`${where}: path parameter ${prm.name} must be required`);
        }
        if (typeof prm.schema !== "object") p.push(`${where}: parameter ${prm.name} has no schema`);
        const key = `${prm.in}:${prm.name}`;
        if (seen.has(key)) p.push(`${where}: duplicate parameter ${key}`);
        seen.add(key);
      }
      for (const name of templated) {
        if (!params.some((x) => x.in === "path" && x.name === name)) {
          p.push(`${where}: path parameter {${name}} not declared`);
        }
      }
      for (const x of params.filter((x) => x.in === "path")) {
        if (!templated.includes(String(x.name))) p.push(`${where}: stray path parameter ${x.name}`);
      }
      const body = op.requestBody as Json | undefined;
      if (body) {
        for (const [media, m] of Object.entries((body.content ?? {}) as Record<string, Json>)) {
          if (typeof m?.schema !== "object") p.push(`${where}: request ${media} has no schema`);
        }
      }
      for (const req of (op.security ?? []) as Json[]) {
        for (const name of Object.keys(req)) {
          if (!(name in schemes)) p.push(`${where}: unknown security scheme ${name}`);
        }
      }
    }
  }
  for (const [at, ref] of collectRefs(doc)) {
    if (resolvePointer(doc, ref) === undefined) p.push(`${at}: $ref ${ref} does not resolve`);
  }
  return p;
}

Deno.test("openapi: the document is OpenAPI 3.1 and covers every registered route", async () => {
  const t = await testContext("openapi_cover");
  const res = await t.request("GET", "/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json() as Json;
  assert.deepEqual(structuralProblems(doc), []);
  const documented = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const m of Object.keys(item)) if (METHODS.includes(m)) documented.add(`${m} ${path}`);
  }
  const registered = registeredRoutes(t.app);
  const missing = [...registered].filter((r) => !documented.has(r));
  assert.deepEqual(missing, [], "registered routes missing from /openapi.json");
  const phantom = [...documented].filter((r) => !registered.has(r));
  assert.deepEqual(phantom, [], "documented operations that no route serves");
  // /docs lists the tags in the declared order and renders only the first group eagerly.
  const declared = (doc.tags as { name: string }[]).map((tag) => tag.name);
  assert.equal(declared[0], "agent", "the agent routes come first in /docs");
  const used = new Set<string>();
  for (const item of Object.values(doc.paths as Record<string, Record<string, Json>>)) {
    for (const op of Object.values(item)) {
      for (const tag of (op.tags ?? []) as string[]) used.add(tag);
    }
  }
  assert.deepEqual([...used].filter((tag) => !declared.includes(tag)), [], "undeclared tags");
  // The dashboard groups are all there (a spot check that registration really happened).
  for (
    const r of [
      "get /api/client/{client_id}",
      "get /api/client/{client_id}/switches",
      "post /api/client/instances/{instance_id}/force-switch",
      "get /api/admin/system-health",
      "post /api/notifications/mark-all-read",
      "post /api/admin/ml-models/upload",
      "get /health",
    ]
  ) assert.ok(documented.has(r), r);
  // Every operation names its credential.
  for (const item of Object.values(doc.paths as Record<string, Json>)) {
    for (const [m, op] of Object.entries(item)) {
      if (METHODS.includes(m)) {
        assert.ok(["agent", "client", "admin", "none"].includes(String((op as Json)["x-auth"])));
      }
    }
  }
});

Deno.test("openapi: the structural check catches broken documents", () => {
  const good = {
    openapi: "3.1.0",
    info: { title: "x", version: "1" },
    paths: {
      "/a/{id}": {
        get: {
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            200: {
              description: "ok",
              content: { "application/json": { schema: { $ref: "#/components/schemas/A" } } },
            },
          },
        },
      },
    },
    components: { schemas: { A: { type: "object" } } },
  };
  assert.deepEqual(structuralProblems(good), []);
  const bad = structuredClone(good) as Json;
  bad.openapi = "3.0.3";
  delete ((bad.components as Json).schemas as Json).A;
  const op = ((bad.paths as Json)["/a/{id}"] as Json).get as Json;
  op.parameters = [];
  const problems = structuralProblems(bad);
  assert.equal(problems.length, 3, problems.join("\n"));
});

Deno.test("openapi: a response that does not match its declared schema fails the check", async () => {
  const t = await testContext("openapi_mismatch");
  assert.throws(
    () =>
      assertDeclared(t.app, "GET", "/api/client/abc/switches", 200, "application/json", {
        switches: [{ id: 1 }],
        total: "2",
      }),
    /does not match its declared schema/,
  );
  assert.throws(
    () => assertDeclared(t.app, "GET", "/api/client/abc/switches", 418, "application/json", {}),
    /not declared/,
  );
});

Deno.test("openapi: every dashboard GET route answers what it declares, for both credentials", async () => {
  const t = await testContext("openapi_sweep");
  const client = await t.createClient();
  const agentId = await addAgent(t.db, {
    clientId: client.id,
    lastHeartbeatAt: t.clock(),
    instanceId: "i-sweep",
  });
  await addInstance(t.db, { id: "i-sweep", clientId: client.id, agentId });
  await addSwitch(t.db, {
    clientId: client.id,
    agentId,
    newInstanceId: "i-sweep",
    initiatedAt: t.clock(),
  });
  const params: Record<string, string> = {
    client_id: client.id,
    agent_id: agentId,
    instance_id: "i-sweep",
  };
  const mine = declaredRoutes(t.app).filter((r) =>
    r.method === "get" && /^\/api\/(client|admin|notifications)/.test(r.path) &&
    r.path !== "/api/client/validate" && !r.path.startsWith("/api/admin/clients") &&
    !r.path.startsWith("/api/admin/ml-models")
  );
  assert.ok(mine.length >= 28, `only ${mine.length} dashboard GET routes found`);
  for (const r of mine) {
    const path = r.path.replace(/\{([^}]+)\}/g, (_, k: string) => {
      assert.ok(params[k], `no fixture for {${k}} in ${r.path}`);
      return params[k]!;
    });
    const auth = (r as unknown as { "x-auth": string })["x-auth"];
    const tokens = auth === "admin" ? [t.adminToken] : [client.token, t.adminToken];
    for (const token of tokens) {
      const q = path === "/api/client/pricing-history" ? `?agent_id=${agentId}` : "";
      const res = await call(t, "GET", path + q, { token });
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`);
    }
  }
});
