/**
 * Input hygiene that does not depend on HTTP: well-formed UTF-16 (no lone surrogates reach a JSON
 * column), identifier characters, the time range MySQL can store, and the depth of a JSON text.
 */

/** Characters never allowed in an identifier: C0/C1 controls, bidi controls, zero-width, U+FFFD. */
const FORBIDDEN_IN_ID =
  // deno-lint-ignore no-control-regex -- control characters are exactly what it must find
  /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffd]/u;

/** `s` with every lone UTF-16 surrogate replaced by U+FFFD (what UTF-8 can encode). */
export function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/**
 * True when `s` is usable as an identifier: well-formed, no control, bidi-override, zero-width or
 * replacement character, and no leading or trailing whitespace.
 */
export function isIdentifier(s: string): boolean {
  return s.isWellFormed() && !FORBIDDEN_IN_ID.test(s) && s.trim() === s;
}

/** Earliest instant every time column holds (MySQL TIMESTAMP starts at 1970-01-01 00:00:01 UTC). */
export const MIN_STORABLE_TIME = Date.UTC(1970, 0, 1, 0, 0, 1);
/** Latest instant every time column holds (MySQL TIMESTAMP ends at 2038-01-19 03:14:07 UTC). */
export const MAX_STORABLE_TIME = Date.UTC(2038, 0, 19, 3, 14, 7, 999);

/** True when both a MySQL TIMESTAMP and a DATETIME column can hold `d`. */
export function isStorableTime(d: Date): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && t >= MIN_STORABLE_TIME && t <= MAX_STORABLE_TIME;
}

/** How far an agent-reported event time may lie before the server's clock. */
export const AGENT_TIME_PAST_MS = 30 * 86_400_000;
/** How far an agent-reported event time may lie after the server's clock. */
export const AGENT_TIME_FUTURE_MS = 86_400_000;

/** True when an agent-reported event time is within [now - 30 days, now + 1 day]. */
export function isPlausibleAgentTime(d: Date, now: Date): boolean {
  const t = d.getTime();
  return t >= now.getTime() - AGENT_TIME_PAST_MS && t <= now.getTime() + AGENT_TIME_FUTURE_MS;
}

/** Deepest nesting a JSON body may have (the API's deepest schema needs 4). */
export const MAX_JSON_DEPTH = 32;

/**
 * The deepest `[`/`{` nesting of a JSON text (brackets inside strings do not count); a linear
 * scan without parsing, so hostile depth never reaches a recursive parser or copier.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) max = depth;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return max;
}

/**
 * A copy of a parsed JSON value with lone surrogates replaced by U+FFFD in every string and
 * object key (call it on values at most MAX_JSON_DEPTH deep: it recurses).
 */
export function wellFormedJson(value: unknown): unknown {
  if (typeof value === "string") return wellFormed(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(wellFormedJson);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // defineProperty: a key "__proto__" stays a plain key, as JSON.parse made it.
    Object.defineProperty(out, wellFormed(k), {
      value: wellFormedJson(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
