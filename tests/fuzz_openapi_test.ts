/**
 * Fuzz test generated from the app's own /openapi.json: for every operation (so routes added later
 * are covered) and a fixed seed, malformed bodies, parameters and credentials are sent on a real
 * tenant's ids. Every answer must be below 500 and, when it is not a success, a JSON error body
 * with a string `code`. The per-class counts and statuses are printed; `FUZZ_REPORT=1` also prints
 * every 401 (to see which cases never got past authentication).
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";
import { seedTenant } from "./_tenant_fixtures.ts";
import {
  documentedOperations,
  sampleBody,
  sampleParam,
  TENANT_PARAMS,
  useComponents,
} from "./_openapi_sample.ts";
import type { DocOperation, JsonSchema, OpenApiDoc } from "./_openapi_sample.ts";
import { type FuzzCase, fuzzCases, mulberry32 } from "./_fuzz_cases.ts";

type Op = DocOperation;

interface Tally {
  requests: number;
  statuses: Map<number, number>;
}

async function send(t: TestContext, c: FuzzCase, failures: string[]): Promise<number> {
  const res = await t.app.request(c.url, { method: c.method, headers: c.headers, body: c.body });
  const text = await res.text();
  const where = `${c.cls} ${c.method} ${c.url.slice(0, 160)} ${c.note}`;
  if (res.status >= 500) {
    const cause = t.logs.findLast((l) => l.includes("unhandled error")) ?? "";
    failures.push(`${where} -> ${res.status} ${text.slice(0, 120)} ${cause.slice(0, 300)}`);
  } else if (res.status >= 300) {
    let code: unknown;
    try {
      code = JSON.parse(text)?.code;
    } catch { /* not JSON */ }
    if (typeof code !== "string" || code === "") {
      failures.push(`${where} -> ${res.status} without a JSON code: ${text.slice(0, 200)}`);
    }
  }
  if (Deno.env.get("FUZZ_REPORT") && (res.status === 401 || res.status < 300)) {
    console.log(res.status, where, text.slice(0, 160));
  }
  return res.status;
}

Deno.test("fuzz: malformed input to every operation of /openapi.json answers 4xx JSON with a code, never 5xx", async () => {
  const t = await testContext("fuzz_openapi", { engine: false });
  const doc = await (await t.request("GET", "/openapi.json")).json() as OpenApiDoc;
  useComponents(doc);
  const b = await seedTenant(t, "fuzz-b");
  const ops = documentedOperations(doc);
  assert.ok(ops.length >= 60, `expected the whole API, found ${ops.length} operations`);
  const rand = mulberry32(0x5eed13);
  const failures: string[] = [];
  const tallies = new Map<string, Tally>();
  for (const o of ops) {
    // A fresh tenant per operation: deleting the client or rotating its token must not turn the
    // next operations' requests into 401s.
    const a = await seedTenant(t, "fuzz-a");
    const ids: Record<string, string> = {};
    for (const [name, pick] of Object.entries(TENANT_PARAMS)) ids[name] = pick(a);
    // Public routes get the client token too (validate reads it; the others ignore it).
    const credential = o.kind === "admin" ? t.adminToken : a.token;
    const schema = o.op.requestBody?.content?.["application/json"]?.schema as
      | JsonSchema
      | undefined;
    const cases = fuzzCases({
      method: o.method,
      path: o.path,
      parameters: o.op.parameters ?? [],
      bodySchema: schema,
      components: doc.components?.schemas ?? {},
      baseBody: sampleBody(o.op, ids),
      pathValue: (name) => TENANT_PARAMS[name]?.(a) ?? crypto.randomUUID(),
      queryValue: (p) => sampleParam(p, ids),
      credential,
      otherTenantToken: b.token,
      now: t.clock(),
      rand,
    });
    for (const c of cases) {
      const status = await send(t, c, failures);
      const tally = tallies.get(c.cls) ?? { requests: 0, statuses: new Map() };
      tally.requests++;
      tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
      tallies.set(c.cls, tally);
    }
  }
  let total = 0;
  const lines: string[] = [];
  for (const [cls, tally] of [...tallies].sort(([x], [y]) => x.localeCompare(y))) {
    total += tally.requests;
    const statuses = [...tally.statuses].sort(([x], [y]) => x - y).map(([s, n]) => `${s}x${n}`);
    lines.push(`${cls.padEnd(18)} ${String(tally.requests).padStart(5)}  ${statuses.join(" ")}`);
  }
  console.log(`fuzz: ${ops.length} operations, ${total} requests\n${lines.join("\n")}`);
  assert.ok(total > 1000, `expected a real fuzz run, sent ${total}`);
  assert.deepEqual(failures.slice(0, 40), [], `${failures.length} bad answers`);
});
