/**
 * Per-process TTL cache of verified principals, so a repeat request with the same token skips the
 * database. Keys are the token's SHA-256 hex (see `hashOpaqueToken`), never the clear token.
 * Expiry is absolute from `set` (reads do not extend it), which bounds how long a revoked token
 * can keep working on an instance that did not see the revocation: at most `ttlMs`.
 */

/** Options: entry lifetime and the memory cap. */
export interface AuthCacheOptions {
  ttlMs: number;
  maxEntries: number;
}

/** A TTL + LRU cache; time is always passed in (milliseconds since the epoch). */
export interface AuthCache<V> {
  /** The live value for `key`, or undefined when missing or expired. */
  get(key: string, nowMs: number): V | undefined;
  /** Stores `value` for `ttlMs` from `nowMs`, evicting the least recently used when full. */
  set(key: string, value: V, nowMs: number): void;
  /** Drops one entry (the token that was just revoked). */
  delete(key: string): void;
  /** Drops every entry whose value matches (all tokens of a regenerated or deleted client). */
  deleteWhere(pred: (value: V) => boolean): number;
  /** Number of entries held, expired ones included until touched or evicted. */
  size(): number;
  /**
   * Counter bumped by every delete/deleteWhere. Read it before a database lookup and `set` only
   * if it is unchanged afterwards, so a lookup that raced a revocation cannot re-cache the token.
   */
  generation(): number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function assertHashKey(key: string): void {
  // A programming error, caught in tests: clear tokens must never be kept in memory maps.
  if (!SHA256_HEX.test(key)) throw new TypeError("auth cache key must be a SHA-256 hex digest");
}

/** Creates a cache keyed by token hash with absolute TTL and LRU eviction at `maxEntries`. */
export function createAuthCache<V>(opts: AuthCacheOptions): AuthCache<V> {
  const { ttlMs, maxEntries } = opts;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError("ttlMs must be > 0");
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError("maxEntries must be >= 1");
  }
  // Map insertion order doubles as recency order: a hit re-inserts the entry at the back.
  const entries = new Map<string, Entry<V>>();
  let generation = 0;

  return {
    get(key, nowMs) {
      assertHashKey(key);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (nowMs >= entry.expiresAt) {
        entries.delete(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, nowMs) {
      assertHashKey(key);
      entries.delete(key);
      for (const oldest of entries.keys()) {
        if (entries.size < maxEntries) break;
        entries.delete(oldest);
      }
      entries.set(key, { value, expiresAt: nowMs + ttlMs });
    },
    delete(key) {
      generation++;
      entries.delete(key);
    },
    deleteWhere(pred) {
      generation++;
      let removed = 0;
      for (const [key, entry] of entries) {
        if (pred(entry.value)) {
          entries.delete(key);
          removed++;
        }
      }
      return removed;
    },
    size() {
      return entries.size;
    },
    generation() {
      return generation;
    },
  };
}
