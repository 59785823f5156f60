/**
 * The malformed requests of the fuzz test (tests/fuzz_openapi_test.ts), built from one OpenAPI
 * operation: each case changes one thing of an otherwise plausible request (the sampler's body
 * and parameters on the caller's own ids), so a handler sees the bad value and not an earlier
 * refusal. Classes: invalid_json, wrong_type, huge_number, deep_nesting, long_string,
 * lone_surrogate, bad_identifier, bad_date, bad_enum, bad_query, bad_credential.
 */
import type { JsonSchema, Parameter } from "./_openapi_sample.ts";
import { clone, leaves, pick, setAt } from "./_fuzz_schema.ts";

export { mulberry32 } from "./_fuzz_schema.ts";

/** One request to send. */
export interface FuzzCase {
  cls: string;
  note: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What the generator needs to know about one operation. */
export interface FuzzInput {
  method: string;
  path: string;
  parameters: Parameter[];
  bodySchema: JsonSchema | undefined;
  components: Record<string, JsonSchema>;
  baseBody: unknown;
  pathValue(name: string): string;
  queryValue(p: Parameter): string;
  credential: string;
  otherTenantToken: string;
  now: Date;
  rand: () => number;
}

const BAD_DATES = [
  "2100-01-01T00:00:00Z",
  "1970-01-01T00:00:00",
  "1969-12-31T23:59:59Z",
  "2038-01-19T03:14:08Z",
  "9999-12-31T23:59:59Z",
  "0001-01-01T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "2026-02-30T10:00:00",
  "yesterday",
  "",
];
const BAD_IDS = [
  "i-abc\u0000def",
  "i-abc\u202edef",
  "i-abc\u200bdef",
  "i-\ud800",
  "x".repeat(300),
  "..",
  "%00",
  " i-pad ",
];
const BAD_QUERY = ["0x10", "1e3", "", "-1", "1.5", "99999999999999999999", "abc", "\ud800"];

function wrongValue(type: string): unknown {
  switch (type) {
    case "string":
      return 12345;
    case "integer":
    case "number":
      return "12abc";
    case "boolean":
      return "yes";
    case "array":
      return { not: "an array" };
    case "object":
      return ["not", "an", "object"];
    default:
      return [[{}]];
  }
}

function nested(depth: number): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { d: v };
  return v;
}

/** The malformed requests for one operation. */
export function fuzzCases(i: FuzzInput): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const hasBody = i.method !== "GET" && i.method !== "DELETE" || i.bodySchema !== undefined;
  const pathParams = i.parameters.filter((p) => p.in === "path");
  const queryParams = i.parameters.filter((p) => p.in === "query");
  const baseQuery = new URLSearchParams();
  for (const p of queryParams) if (p.required) baseQuery.set(p.name, i.queryValue(p));
  const urlOf = (pathOver: Record<string, string> = {}, query = baseQuery) => {
    const path = i.path.replace(
      /\{(\w+)\}/g,
      (_m, name: string) => pathOver[name] ?? encodeURIComponent(i.pathValue(name)),
    );
    const q = query.toString();
    return q ? `${path}?${q}` : path;
  };
  const headers = (auth: string | null = `Bearer ${i.credential}`) => {
    const h: Record<string, string> = { "X-Forwarded-For": "198.51.100.7" };
    if (auth !== null) h.Authorization = auth;
    if (hasBody) h["Content-Type"] = "application/json";
    return h;
  };
  const base = i.baseBody ?? {};
  const add = (
    cls: string,
    note: string,
    body: unknown,
    o: { url?: string; raw?: string } = {},
  ) => {
    cases.push({
      cls,
      note,
      method: i.method,
      url: o.url ?? urlOf(),
      headers: headers(),
      body: hasBody ? o.raw ?? JSON.stringify(body) : undefined,
    });
  };

  if (hasBody) {
    for (const raw of ['{"a":', "{'single': 1}", "[1,2", "nul", '{"a":1}}']) {
      add("invalid_json", raw, null, { raw });
    }
    add("deep_nesting", "body 10000 levels", null, { raw: "[".repeat(10000) + "]".repeat(10000) });
    add("deep_nesting", "object 200 levels", nested(200));
    add("wrong_type", "body is an array", [base]);
    add("wrong_type", "body is a string", "text");
  }
  const fields = leaves(i.bodySchema, i.components);
  for (const f of pick(fields, 4, i.rand)) {
    add("wrong_type", f.path.join("."), setAt(clone(base), f.path, wrongValue(f.type)));
  }
  for (
    const f of pick(fields.filter((f) => f.type === "number" || f.type === "integer"), 3, i.rand)
  ) {
    for (const v of [1e308, -1e308, 2 ** 63, 1.5, -1]) {
      add("huge_number", `${f.path.join(".")}=${v}`, setAt(clone(base), f.path, v));
    }
  }
  if (fields.length > 0) {
    const f = fields[Math.floor(i.rand() * fields.length)];
    add("deep_nesting", `${f.path.join(".")} 100 levels`, setAt(clone(base), f.path, nested(100)));
  }
  const strings = fields.filter((f) => f.type === "string" && !f.schema.enum);
  for (const f of pick(strings, 4, i.rand)) {
    const max = f.schema.maxLength ?? 1000;
    add(
      "long_string",
      `${f.path.join(".")} ${max + 1}`,
      setAt(clone(base), f.path, "y".repeat(max + 1)),
    );
    add("long_string", `${f.path.join(".")} 100k`, setAt(clone(base), f.path, "z".repeat(100_000)));
  }
  for (const f of pick(strings, 6, i.rand)) {
    if (f.record) {
      const parent = f.path.slice(0, -1);
      add(
        "lone_surrogate",
        `${parent.join(".")} key`,
        setAt(clone(base), parent, { "k\ud800": "v" }),
      );
      add(
        "lone_surrogate",
        `${parent.join(".")} value`,
        setAt(clone(base), parent, { k: "v\udc00" }),
      );
    } else {
      add("lone_surrogate", f.path.join("."), setAt(clone(base), f.path, "\ud800x"));
    }
  }
  const dates = strings.filter((f) =>
    /(_at|_time|time|timestamp|date|since)$/i.test(String(f.path.at(-1)))
  );
  for (const f of dates) {
    for (const d of BAD_DATES) {
      add("bad_date", `${f.path.join(".")}=${d}`, setAt(clone(base), f.path, d));
    }
  }
  const enums = fields.filter((f) =>
    f.schema.enum || /(^|_)(mode|status|type)$/.test(String(f.path.at(-1)))
  );
  for (const f of pick(enums, 4, i.rand)) {
    add("bad_enum", `${f.path.join(".")}=zzz`, setAt(clone(base), f.path, "zzz"));
  }
  const ids = strings.filter((f) => /(^|_)id$/.test(String(f.path.at(-1))));
  for (const f of pick(ids, 3, i.rand)) {
    for (const v of BAD_IDS) {
      add(
        "bad_identifier",
        `${f.path.join(".")}=${JSON.stringify(v)}`,
        setAt(clone(base), f.path, v),
      );
    }
  }
  for (const p of pathParams) {
    for (const v of BAD_IDS) {
      add("bad_identifier", `path ${p.name}=${JSON.stringify(v)}`, base, {
        url: urlOf({ [p.name]: encodeURIComponent(v.isWellFormed() ? v : v.toWellFormed()) }),
      });
    }
    add("bad_identifier", `path ${p.name} bad escape`, base, {
      url: urlOf({ [p.name]: "%E0%A4%A" }),
    });
  }
  for (const p of queryParams) {
    const values = [...BAD_QUERY, ...(p.name.match(/(_at|since|date|time)$/) ? BAD_DATES : [])];
    for (const v of values) {
      const q = new URLSearchParams(baseQuery);
      q.set(p.name, v);
      add("bad_query", `${p.name}=${JSON.stringify(v)}`, base, { url: urlOf({}, q) });
    }
    const q = new URLSearchParams(baseQuery);
    q.append(p.name, "1");
    q.append(p.name, "2");
    add("bad_query", `${p.name} twice`, base, { url: urlOf({}, q) });
  }
  const creds: [string, string | null][] = [
    ["none", null],
    ["garbage", "Bearer not-a-token"],
    ["no scheme", i.credential],
    ["alg none", `Bearer ${algNone()}`],
    ["other tenant", `Bearer ${i.otherTenantToken}`],
    ["huge", `Bearer ${"a".repeat(20_000)}`],
  ];
  for (const [note, auth] of creds) {
    cases.push({
      cls: "bad_credential",
      note,
      method: i.method,
      url: urlOf(),
      headers: headers(auth),
      body: hasBody ? JSON.stringify(base) : undefined,
    });
  }
  return cases;
}

function algNone(): string {
  const enc = (o: unknown) =>
    btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${enc({ alg: "none", typ: "JWT" })}.${enc({ sub: "admin", role: "admin" })}.`;
}
