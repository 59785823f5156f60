/**
 * How console routes are declared: `page` (GET, renders HTML for a signed-in role) and `action`
 * (POST form: CSRF checked first, fields validated with zod, then a redirect with a flash
 * message). Both end the session when the API says the credential no longer works, and render
 * API refusals as a readable message with the API's error code. Pages are sent with a strict CSP
 * (nothing but this origin), no caching and no framing.
 */
import type { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { getCookie, setCookie } from "hono/cookie";
import type { z } from "zod";
import type { AppContext, AppEnv } from "../_app.ts";
import { ApiError, consoleApi, SessionEnded } from "./_api.ts";
import type { ConsoleApi } from "./_api.ts";
import { csrfMatches, endSession, readSession, renewIfOld } from "./_session.ts";
import type { ConsoleSession } from "./_session.ts";
import type { Flash } from "./_layout.tsx";
import { DomainError } from "../../core/errors.ts";

/** Everything a console handler gets. */
export interface ConsoleCtx<S extends ConsoleSession = ConsoleSession> {
  c: AppContext;
  session: S;
  api: ConsoleApi;
  /** The message left by the previous action, if any (read once). */
  flash: Flash | null;
}

type ClientSession = Extract<ConsoleSession, { role: "client" }>;
type AdminSession = Extract<ConsoleSession, { role: "admin" }>;
type SessionOf<R extends "client" | "admin"> = R extends "client" ? ClientSession : AdminSession;

const FLASH_COOKIE = "console_flash";

/** Security headers of every console response. */
export function consoleHeaders(c: AppContext): void {
  c.header(
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header("X-Frame-Options", "DENY");
  c.header("Referrer-Policy", "same-origin");
  c.header("Cache-Control", "no-store");
  c.header("X-Content-Type-Options", "nosniff");
}

/** Leaves a message for the next page. */
export function setFlash(c: AppContext, flash: Flash): void {
  setCookie(c, FLASH_COOKIE, encodeURIComponent(JSON.stringify(flash)), {
    path: "/console",
    httpOnly: true,
    sameSite: "Strict",
    maxAge: 60,
  });
}

function takeFlash(c: AppContext): Flash | null {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return null;
  setCookie(c, FLASH_COOKIE, "", { path: "/console", maxAge: 0 });
  try {
    const v = JSON.parse(decodeURIComponent(raw));
    if ((v.kind === "ok" || v.kind === "error") && typeof v.text === "string") {
      return { kind: v.kind, text: v.text.slice(0, 500) };
    }
  } catch { /* ignore a damaged cookie */ }
  return null;
}

/** The console page the form was on (same-origin Referer), if any. */
function backPath(c: AppContext): string | null {
  const ref = c.req.header("referer");
  if (!ref) return null;
  try {
    const u = new URL(ref);
    // Only the path is used, so a foreign Referer can never redirect off this site.
    if (!u.pathname.startsWith("/console/")) return null;
    return u.pathname + u.search;
  } catch {
    return null;
  }
}

function home(s: ConsoleSession): string {
  return s.role === "admin" ? "/console/admin/clients" : "/console/overview";
}

/** The message of an API refusal, with its code. */
export function refusal(err: ApiError): string {
  return `${err.message} (${err.code})`;
}

/** Declares console routes on `app`. */
export function consoleKit(app: Hono<AppEnv>) {
  async function enter(
    c: AppContext,
    role: "client" | "admin",
  ): Promise<ConsoleSession | Response> {
    consoleHeaders(c);
    const session = await readSession(c);
    if (!session) return c.redirect("/console/sign-in", 303);
    if (session.role !== role) return c.redirect(home(session), 303);
    await renewIfOld(c, session);
    return session;
  }

  function ended(c: AppContext): Response {
    endSession(c);
    return c.redirect("/console/sign-in?ended=1", 303);
  }

  return {
    /** A GET page for `role`. */
    page<R extends "client" | "admin">(
      path: string,
      role: R,
      render: (x: ConsoleCtx<SessionOf<R>>) => Promise<Response>,
    ): void {
      app.get(path, async (c) => {
        const s = await enter(c, role);
        if (s instanceof Response) return s;
        const x: ConsoleCtx<SessionOf<R>> = {
          c,
          session: s as SessionOf<R>,
          api: consoleApi(app, c, s),
          flash: takeFlash(c),
        };
        try {
          return await render(x);
        } catch (err) {
          if (err instanceof SessionEnded) return ended(c);
          if (err instanceof ApiError) {
            if (err.status === 503) c.header("Retry-After", "5");
            return c.text(refusal(err), err.status as ContentfulStatusCode);
          }
          throw err;
        }
      });
    },
    /**
     * A POST form for `role`: refused with 403 `csrf_failed` without the session's CSRF value,
     * 400 on invalid fields; `handle` returns where to go (with a flash) or a Response.
     */
    action<R extends "client" | "admin", S extends z.ZodType>(
      path: string,
      role: R,
      fields: S,
      handle: (x: ConsoleCtx<SessionOf<R>>, form: z.infer<S>) => Promise<string | Response>,
    ): void {
      app.post(path, async (c) => {
        const s = await enter(c, role);
        if (s instanceof Response) return s;
        const body = await c.req.parseBody().catch(() => null);
        if (!body || !csrfMatches(s.csrf, body["_csrf"])) {
          return c.text("Refused: the form's CSRF token is missing or wrong (csrf_failed)", 403);
        }
        const parsed = fields.safeParse(body);
        const fallback = backPath(c) ?? home(s);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          setFlash(c, {
            kind: "error",
            text: `Invalid ${issue?.path.join(".") || "form"}: ${issue?.message ?? "bad value"}`,
          });
          return c.redirect(fallback, 303);
        }
        const x: ConsoleCtx<SessionOf<R>> = {
          c,
          session: s as SessionOf<R>,
          api: consoleApi(app, c, s),
          flash: null,
        };
        try {
          const to = await handle(x, parsed.data);
          return typeof to === "string" ? c.redirect(to, 303) : to;
        } catch (err) {
          if (err instanceof SessionEnded) return ended(c);
          if (err instanceof ApiError) {
            setFlash(c, { kind: "error", text: refusal(err) });
            return c.redirect(fallback, 303);
          }
          if (err instanceof DomainError && err.kind !== "unavailable") {
            setFlash(c, { kind: "error", text: `${err.message} (${err.code})` });
            return c.redirect(fallback, 303);
          }
          throw err;
        }
      });
    },
  };
}

/** The kit's type. */
export type ConsoleKit = ReturnType<typeof consoleKit>;
