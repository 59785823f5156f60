/**
 * The layering check behind tests/import_rules_test.ts (run by `deno task test`/`ok`): reads every
 * .ts module under core/, db/, services/, routes/ and jobs/, resolves its imports and reports
 * each one that breaks a rule, as `file: import (rule)`.
 */

/** Import specifiers of a module's source: static, type-only, re-exports and dynamic imports. */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^"';]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
  for (const m of source.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** The top-level area of a repository path: "core", "db", ..., or the file name at the root. */
function areaOf(rel: string): string {
  const i = rel.indexOf("/");
  return i < 0 ? rel : rel.slice(0, i);
}

const CORE_PACKAGES = new Set(["zod", "jose", "node:crypto"]);
const CORE_TEST_PACKAGES = new Set([...CORE_PACKAGES, "node:assert/strict", "node:assert"]);
const HTTP_PACKAGES = /^(npm:)?(hono|@hono\/|@scalar\/hono)/;

/** Why `from` (a repository path) may not import `spec` resolved to `to`, or null when it may. */
export function ruleBroken(from: string, spec: string, to: string | null): string | null {
  const src = areaOf(from);
  const isTest = from.endsWith("_test.ts");
  if (to === null) {
    // A package import.
    if (src === "core") {
      const allowed = isTest ? CORE_TEST_PACKAGES : CORE_PACKAGES;
      return allowed.has(spec) ? null : "core/ uses only zod, jose and node:crypto";
    }
    if (src === "services" && HTTP_PACKAGES.test(spec)) return "services/ knows nothing of HTTP";
    return null;
  }
  const dst = areaOf(to);
  // Tests of any area may use the shared test support (tests/_mariadb.ts, tests/fixtures/).
  if (isTest && dst === "tests") return null;
  if (src === "core" && dst !== "core") return "core/ imports only core/";
  if (src === "db" && !["db", "core", "config.ts"].includes(dst)) {
    return "db/ imports only db/, core/ and config.ts";
  }
  if (src === "services" && (dst === "routes" || dst === "cli" || dst === "main.ts")) {
    return "services/ never imports routes/ or cli/";
  }
  if (src === "routes" && dst === "jobs") return "routes/ never imports jobs/";
  if (src === "jobs" && dst === "routes") return "jobs/ never imports routes/";
  return null;
}

async function* modules(dir: URL, rel: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(new URL(rel, dir))) {
    const path = `${rel}${e.name}`;
    if (e.isDirectory) yield* modules(dir, `${path}/`);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

/** Every violation under `root` (a directory URL ending in "/"). */
export async function checkImportRules(root: URL): Promise<string[]> {
  const violations: string[] = [];
  for (const area of ["core/", "db/", "services/", "routes/", "jobs/"]) {
    for await (const file of modules(root, area)) {
      const source = await Deno.readTextFile(new URL(file, root));
      for (const spec of importsOf(source)) {
        let to: string | null = null;
        if (spec.startsWith("./") || spec.startsWith("../")) {
          const abs = new URL(spec, new URL(file, root)).href;
          to = abs.startsWith(root.href) ? abs.slice(root.href.length) : abs;
        }
        const broken = ruleBroken(file, spec, to);
        if (broken) violations.push(`${file}: ${spec} (${broken})`);
      }
    }
  }
  return violations.sort();
}
