/**
 * Typed HTTP errors and their one JSON rendering: `{error: <human message>, code: <stable code>}`
 * plus optional extra fields. The dashboards display `error`; programs match `code`.
 */
import { Unavailable } from "../core/errors.ts";
import type { DomainError, DomainErrorKind } from "../core/errors.ts";

/** An error that becomes an HTTP response with this status and body. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** 400: the request is malformed or breaks a rule. */
export class BadRequestError extends HttpError {
  constructor(message: string, code = "bad_request", extra: Record<string, unknown> = {}) {
    super(400, code, message, extra);
  }
}

/** 401: no credential, or one that is not valid. */
export class UnauthorizedError extends HttpError {
  constructor(message: string, code = "unauthorized", extra: Record<string, unknown> = {}) {
    super(401, code, message, extra, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
  }
}

/** 403: a valid credential that may not do this. */
export class ForbiddenError extends HttpError {
  constructor(message: string, code = "forbidden", extra: Record<string, unknown> = {}) {
    super(403, code, message, extra);
  }
}

/** 404: missing, or not the caller's (ids of other tenants never leak as 403). */
export class NotFoundError extends HttpError {
  constructor(message = "Not found", code = "not_found", extra: Record<string, unknown> = {}) {
    super(404, code, message, extra);
  }
}

/** 409: conflicts with the current state. */
export class ConflictError extends HttpError {
  constructor(message: string, code = "conflict", extra: Record<string, unknown> = {}) {
    super(409, code, message, extra);
  }
}

/** The HTTP status of each domain-error kind (core/errors.ts). */
export const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** The one translation of a domain error (db/, services/, jobs/) into its HTTP response. */
export function httpErrorFor(err: DomainError): HttpError {
  const headers: Record<string, string> = err instanceof Unavailable
    ? { "Retry-After": String(err.retryAfterSeconds) }
    : {};
  return new HttpError(STATUS_OF_KIND[err.kind], err.code, err.message, err.extra, headers);
}
