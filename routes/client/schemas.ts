/**
 * Schemas and helpers shared by the dashboard routes (client, admin, notifications): the error
 * body, path parameters, response wrappers and the credential notes every description carries.
 */
import { z } from "@hono/zod-openapi";
import { identifier } from "../_validators.ts";

import { ErrorBody } from "../_schemas.ts";
export { ErrorBody };

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 503;

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: "Invalid request (validation failed or a rule refused it)",
  401: "Missing or invalid credential",
  403: "The credential may not use this route (or the client account is inactive)",
  404: "Unknown id, or an id of another client",
  409: "Conflicts with the current state",
  410: "Removed on purpose; the body names the replacement",
  503: "Database unavailable; retry after the Retry-After seconds",
};

/** A JSON response entry. */
export interface JsonResponse<T extends z.ZodType> {
  description: string;
  content: { "application/json": { schema: T } };
}

/** A JSON response entry for `schema`. */
export function json<T extends z.ZodType>(schema: T, description: string): JsonResponse<T> {
  return { description, content: { "application/json": { schema } } };
}

/** Error response entries for the given statuses (all share ErrorBody). */
export function errorResponses<const S extends readonly ErrorStatus[]>(
  ...statuses: S
): { [K in S[number]]: JsonResponse<typeof ErrorBody> } {
  const out: Record<number, JsonResponse<typeof ErrorBody>> = {};
  for (const s of statuses) out[s] = json(ErrorBody, ERROR_TEXT[s]);
  return out as { [K in S[number]]: JsonResponse<typeof ErrorBody> };
}

/** Errors every authenticated dashboard route may answer. */
export const COMMON_ERRORS = errorResponses(400, 401, 403, 404, 503);

/** Credential note of routes shared by both dashboards. */
export const CLIENT_AUTH =
  "Credential: `Authorization: Bearer <client token>` (its own client only: another client's ids answer 404) or the admin credential (any client). The admin dashboard must now send the admin credential as a Bearer token; the predecessor's sent none.";

/** Shape note of routes whose answer is a list. */
export const SHAPE_BY_CREDENTIAL =
  "Shape follows the credential (CONTRACT T-20): a client token gets the client dashboard's wrapper object with snake_case items; the admin credential gets the admin dashboard's bare camelCase array.";

/** `{client_id}` path parameter. */
export const ClientParams = z.object({
  client_id: identifier(64).describe("Client id"),
});

/** `{agent_id}` path parameter. */
export const AgentParams = z.object({
  agent_id: identifier(64).describe("Agent id (the server's uuid)"),
});

/** `{instance_id}` path parameter. */
export const InstanceParams = z.object({
  instance_id: identifier(64).describe(
    "EC2 instance id; an agent id or the agent's current instance id also resolves",
  ),
});

/** An ISO-8601 UTC timestamp. */
export const Timestamp = z.string().describe("ISO-8601 UTC timestamp");
