/**
 * Domain errors: what db/, services/ and jobs/ throw when a rule refuses an operation. They carry
 * a stable machine-readable `code`, a human message and optional extra fields; they know nothing
 * of HTTP. routes/mod.ts translates them (routes/_errors.ts `httpErrorFor`): not_found -> 404,
 * conflict -> 409, invalid_input -> 400, unavailable -> 503.
 */

/** The four kinds of refusal. */
export type DomainErrorKind = "not_found" | "conflict" | "invalid_input" | "unavailable";

/** Base class: a refusal with a stable code (never a crash). */
export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The thing does not exist, or is not the caller's (other tenants' ids never leak). */
export class NotFound extends DomainError {
  override name = "NotFound";
  constructor(message = "Not found", code = "not_found", extra: Record<string, unknown> = {}) {
    super("not_found", code, message, extra);
  }
}

/** The operation conflicts with the current state (a duplicate, a command in flight...). */
export class Conflict extends DomainError {
  override name = "Conflict";
  constructor(message: string, code = "conflict", extra: Record<string, unknown> = {}) {
    super("conflict", code, message, extra);
  }
}

/** The input breaks a rule (a malformed pool id, an unknown instance type...). */
export class InvalidInput extends DomainError {
  override name = "InvalidInput";
  constructor(message: string, code = "invalid_input", extra: Record<string, unknown> = {}) {
    super("invalid_input", code, message, extra);
  }
}

/** A dependency is temporarily unavailable; retrying later may succeed. */
export class Unavailable extends DomainError {
  override name = "Unavailable";
  constructor(
    message: string,
    code = "unavailable",
    extra: Record<string, unknown> = {},
    /** Seconds after which a retry is sensible (Retry-After). */
    readonly retryAfterSeconds = 5,
  ) {
    super("unavailable", code, message, extra);
  }
}
