/** Response schemas every route group shares. */
import { z } from "@hono/zod-openapi";

/** The one error body of the API: `error` is what the dashboards display, `code` is stable. */
export const ErrorBody = z.looseObject({
  error: z.string(),
  code: z.string(),
}).openapi("Error");

/** `{success: true}`, the answer the agent checks on its reports. */
export const SuccessBody = z.looseObject({ success: z.literal(true) });

/**
 * An integer field of a dashboard request body: a JSON number, or a decimal string such as the
 * client dashboard's `"replica_count": "2"` (its select inputs post strings). Anything else fails
 * validation as usual.
 */
export function intInput(min: number, max: number) {
  const int = z.number().int().min(min).max(max);
  return z.union([
    int,
    z.string().trim().regex(/^-?\d{1,9}$/, "an integer").transform(Number).pipe(int),
  ]);
}
