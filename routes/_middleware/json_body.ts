/**
 * Checks a JSON request body once, after authentication and readBody (read_body.ts) and before
 * the zod validators: nesting deeper than MAX_JSON_DEPTH is a 400 `json_too_deep`, and every lone
 * UTF-16 surrogate written as a `\ud800`-style escape in strings and keys becomes U+FFFD, so no
 * string that UTF-8 cannot encode reaches a JSON or text column (routes/_validators.ts refuses
 * such strings where they are identifiers). Invalid JSON is left to the validator (400
 * "Malformed JSON in request body").
 * Bodies without such escapes are only scanned, never parsed here (Hono parses the text again).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../_app.ts";
import { BadRequestError } from "../_errors.ts";
import { JSON_TYPE, readBodyText } from "./read_body.ts";
import { jsonDepth, MAX_JSON_DEPTH, wellFormedJson } from "../../core/text.ts";

/** A JSON escape of a surrogate code unit (lone or paired: pairs parse back unchanged). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

/** Middleware: the body the validators read is well-formed and at most MAX_JSON_DEPTH deep. */
export function wellFormedJsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return await next();
    if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) return await next();
    const text = await readBodyText(c);
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      throw new BadRequestError(
        `JSON body nested deeper than ${MAX_JSON_DEPTH} levels`,
        "json_too_deep",
      );
    }
    if (SURROGATE_ESCAPE.test(text)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new BadRequestError("Malformed JSON in request body", "bad_request");
      }
      // Hono's json() parses the cached text, so the clean value goes back as text.
      // bodyCache holds promises at runtime although it is typed as values.
      (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(
        JSON.stringify(wellFormedJson(parsed)),
      );
    }
    await next();
  };
}
