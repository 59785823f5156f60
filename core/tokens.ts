/**
 * Client and admin bearer tokens: HS256 JWTs (jose) with key rotation by `kid`, plus the helpers
 * the auth middleware needs for opaque legacy tokens (hashing, constant-time compare, Bearer
 * parsing). Pure apart from WebCrypto: no database, no environment, the clock is passed in.
 */
import { errors as joseErrors, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { createHash, timingSafeEqual } from "node:crypto";

/** One HMAC key; `kid` goes into the JWT header so keys can rotate. */
export interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

/** Everything needed to sign and verify; `accepted` must include `signing`. */
export interface TokenKeys {
  signing: SigningKey;
  accepted: SigningKey[];
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

/** The principal a valid JWT stands for. */
export type VerifiedToken =
  | { kind: "client"; clientId: string; version: number }
  | { kind: "admin"; subject: string };

/** Why a token was refused; every code is a 401 for the caller. */
export type TokenErrorCode = "expired" | "invalid" | "unknown_key" | "malformed";

/** Typed verification failure. The message never contains the token. */
export class TokenError extends Error {
  override readonly name = "TokenError";
  /** Machine-readable reason. */
  readonly code: TokenErrorCode;

  constructor(code: TokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const MIN_SECRET_BYTES = 32;
// Far above any token we mint (~300 chars); bounds the work an attacker can make us do.
const MAX_JWT_LENGTH = 4096;
const ALG = "HS256";
const B64URL = /^[A-Za-z0-9_-]*$/;

/** Parses `kid1:secret,kid2:secret` (base64url secrets of at least 32 bytes) into keys. */
export function parseSigningKeys(spec: string): SigningKey[] {
  const keys: SigningKey[] = [];
  const seen = new Set<string>();
  for (const raw of spec.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const colon = entry.indexOf(":");
    if (colon <= 0) throw new Error("signing key entry must look like kid:base64url-secret");
    const kid = entry.slice(0, colon).trim();
    if (seen.has(kid)) throw new Error(`duplicate signing key id "${kid}"`);
    const secret = decodeBase64Url(entry.slice(colon + 1).trim());
    // Never echo the secret: only the kid identifies the bad entry.
    if (secret === null) throw new Error(`signing key "${kid}" is not valid base64url`);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new Error(`signing key "${kid}" must decode to at least ${MIN_SECRET_BYTES} bytes`);
    }
    seen.add(kid);
    keys.push({ kid, secret });
  }
  if (keys.length === 0) throw new Error("at least one signing key is required");
  return keys;
}

/** Signs a client token (`typ` client); it expires only when `ttlSeconds` is set. */
export async function signClientToken(
  keys: TokenKeys,
  opts: { clientId: string; version: number; now: Date; ttlSeconds?: number | null },
): Promise<string> {
  if (opts.clientId === "") throw new TypeError("clientId must not be empty");
  if (!Number.isSafeInteger(opts.version) || opts.version < 0) {
    throw new TypeError("version must be a non-negative integer");
  }
  const ttl = opts.ttlSeconds ?? null;
  return await sign(keys, { typ: "client", ver: opts.version }, opts.clientId, opts.now, ttl);
}

/** Signs an admin token (`typ` admin); admin tokens always expire. */
export async function signAdminToken(
  keys: TokenKeys,
  opts: { subject: string; now: Date; ttlSeconds: number },
): Promise<string> {
  if (opts.subject === "") throw new TypeError("subject must not be empty");
  return await sign(keys, { typ: "admin" }, opts.subject, opts.now, opts.ttlSeconds);
}

async function sign(
  keys: TokenKeys,
  claims: JWTPayload,
  subject: string,
  now: Date,
  ttlSeconds: number | null,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  if (!Number.isFinite(iat)) throw new TypeError("now must be a valid Date");
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, typ: "JWT", kid: keys.signing.kid })
    .setSubject(subject)
    .setIssuedAt(iat)
    .setIssuer(keys.issuer)
    .setAudience(keys.audience);
  if (ttlSeconds !== null) {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
      throw new TypeError("ttlSeconds must be a positive integer");
    }
    jwt.setExpirationTime(iat + ttlSeconds);
  }
  return jwt.sign(await cryptoKeyFor(keys.signing));
}

/** Verifies a JWT against the accepted keys at time `now`; throws `TokenError` on refusal. */
export async function verifyToken(
  keys: TokenKeys,
  token: string,
  now: Date,
): Promise<VerifiedToken> {
  // Configuration mistakes must surface as errors, not as every token being "invalid".
  if (!Number.isFinite(keys.clockToleranceSeconds) || keys.clockToleranceSeconds < 0) {
    throw new TypeError("clockToleranceSeconds must be a non-negative number");
  }
  if (!Number.isFinite(now.getTime())) throw new TypeError("now must be a valid Date");
  if (token.length > MAX_JWT_LENGTH || !looksLikeJwt(token)) {
    throw new TokenError("malformed", "token is not a JWT");
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, async (header) => {
      const key = keys.accepted.find((k) => k.kid === header.kid);
      if (key === undefined) {
        throw new TokenError("unknown_key", "token signed with an unknown key");
      }
      return await cryptoKeyFor(key);
    }, {
      algorithms: [ALG],
      issuer: keys.issuer,
      audience: keys.audience,
      clockTolerance: keys.clockToleranceSeconds,
      requiredClaims: ["iat", "sub"],
      currentDate: now,
    }));
  } catch (err) {
    throw toTokenError(err);
  }
  return toPrincipal(payload);
}

function toPrincipal(payload: JWTPayload): VerifiedToken {
  const sub = payload.sub;
  if (typeof sub !== "string" || sub === "") throw new TokenError("invalid", "bad sub claim");
  if (payload.typ === "client") {
    const ver = payload.ver;
    if (typeof ver !== "number" || !Number.isSafeInteger(ver) || ver < 0) {
      throw new TokenError("invalid", "bad ver claim");
    }
    return { kind: "client", clientId: sub, version: ver };
  }
  if (payload.typ === "admin") {
    // An admin token without expiry would be a permanent master key; we never mint one.
    if (typeof payload.exp !== "number") throw new TokenError("invalid", "admin token lacks exp");
    return { kind: "admin", subject: sub };
  }
  throw new TokenError("invalid", "unknown token type");
}

function toTokenError(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof joseErrors.JWTExpired) {
    return new TokenError("expired", "token expired", { cause: err });
  }
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) {
    return new TokenError("malformed", "token is not a well-formed JWT", { cause: err });
  }
  // Signature, algorithm, claim and anything unexpected: fail closed as "invalid".
  return new TokenError("invalid", "token rejected", { cause: err });
}

// Importing the raw secret on every verification is avoidable work on the auth path.
const cryptoKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function cryptoKeyFor(key: SigningKey): Promise<CryptoKey> {
  let cached = cryptoKeys.get(key.secret);
  if (cached === undefined) {
    cached = crypto.subtle.importKey(
      "raw",
      key.secret as Uint8Array<ArrayBuffer>,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    cryptoKeys.set(key.secret, cached);
  }
  return cached;
}

/** Cheap test: three base64url parts whose first decodes to a JSON header with `alg`. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  const [header, payload, signature] = parts as [string, string, string];
  // The signature may be empty (alg "none"); such tokens must still reach verifyToken and fail
  // there, rather than be mistaken for an opaque token.
  if (header === "" || payload === "" || !B64URL.test(payload) || !B64URL.test(signature)) {
    return false;
  }
  const bytes = decodeBase64Url(header);
  if (bytes === null) return false;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) &&
      typeof (parsed as Record<string, unknown>).alg === "string";
  } catch {
    return false;
  }
}

/** Lowercase hex SHA-256 of the token's UTF-8 bytes (same as MySQL `SHA2(token, 256)`). */
export async function hashOpaqueToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return toHex(new Uint8Array(digest));
}

/** Short non-secret id for logs: the first 12 hex characters of the token's hash. */
export async function tokenFingerprint(token: string): Promise<string> {
  return (await hashOpaqueToken(token)).slice(0, 12);
}

/** A fresh opaque secret: 256 random bits, base64url without padding. */
export function generateOpaqueSecret(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Constant-time string equality: both sides are hashed to equal length first. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

const SCHEME = /^bearer(?:\s+|$)/i;
// Whitespace (incl. Unicode spaces) and C0/DEL/C1 controls; everything else is allowed because
// legacy tokens may contain `=`, `+`, `/`, `%`, `!` and the like (CONTRACT 0.3).
// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\s\x00-\x1f\x7f-\x9f]/;

/**
 * Extracts the token from an Authorization value: strips a case-insensitive `Bearer ` and trims;
 * a bare token is accepted unless `requireScheme` (validate endpoint). Null when nothing usable.
 */
export function extractBearer(
  headerValue: string | null | undefined,
  opts: { requireScheme?: boolean } = {},
): string | null {
  if (headerValue === null || headerValue === undefined) return null;
  let value = headerValue.trim();
  const match = SCHEME.exec(value);
  if (match !== null) value = value.slice(match[0].length).trim();
  else if (opts.requireScheme === true) return null;
  if (value === "" || FORBIDDEN.test(value)) return null;
  return value;
}

function decodeBase64Url(text: string): Uint8Array | null {
  // Standard base64 (`+`, `/`, `=` padding) is tolerated so `openssl rand -base64 32` works too.
  const normalized = text.replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
  if (normalized === "" || !B64URL.test(normalized) || normalized.length % 4 === 1) return null;
  const binary = atob(normalized.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function encodeBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
