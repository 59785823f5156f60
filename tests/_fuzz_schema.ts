/**
 * Schema walking for the fuzz test: the fields of an OpenAPI body schema down to three levels, a
 * seeded PRNG and helpers that set one field of a copied body.
 */
import type { JsonSchema } from "./_openapi_sample.ts";

/** A small seeded PRNG (mulberry32), so every run sends the same requests. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A path into a JSON value. */
export type Path = (string | number)[];

/** One field of a body schema. */
export interface Leaf {
  path: Path;
  schema: JsonSchema;
  type: string;
  /** A record (additionalProperties): its keys are fuzzed too. */
  record?: boolean;
}

function resolve(s: JsonSchema | undefined, components: Record<string, JsonSchema>): JsonSchema {
  let node = s ?? {};
  for (let i = 0; node.$ref && i < 20; i++) {
    node = components[node.$ref.replace("#/components/schemas/", "")] ?? {};
  }
  const choice = node.anyOf ?? node.oneOf;
  if (choice) {
    const pick = choice.map((c) => resolve(c, components)).find((c) => c.type !== "null");
    if (pick) return pick;
  }
  return node;
}

function typeOf(s: JsonSchema): string {
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  return types.find((x) => x !== "null") ?? (s.properties ? "object" : "unknown");
}

/** Every field of the body schema down to three levels (array items as index 0). */
export function leaves(
  s: JsonSchema | undefined,
  c: Record<string, JsonSchema>,
  path: Path = [],
): Leaf[] {
  const node = resolve(s, c);
  const type = typeOf(node);
  if (path.length > 3) return [];
  const out: Leaf[] = path.length > 0 ? [{ path, schema: node, type }] : [];
  if (type === "object" && node.properties) {
    for (const [k, v] of Object.entries(node.properties)) out.push(...leaves(v, c, [...path, k]));
  } else if (type === "object") {
    const extra = (node as { additionalProperties?: JsonSchema }).additionalProperties;
    if (extra && path.length > 0) {
      out.push({ path: [...path, "k"], schema: {}, type: "string", record: true });
    }
  } else if (type === "array" && node.items) {
    out.push(...leaves(node.items, c, [...path, 0]));
  }
  return out;
}

/** A deep copy (undefined stays undefined). */
export function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** Sets `path` in `root` (creating objects/arrays on the way); returns the root. */
export function setAt(root: unknown, path: Path, value: unknown): unknown {
  const top = root !== null && typeof root === "object" ? root : {};
  let cur = top as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (next === null || typeof next !== "object") {
      cur[path[i]] = typeof path[i + 1] === "number" ? [] : {};
    }
    cur = cur[path[i]] as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]] = value;
  return top;
}

/** Up to `n` distinct items, chosen with `rand`. */
export function pick<T>(items: T[], n: number, rand: () => number): T[] {
  const copy = [...items];
  const out: T[] = [];
  while (copy.length > 0 && out.length < n) {
    out.push(copy.splice(Math.floor(rand() * copy.length), 1)[0]);
  }
  return out;
}
