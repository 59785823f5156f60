/**
 * Console sign-in and sign-out. A client's token is checked by the function behind
 * GET /api/client/validate (same checks, same rate limit per source address, same audit event);
 * the admin credential (ADMIN_TOKEN or an admin JWT) is resolved as the API's auth does, with
 * failures counted against the same limit. The form is protected by a double-submit CSRF cookie;
 * the session then carries its own CSRF value.
 */
import type { Hono } from "hono";
import { decodeJwt } from "jose";
import { z } from "zod";
import type { AppContext, AppEnv } from "../_app.ts";
import { AuthFailure, resolvePrincipal, sourceAddress } from "../_middleware/auth.ts";
import { constantTimeEqual, looksLikeJwt, tokenFingerprint } from "../../core/tokens.ts";
import { findClientById } from "../../db/clients.ts";
import { validateClientToken } from "../client/validate.ts";
import { Page } from "./_layout.tsx";
import type { Flash } from "./_layout.tsx";
import { consoleHeaders } from "./_kit.ts";
import {
  csrfMatches,
  endSession,
  readSession,
  signInCsrf,
  signInCsrfCookie,
  startSession,
} from "./_session.ts";

const SignInForm = z.object({
  token: z.string().trim().min(1, "paste a token").max(4096),
  as: z.enum(["client", "admin"]).default("client"),
});

function SignInPage(props: { csrf: string; flash: Flash | null; as: "client" | "admin" }) {
  return (
    <Page title="Sign in" session={null} flash={props.flash}>
      <section>
        <form method="post" action="/console/sign-in" class="stack">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <fieldset class="field">
            <legend>Sign in as</legend>
            <label class="check">
              <input type="radio" name="as" value="client" checked={props.as === "client"} />
              Client (paste your client token)
            </label>
            <label class="check">
              <input type="radio" name="as" value="admin" checked={props.as === "admin"} />
              Administrator (admin credential)
            </label>
          </fieldset>
          <div class="field">
            <label for="token">Token</label>
            <input
              id="token"
              name="token"
              type="password"
              autocomplete="off"
              spellcheck={false}
              required
              aria-describedby="token-hint"
            />
            <p class="hint" id="token-hint">
              The token is checked once and never stored: the console keeps a signed session of one
              hour in an HttpOnly cookie.
            </p>
          </div>
          <button type="submit" class="primary">Sign in</button>
        </form>
      </section>
    </Page>
  );
}

function refuse(
  c: AppContext,
  status: 400 | 401 | 403 | 429,
  text: string,
  as: "client" | "admin",
): Response | Promise<Response> {
  return c.html(
    <SignInPage csrf={signInCsrf(c)} flash={{ kind: "error", text }} as={as} />,
    status,
  );
}

async function clientSignIn(c: AppContext, token: string): Promise<Response> {
  const r = await validateClientToken(c, `Bearer ${token}`);
  if (r.status !== 200) {
    return refuse(c, r.status, `Sign-in refused: ${r.body.error}`, "client");
  }
  const client = await findClientById(c.get("deps").db, r.body.client_id);
  if (!client) return refuse(c, 401, "Sign-in refused: unknown client", "client");
  const ver = looksLikeJwt(token) ? decodeJwt(token).ver : client.tokenVersion;
  if (typeof ver !== "number") return refuse(c, 401, "Sign-in refused: invalid token", "client");
  await startSession(c, { role: "client", clientId: client.id, tokenVersion: ver });
  return c.redirect("/console/overview", 303);
}

async function adminSignIn(c: AppContext, token: string): Promise<Response> {
  const deps = c.get("deps");
  const source = sourceAddress(c);
  const limiter = deps.services.validateLimiter;
  const gate = limiter.peek(source, deps.clock().getTime());
  if (!gate.allowed) {
    c.header("Retry-After", String(gate.retryAfterSeconds));
    return refuse(c, 429, "Too many failed attempts; retry later", "admin");
  }
  let ok = false;
  let subject = "";
  try {
    const p = await resolvePrincipal(deps, token);
    if (p.kind === "admin") {
      ok = true;
      subject = p.subject;
    }
  } catch (err) {
    if (!(err instanceof AuthFailure)) throw err;
  }
  if (!ok) {
    limiter.hit(source, deps.clock().getTime());
    c.get("log").warn("console admin sign-in refused", { source });
    return refuse(c, 401, "Sign-in refused: this is not the admin credential", "admin");
  }
  c.get("log").info("console admin signed in", { subject, source });
  const isStatic = !!deps.config.ADMIN_TOKEN && constantTimeEqual(token, deps.config.ADMIN_TOKEN);
  const exp = isStatic ? undefined : decodeJwt(token).exp;
  await startSession(c, {
    role: "admin",
    subject,
    cred: isStatic ? await tokenFingerprint(token) : null,
    until: typeof exp === "number" ? exp : null,
  });
  return c.redirect("/console/admin/clients", 303);
}

/** Registers /console, /console/sign-in and /console/sign-out. */
export function registerSignIn(app: Hono<AppEnv>): void {
  app.get("/console", async (c) => {
    consoleHeaders(c);
    const s = await readSession(c);
    if (!s) return c.redirect("/console/sign-in", 303);
    return c.redirect(s.role === "admin" ? "/console/admin/clients" : "/console/overview", 303);
  });
  app.get("/console/sign-in", async (c) => {
    consoleHeaders(c);
    const s = await readSession(c);
    if (s) {
      return c.redirect(
        s.role === "admin" ? "/console/admin/clients" : "/console/overview",
        303,
      );
    }
    const ended = c.req.query("ended") === "1"
      ? {
        kind: "error" as const,
        text:
          "Your session ended: the token was regenerated or the account is no longer active. Sign in again.",
      }
      : null;
    return c.html(<SignInPage csrf={signInCsrf(c)} flash={ended} as="client" />);
  });
  app.post("/console/sign-in", async (c) => {
    consoleHeaders(c);
    const body = await c.req.parseBody().catch(() => null);
    const cookie = signInCsrfCookie(c);
    if (!body || !cookie || !csrfMatches(cookie, body["_csrf"])) {
      return c.text("Refused: the form's CSRF token is missing or wrong (csrf_failed)", 403);
    }
    const parsed = SignInForm.safeParse(body);
    if (!parsed.success) return refuse(c, 400, "Paste a token to sign in", "client");
    const { token, as } = parsed.data;
    return as === "admin" ? adminSignIn(c, token) : clientSignIn(c, token);
  });
  app.post("/console/sign-out", async (c) => {
    consoleHeaders(c);
    const s = await readSession(c);
    const body = await c.req.parseBody().catch(() => null);
    if (s && (!body || !csrfMatches(s.csrf, body["_csrf"]))) {
      return c.text("Refused: the form's CSRF token is missing or wrong (csrf_failed)", 403);
    }
    endSession(c);
    return c.redirect("/console/sign-in", 303);
  });
}
