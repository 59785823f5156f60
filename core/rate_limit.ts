/**
 * In-memory fixed-window rate limiter (per process, no database). Each key's window starts at its
 * first hit. Memory is capped by `maxKeys`: entries are kept in window-start order, so expired
 * windows sit at the front and are dropped first; under pressure the oldest live window goes.
 */

/** Outcome of one hit (or a peek). */
export interface RateLimitResult {
  allowed: boolean;
  /** Whole seconds until the window resets (for Retry-After); 0 when allowed. */
  retryAfterSeconds: number;
  /** Hits left in the current window. */
  remaining: number;
}

/** Options: `limit` hits per `windowMs` per key, at most `maxKeys` keys tracked. */
export interface RateLimiterOptions {
  limit: number;
  windowMs: number;
  maxKeys: number;
}

/** A limiter instance; time is always passed in (milliseconds since the epoch). */
export interface RateLimiter {
  /** Counts one hit for `key` and says whether it is allowed. */
  hit(key: string, nowMs: number): RateLimitResult;
  /** Reports the state for `key` without counting a hit (check before expensive work). */
  peek(key: string, nowMs: number): RateLimitResult;
  /** Forgets `key` (for example after a successful login). */
  reset(key: string): void;
  /** Number of keys currently tracked. */
  size(): number;
}

interface Window {
  start: number;
  count: number;
}

/** Creates a fixed-window limiter whose memory never exceeds `maxKeys` entries. */
export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { limit, windowMs, maxKeys } = opts;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError("limit must be >= 1");
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError("windowMs must be > 0");
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new RangeError("maxKeys must be >= 1");

  // Map iteration order is insertion order; a key is re-inserted whenever its window restarts,
  // so the front of the map always holds the oldest window.
  const windows = new Map<string, Window>();

  function live(key: string, nowMs: number): Window | undefined {
    const w = windows.get(key);
    if (w === undefined) return undefined;
    if (nowMs >= w.start + windowMs) {
      windows.delete(key);
      return undefined;
    }
    return w;
  }

  function makeRoom(nowMs: number): void {
    for (const [key, w] of windows) {
      // Expired windows at the front are dropped on the way; once they are gone, evicting the
      // oldest live window is the price of bounded memory (that key starts a fresh window).
      const expired = nowMs >= w.start + windowMs;
      if (!expired && windows.size < maxKeys) return;
      windows.delete(key);
    }
  }

  function result(w: Window | undefined, nowMs: number): RateLimitResult {
    const count = w?.count ?? 0;
    if (w === undefined || count <= limit) {
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.max(0, limit - count) };
    }
    // Clamp to one window in case the caller's clock stepped backwards.
    const waitMs = Math.min(windowMs, Math.max(0, w.start + windowMs - nowMs));
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      remaining: 0,
    };
  }

  return {
    hit(key, nowMs) {
      let w = live(key, nowMs);
      if (w === undefined) {
        makeRoom(nowMs);
        w = { start: nowMs, count: 0 };
        windows.set(key, w);
      }
      // Stop counting past limit + 1 so a flood cannot overflow or skew the counter.
      if (w.count <= limit) w.count++;
      return result(w, nowMs);
    },
    peek(key, nowMs) {
      const w = live(key, nowMs);
      // A peek reports whether the *next* hit would pass, so a full window already denies.
      if (w !== undefined && w.count >= limit) {
        return result({ start: w.start, count: limit + 1 }, nowMs);
      }
      return result(w, nowMs);
    },
    reset(key) {
      windows.delete(key);
    },
    size() {
      return windows.size;
    },
  };
}
