/**
 * Test helper: sends a request and checks the response against the zod schema its route declares
 * in the OpenAPI registry (the same schema object the document is generated from). A response
 * whose status is not declared, or whose body does not match, fails the test.
 */
import assert from "node:assert/strict";
import type { z } from "zod";
import type { TestContext } from "./_support.ts";

interface RouteDef {
  method: string;
  path: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** Every declared route of the app, in registration order. */
export function declaredRoutes(app: TestContext["app"]): RouteDef[] {
  return app.openAPIRegistry.definitions
    .filter((d) => d.type === "route")
    .map((d) => (d as unknown as { route: RouteDef }).route);
}

/** The declared route that serves `method path` (the first match, as the router picks it). */
export function routeFor(app: TestContext["app"], method: string, path: string): RouteDef {
  const bare = path.split("?")[0]!;
  const found = declaredRoutes(app).find((r) => {
    if (r.method.toUpperCase() !== method.toUpperCase()) return false;
    const re = new RegExp(
      "^" + r.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+") + "$",
    );
    return re.test(bare);
  });
  assert.ok(found, `no declared route for ${method} ${bare}`);
  return found;
}

/** A checked response: status, parsed body (JSON or text) and headers. */
export interface Checked<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Validates a body against the schema declared for (route, status, media type). */
export function assertDeclared(
  app: TestContext["app"],
  method: string,
  path: string,
  status: number,
  contentType: string,
  body: unknown,
): void {
  const route = routeFor(app, method, path);
  const declared = route.responses[String(status)];
  assert.ok(declared, `${method} ${path}: status ${status} is not declared`);
  const media = contentType.split(";")[0]!.trim();
  const entry = declared.content?.[media];
  assert.ok(entry?.schema, `${method} ${path}: ${status} ${media} has no declared schema`);
  const r = (entry.schema as z.ZodType).safeParse(body);
  if (!r.success) {
    assert.fail(
      `${method} ${path} ${status}: body does not match its declared schema:\n${
        JSON.stringify(r.error.issues.slice(0, 5), null, 2)
      }\nbody: ${JSON.stringify(body).slice(0, 1500)}`,
    );
  }
}

/** Sends a request through the test context and checks the answer against its declared schema. */
// deno-lint-ignore no-explicit-any
export async function call<T = any>(
  t: TestContext,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Checked<T>> {
  const res = await t.request(method, path, opts);
  const type = res.headers.get("content-type") ?? "";
  const body = type.includes("json") ? await res.json() : await res.text();
  assertDeclared(t.app, method, path, res.status, type, body);
  return { status: res.status, body: body as T, headers: res.headers };
}
