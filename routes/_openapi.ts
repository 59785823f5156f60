/**
 * OpenAPI building blocks every route file shares: JSON request and response entries, the error
 * responses (all answer the one ErrorBody) and the CSV response entry.
 */
import { z } from "@hono/zod-openapi";
import { ErrorBody } from "./_schemas.ts";

export { ErrorBody };

/** HTTP statuses the API answers with an ErrorBody. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 429 | 503;

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: "Invalid request (validation failed or a rule refused it)",
  401: "Missing or invalid credential",
  403: "The credential may not use this route (or the client account is inactive)",
  404: "Unknown id, or an id of another client",
  409: "Conflicts with the current state",
  410: "Removed on purpose; the body names the replacement",
  413: "Request body too large",
  429: "Too many requests; retry after the Retry-After seconds",
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

/** A required JSON request body validated by `schema`. */
export function jsonRequest<T extends z.ZodType>(
  schema: T,
): { required: true; content: { "application/json": { schema: T } } } {
  return { required: true, content: { "application/json": { schema } } };
}

/** An error response entry with a route-specific description. */
export function errorResponse(description: string): JsonResponse<typeof ErrorBody> {
  return json(ErrorBody, description);
}

/** Error response entries for the given statuses with their generic descriptions. */
export function errorResponses<const S extends readonly ErrorStatus[]>(
  ...statuses: S
): { [K in S[number]]: JsonResponse<typeof ErrorBody> } {
  const out: Record<number, JsonResponse<typeof ErrorBody>> = {};
  for (const s of statuses) out[s] = errorResponse(ERROR_TEXT[s]);
  return out as { [K in S[number]]: JsonResponse<typeof ErrorBody> };
}

/** Errors every authenticated dashboard route may answer. */
export const COMMON_ERRORS = errorResponses(400, 401, 403, 404, 503);

/** A CSV download response entry. */
export function csv(description: string): {
  description: string;
  content: { "text/csv": { schema: z.ZodString } };
} {
  return {
    description,
    content: { "text/csv": { schema: z.string().describe("CSV text with a header row") } },
  };
}
