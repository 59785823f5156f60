/**
 * Builds a plausible request from an OpenAPI operation (JSON Schema 2020-12 as @hono/zod-openapi
 * emits it): required fields only, ids taken from the caller's fixture when a field names one.
 * Used by the authorization matrix so that a route's body validation does not hide its auth.
 */
import type { Tenant } from "./_tenant_fixtures.ts";

/** JSON Schema node (the parts this sampler reads). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
}

/** One parameter of an operation. */
export interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: JsonSchema;
}

/** The parts of an OpenAPI operation the tests read. */
export interface Operation {
  "x-auth"?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

/** The parts of an OpenAPI document the tests read. */
export interface OpenApiDoc {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

let components: Record<string, JsonSchema> = {};

// Realistic values for fields the agent sends, so handlers' own checks pass as well.
const HINTS: Record<string, unknown> = {
  instance_type: "t3.medium",
  region: "us-east-1",
  az: "us-east-1a",
  mode: "spot",
  current_mode: "spot",
  target_mode: "spot",
  pool_id: "t3.medium.us-east-1a",
  target_pool_id: "t3.medium.us-east-1a",
  current_pool_id: "t3.medium.us-east-1a",
};

function hint(name: string): unknown {
  if (name in HINTS) return HINTS[name];
  if (name === "timestamp" || name.endsWith("_at") || name.endsWith("_time")) {
    return new Date().toISOString();
  }
  return undefined;
}

/** Makes `$ref`s of `doc` resolvable by the samplers. */
export function useComponents(doc: OpenApiDoc): void {
  components = doc.components?.schemas ?? {};
}

function resolve(s: JsonSchema | undefined): JsonSchema {
  let node = s ?? {};
  for (let i = 0; node.$ref && i < 20; i++) {
    node = components[node.$ref.replace("#/components/schemas/", "")] ?? {};
  }
  return node;
}

function sample(
  schemaIn: JsonSchema | undefined,
  ids: Record<string, string>,
  name: string,
  depth: number,
): unknown {
  const s = resolve(schemaIn);
  if (depth > 8) return null;
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (s.enum && s.enum.length > 0) return s.enum.find((v) => v !== null) ?? s.enum[0];
  const choice = s.anyOf ?? s.oneOf;
  if (choice) {
    const pick = choice.find((c) => resolve(c).type !== "null") ?? choice[0];
    return sample(pick, ids, name, depth + 1);
  }
  if (s.allOf) {
    return Object.assign({}, ...s.allOf.map((c) => sample(c, ids, name, depth + 1)));
  }
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const type = types.find((x) => x !== "null") ?? (s.properties ? "object" : "string");
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        if (s.required?.includes(key) || key in ids || hint(key) !== undefined) {
          out[key] = sample(prop, ids, key, depth + 1);
        }
      }
      return out;
    }
    case "array":
      return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items, ids, name, depth + 1));
    case "boolean":
      return true;
    case "integer":
    case "number": {
      let n = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
      if (s.maximum !== undefined && n > s.maximum) n = s.maximum;
      return n;
    }
    default: {
      if (name in ids) return ids[name];
      if (hint(name) !== undefined) return hint(name);
      if (s.format === "date-time") return new Date().toISOString();
      if (s.format === "date") return new Date().toISOString().slice(0, 10);
      if (s.format === "email") return "someone@example.test";
      if (s.format === "uuid") return crypto.randomUUID();
      const text = "sample";
      const min = s.minLength ?? 1;
      return text.padEnd(min, "x").slice(0, s.maxLength ?? Math.max(min, text.length));
    }
  }
}

/** A JSON body for the operation, or undefined when it takes none. */
export function sampleBody(op: Operation, ids: Record<string, string>): unknown {
  const schema = op.requestBody?.content?.["application/json"]?.schema;
  return schema ? sample(schema, ids, "", 0) : undefined;
}

/** A value for one query parameter. */
export function sampleParam(p: Parameter, ids: Record<string, string>): string {
  return String(sample(p.schema, ids, p.name, 0));
}

/** Path parameter -> the tenant's id it names (the route tests fill paths with a tenant's ids). */
export const TENANT_PARAMS: Record<string, (x: Tenant) => string> = {
  client_id: (x) => x.clientId,
  agent_id: (x) => x.agentId,
  instance_id: (x) => x.instanceId,
  replica_id: (x) => x.replicaId,
  command_id: (x) => x.commandId,
  notif_id: (x) => x.notificationId,
  notification_id: (x) => x.notificationId,
  switch_id: (x) => x.switchId,
};

/** One operation of the document with its declared credential (`x-auth`). */
export interface DocOperation {
  method: string;
  path: string;
  kind: string;
  op: Operation;
}

/** Every operation of the document, sorted by path then method. */
export function documentedOperations(doc: OpenApiDoc): DocOperation[] {
  const ops: DocOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      ops.push({ method: method.toUpperCase(), path, kind: String(op["x-auth"]), op });
    }
  }
  return ops.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}
