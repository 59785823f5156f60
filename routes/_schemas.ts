/** Response schemas every route group shares. */
import { z } from "@hono/zod-openapi";

/** The one error body of the API: `error` is what the dashboards display, `code` is stable. */
export const ErrorBody = z.looseObject({
  error: z.string(),
  code: z.string(),
}).openapi("Error");

/** `{success: true}`, the answer the agent checks on its reports. */
export const SuccessBody = z.looseObject({ success: z.literal(true) });
