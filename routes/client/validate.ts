/**
 * GET /api/client/validate (CONTRACT E28, seed "Client Token Validation"): the client dashboard's
 * login and the installer check a token here. It answers `valid:false` bodies itself (so it is an
 * `x-auth: none` route), records every attempt as a system event with a fingerprint instead of the
 * token, and rate-limits failures per source address.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppContext, AppDeps, AppEnv } from "../_app.ts";
import { defineRoute } from "../_app.ts";
import { extractBearer, tokenFingerprint } from "../../core/tokens.ts";
import { insertSystemEvent } from "../../db/events.ts";
import {
  AuthFailure,
  firstInMinute,
  resolvePrincipal,
  sourceAddress,
} from "../_middleware/auth.ts";
import { json } from "../_openapi.ts";
import { ValidateFail, ValidateOk } from "../admin/client_schemas.ts";

const validateRoute = defineRoute("none", {
  method: "get",
  path: "/api/client/validate",
  tags: ["client"],
  summary: "Check a client token (dashboard login, installer)",
  description:
    "Requires `Authorization: Bearer <client token>`. 401 for a missing, malformed, expired, revoked or unknown token; 403 for an inactive client; failures are limited to VALIDATE_RATE_LIMIT per source address per minute (429 with Retry-After).",
  responses: {
    200: json(ValidateOk, "The token is valid"),
    401: json(ValidateFail, "Missing, malformed, expired, revoked or unknown token"),
    403: json(ValidateFail, "The client account is not active"),
    429: json(ValidateFail, "Too many failed attempts from this address"),
  },
});

interface Attempt {
  ok: boolean;
  code: string;
  clientId: string | null;
  fingerprint: string | null;
  source: string;
}

async function recordAttempt(c: AppContext, deps: AppDeps, a: Attempt): Promise<void> {
  const fields = { code: a.code, tokenFingerprint: a.fingerprint, source: a.source };
  if (a.ok) c.get("log").info("client token validated", fields);
  else c.get("log").warn("client token validation failed", fields);
  await insertSystemEvent(deps.db, {
    type: "client_token_validation",
    severity: a.ok ? "info" : "warning",
    clientId: a.clientId,
    message: a.ok ? "Client token validated" : `Client token validation failed (${a.code})`,
    metadata: {
      outcome: a.ok ? "valid" : "invalid",
      code: a.code,
      token_fingerprint: a.fingerprint,
      source: a.source,
      user_agent: c.req.header("user-agent")?.slice(0, 200) ?? null,
    },
    requestId: c.get("requestId"),
  }).catch((err) => c.get("log").error("could not record validation attempt", { error: err }));
}

/** Registers GET /api/client/validate (before /api/client/{client_id}, CONTRACT T-29). */
export function registerValidateRoute(app: OpenAPIHono<AppEnv>): void {
  app.openapi(validateRoute, async (c) => {
    const deps = c.get("deps");
    const source = sourceAddress(c);
    const limiter = deps.services.validateLimiter;
    const gate = limiter.peek(source, deps.clock().getTime());
    if (!gate.allowed) {
      c.header("Retry-After", String(gate.retryAfterSeconds));
      // One event per address and minute: a flood must not become a flood of writes.
      if (firstInMinute(deps, `validate-limited:${source}`)) {
        await recordAttempt(c, deps, {
          ok: false,
          code: "rate_limited",
          clientId: null,
          fingerprint: null,
          source,
        });
      }
      return c.json({
        valid: false as const,
        error: "Too many failed validation attempts; retry later",
        code: "rate_limited",
      }, 429);
    }

    const header = c.req.header("authorization");
    const token = extractBearer(header, { requireScheme: true });
    let failure: AuthFailure;
    let fingerprint: string | null = null;
    if (!token) {
      failure = header !== undefined && /^\s*bearer\s*$/i.test(header)
        ? new AuthFailure(401, "empty_token", "Token is empty")
        : new AuthFailure(401, "missing_token", "Missing or invalid Authorization header");
    } else {
      fingerprint = await tokenFingerprint(token);
      try {
        const p = await resolvePrincipal(deps, token);
        if (p.kind === "client") {
          await recordAttempt(c, deps, {
            ok: true,
            code: "valid",
            clientId: p.clientId,
            fingerprint,
            source,
          });
          return c.json({
            valid: true as const,
            client_id: p.clientId,
            name: p.clientName,
            email: p.clientEmail,
          }, 200);
        }
        failure = new AuthFailure(401, "not_a_client_token", "Invalid token: not a client token");
      } catch (err) {
        if (!(err instanceof AuthFailure)) throw err;
        failure = err;
      }
    }
    limiter.hit(source, deps.clock().getTime());
    await recordAttempt(c, deps, {
      ok: false,
      code: failure.code,
      clientId: failure.clientId,
      fingerprint,
      source,
    });
    const body = { valid: false as const, error: failure.message, code: failure.code };
    return failure.status === 403 ? c.json(body, 403) : c.json(body, 401);
  });
}
