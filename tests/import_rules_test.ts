/**
 * The layering rules (README "Layout"), checked on every static and dynamic import of the
 * repository's modules:
 * - core/ (pure rules) imports only core/, plus the npm libraries `zod` and `jose` and
 *   `node:crypto` (its *_test.ts files also `node:assert`).
 * - db/ imports nothing from routes/, services/, jobs/, cli/ or the entry modules.
 * - services/ (the flows) imports nothing from routes/ or cli/ and no HTTP library (hono).
 * - routes/ and jobs/ never import each other.
 * Test files (*_test.ts) of any area may also import the shared test support under tests/.
 */
import assert from "node:assert/strict";
import { checkImportRules, importsOf } from "./_import_rules.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("import rules: no module of the repository breaks the layering", async () => {
  const violations = await checkImportRules(ROOT);
  assert.deepEqual(violations, [], `layering broken:\n${violations.join("\n")}`);
});

Deno.test("import rules: a forbidden import is reported (the check can fail)", () => {
  const imports = importsOf(
    'import { x } from "../routes/_app.ts";\nconst m = await import("../jobs/mod.ts");\n' +
      'export { y } from "./client.ts";\nimport type { Z } from "npm:hono";\n',
  );
  assert.deepEqual(imports, ["../routes/_app.ts", "../jobs/mod.ts", "./client.ts", "npm:hono"]);
});
