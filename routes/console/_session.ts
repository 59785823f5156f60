/**
 * Console sessions: a short-lived HS256 JWT (jose) in an HttpOnly, SameSite=Strict cookie
 * (Secure when the request came over HTTPS). The JWT never carries the client's token: it names
 * the client and the token version it signed in with, so regenerating the token ends the session
 * at the next request. It is signed with a key derived by HKDF from the configured signing key,
 * with its own audience, so a session cookie is never accepted as an API token and vice versa.
 * Every state-changing form carries the session's CSRF value.
 */
import { jwtVerify, SignJWT } from "jose";
import { getCookie, setCookie } from "hono/cookie";
import type { AppContext } from "../_app.ts";
import type { TokenKeys } from "../../core/tokens.ts";
import { constantTimeEqual, tokenFingerprint } from "../../core/tokens.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "console_session";
/** Name of the sign-in form's CSRF cookie (double submit, before a session exists). */
export const SIGNIN_CSRF_COOKIE = "console_signin_csrf";
/** Lifetime of a session; it is renewed on use once half of it has passed. */
export const SESSION_TTL_SECONDS = 3600;
const AUDIENCE = "spot-optimizer-console";

/** Who is signed in. */
export type ConsoleSession =
  | { role: "client"; clientId: string; tokenVersion: number; csrf: string; exp: number }
  | {
    role: "admin";
    subject: string;
    csrf: string;
    exp: number;
    /** Fingerprint of ADMIN_TOKEN when signed in with it: a changed ADMIN_TOKEN ends the session. */
    cred: string | null;
    /** Expiry (epoch seconds) of the admin JWT signed in with: the session never outlives it. */
    until: number | null;
  };

/** Who a new session is for. */
export type SessionSubject =
  | { role: "client"; clientId: string; tokenVersion: number }
  | { role: "admin"; subject: string; cred: string | null; until: number | null };

const derived = new WeakMap<TokenKeys, Promise<CryptoKey>>();

/** HKDF-SHA256 of the signing key's secret, bound to the console's purpose. */
function sessionKey(keys: TokenKeys): Promise<CryptoKey> {
  let k = derived.get(keys);
  if (!k) {
    k = (async () => {
      const base = await crypto.subtle.importKey(
        "raw",
        keys.signing.secret as BufferSource,
        "HKDF",
        false,
        ["deriveKey"],
      );
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new TextEncoder().encode(keys.signing.kid),
          info: new TextEncoder().encode("spot-optimizer console session v1"),
        },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      );
    })();
    derived.set(keys, k);
  }
  return k;
}

/** A random URL-safe value (CSRF tokens). */
export function randomToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** True when the browser reached us over HTTPS (directly or through the proxy). */
function isHttps(c: AppContext): boolean {
  return new URL(c.req.url).protocol === "https:" ||
    c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

/** Signs `session` and sets the cookie. */
export async function startSession(c: AppContext, who: SessionSubject): Promise<void> {
  const { services, clock } = c.get("deps");
  const iat = Math.floor(clock().getTime() / 1000);
  const claims = who.role === "client"
    ? { role: who.role, ver: who.tokenVersion, csrf: randomToken() }
    : { role: who.role, csrf: randomToken(), cred: who.cred, until: who.until };
  const exp = who.role === "admin" && who.until !== null
    ? Math.min(iat + SESSION_TTL_SECONDS, who.until)
    : iat + SESSION_TTL_SECONDS;
  if (exp <= iat) return;
  const jwt = await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(who.role === "client" ? who.clientId : who.subject)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(await sessionKey(services.keys));
  setCookie(c, SESSION_COOKIE, jwt, {
    path: "/console",
    httpOnly: true,
    secure: isHttps(c),
    sameSite: "Strict",
    maxAge: exp - iat,
  });
}

/** Removes the session cookie. */
export function endSession(c: AppContext): void {
  setCookie(c, SESSION_COOKIE, "", {
    path: "/console",
    httpOnly: true,
    secure: isHttps(c),
    sameSite: "Strict",
    maxAge: 0,
  });
}

/** The verified session of this request, or null (missing, expired, forged). */
export async function readSession(c: AppContext): Promise<ConsoleSession | null> {
  const raw = getCookie(c, SESSION_COOKIE);
  if (!raw) return null;
  const { services, clock } = c.get("deps");
  try {
    const { payload } = await jwtVerify(raw, await sessionKey(services.keys), {
      audience: AUDIENCE,
      algorithms: ["HS256"],
      currentDate: clock(),
    });
    const csrf = typeof payload.csrf === "string" ? payload.csrf : null;
    if (!csrf || !payload.sub || typeof payload.exp !== "number") return null;
    if (payload.role === "client" && typeof payload.ver === "number") {
      return {
        role: "client",
        clientId: payload.sub,
        tokenVersion: payload.ver,
        csrf,
        exp: payload.exp,
      };
    }
    if (payload.role === "admin") {
      const cred = typeof payload.cred === "string" ? payload.cred : null;
      const until = typeof payload.until === "number" ? payload.until : null;
      if (cred !== null) {
        const current = c.get("deps").config.ADMIN_TOKEN;
        if (!current || !constantTimeEqual(cred, await tokenFingerprint(current))) return null;
      }
      return { role: "admin", subject: payload.sub, csrf, exp: payload.exp, cred, until };
    }
    return null;
  } catch {
    return null;
  }
}

/** Re-issues the cookie once half of the session's life has passed (sliding expiry). */
export async function renewIfOld(c: AppContext, s: ConsoleSession): Promise<void> {
  const now = c.get("deps").clock().getTime() / 1000;
  if (s.exp - now > SESSION_TTL_SECONDS / 2) return;
  await startSession(
    c,
    s.role === "client"
      ? { role: "client", clientId: s.clientId, tokenVersion: s.tokenVersion }
      : { role: "admin", subject: s.subject, cred: s.cred, until: s.until },
  );
}

/** True when the submitted CSRF value equals the expected one. */
export function csrfMatches(expected: string, submitted: unknown): boolean {
  return typeof submitted === "string" && submitted.length > 0 &&
    constantTimeEqual(expected, submitted);
}

/** The sign-in form's CSRF value: the cookie's, or a new one (set on the response). */
export function signInCsrf(c: AppContext): string {
  const existing = getCookie(c, SIGNIN_CSRF_COOKIE);
  if (existing && /^[\w-]{20,64}$/.test(existing)) return existing;
  const v = randomToken();
  setCookie(c, SIGNIN_CSRF_COOKIE, v, {
    path: "/console",
    httpOnly: true,
    secure: isHttps(c),
    sameSite: "Strict",
    maxAge: 3600,
  });
  return v;
}

/** The sign-in CSRF cookie as sent by the browser. */
export function signInCsrfCookie(c: AppContext): string | undefined {
  return getCookie(c, SIGNIN_CSRF_COOKIE);
}
