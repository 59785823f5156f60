/**
 * One declaration per dashboard resource, two dialects (CONTRACT T-20): the admin dashboard reads
 * camelCase items in bare arrays, the client dashboard snake_case items inside a wrapper object,
 * from the same URLs; the credential chooses. A resource lists its fields once (camelCase, with
 * their zod schemas); `dialects()` derives both item schemas (so the OpenAPI document and the
 * `z.infer` types follow) and the two mappers from one item object built by the route.
 */
import { z } from "@hono/zod-openapi";
import { type SnakeCase, snakeCase } from "../core/case.ts";

type Names<S> = { readonly [K in keyof S]?: string };

/** The admin dialect's shape: every field but the client-only ones, renamed by `N`. */
export type AdminShape<S, C extends keyof S, N> = {
  [K in Exclude<keyof S, C> as K extends keyof N ? N[K] & string : K]: S[K];
};

/** The client dialect's shape: every field but the admin-only ones, snake_case or renamed by `N`. */
export type ClientShape<S, A extends keyof S, N> = {
  [K in Exclude<keyof S, A> as K extends keyof N ? N[K] & string : SnakeCase<K & string>]: S[K];
};

/** Options of `dialects()`. */
export interface DialectOptions<
  S extends z.ZodRawShape,
  A extends keyof S,
  C extends keyof S,
  AN extends Names<S>,
  CN extends Names<S>,
> {
  /** Fields only the admin dialect carries. */
  adminOnly?: readonly A[];
  /** Fields only the client dialect carries. */
  clientOnly?: readonly C[];
  /** Admin-dialect names other than the field's own. */
  adminNames?: AN;
  /** Client-dialect names other than the field's snake_case. */
  clientNames?: CN;
}

/** A resource in both dialects: item schemas and mappers. */
export interface Dialects<S extends z.ZodRawShape, A extends keyof S, C extends keyof S, AN, CN> {
  /** The item every route builds (all fields, camelCase). */
  item: z.ZodObject<S>;
  /** The admin dashboard's item. */
  admin: z.ZodObject<AdminShape<S, C, AN>>;
  /** The client dashboard's item. */
  client: z.ZodObject<ClientShape<S, A, CN>>;
  /** Maps an item to the admin dialect. */
  toAdmin(item: z.infer<z.ZodObject<S>>): z.infer<z.ZodObject<AdminShape<S, C, AN>>>;
  /** Maps an item to the client dialect. */
  toClient(item: z.infer<z.ZodObject<S>>): z.infer<z.ZodObject<ClientShape<S, A, CN>>>;
}

/** Declares a resource once and derives both dashboard dialects from it. */
export function dialects<
  const S extends z.ZodRawShape,
  const A extends keyof S = never,
  const C extends keyof S = never,
  const AN extends Names<S> = Record<never, never>,
  const CN extends Names<S> = Record<never, never>,
>(fields: S, opts: DialectOptions<S, A, C, AN, CN> = {}): Dialects<S, A, C, AN, CN> {
  const adminOnly = new Set<PropertyKey>(opts.adminOnly ?? []);
  const clientOnly = new Set<PropertyKey>(opts.clientOnly ?? []);
  const adminNames = (opts.adminNames ?? {}) as Record<string, string | undefined>;
  const clientNames = (opts.clientNames ?? {}) as Record<string, string | undefined>;
  const adminKeys: [string, string][] = [];
  const clientKeys: [string, string][] = [];
  for (const k of Object.keys(fields)) {
    if (!clientOnly.has(k)) adminKeys.push([k, adminNames[k] ?? k]);
    if (!adminOnly.has(k)) clientKeys.push([k, clientNames[k] ?? snakeCase(k)]);
  }
  const shape = (keys: [string, string][]) =>
    Object.fromEntries(keys.map(([from, to]) => [to, fields[from]]));
  const mapper = (keys: [string, string][]) => (item: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [from, to] of keys) out[to] = item[from];
    return out;
  };
  return {
    item: z.object(fields),
    admin: z.object(shape(adminKeys)),
    client: z.object(shape(clientKeys)),
    toAdmin: mapper(adminKeys),
    toClient: mapper(clientKeys),
  } as unknown as Dialects<S, A, C, AN, CN>;
}

/**
 * A list route's response: `{<key>: [client items], limit, offset}` for a client token, a bare
 * array of admin items for the admin credential.
 */
export function listResponse<
  const K extends string,
  CI extends z.ZodType,
  AI extends z.ZodType,
>(key: K, resource: { client: CI; admin: AI }) {
  return z.union([
    z.object({
      [key]: z.array(resource.client),
      limit: z.number().int(),
      offset: z.number().int(),
    }) as z.ZodObject<
      { [P in K]: z.ZodArray<CI> } & { limit: z.ZodNumber; offset: z.ZodNumber }
    >,
    z.array(resource.admin),
  ]);
}

/**
 * The resource with admin items that carry both key sets (camelCase and snake_case in one
 * object): for items the admin dashboard reads while tools written for the client dialect read
 * the same array.
 */
export function withBothKeySets<
  S extends z.ZodRawShape,
  A extends keyof S,
  C extends keyof S,
  AN,
  CN,
>(d: Dialects<S, A, C, AN, CN>) {
  const admin = d.client.extend(d.admin.shape) as unknown as z.ZodObject<
    ClientShape<S, A, CN> & AdminShape<S, C, AN>
  >;
  return {
    ...d,
    admin,
    toAdmin: (item: z.infer<z.ZodObject<S>>) =>
      ({ ...d.toClient(item), ...d.toAdmin(item) }) as z.infer<typeof admin>,
  };
}
