/**
 * A process-local memo of "nothing to deliver" answers of GET /api/agents/{id}/pending-commands, so
 * most polls (agent v4.0.0 polls every 15 s, and nearly every answer is []) cost no statement.
 *
 * Correctness:
 * - An entry is kept per database handle (the app instance's `deps.db`) and per agent, with the
 *   client that asked: another client's poll never hits it (it gets its 404 from the database).
 * - Every command is queued through db/commands.ts queueSwitchCommand, which invalidates the
 *   agent's entry on the same handle before its transaction and again after it, and a poll only
 *   stores its empty answer when no invalidation happened since it started (a generation
 *   number): a command queued while a poll is in flight is never hidden by it.
 * - Only answers that stay empty until a new command is queued are stored: agent enabled, not
 *   deleted, and no pending command (a pending command of a disabled agent is delivered once the
 *   agent is enabled again, so that answer is not stored).
 * - Another app instance on the same database does not see this process's invalidations: there an
 *   entry can hide a newly queued command for at most `ttlMs` (COMMAND_POLL_CACHE_SECONDS, 35 s
 *   by default: just over two 15 s poll intervals, so two polls of three hit; at 30 s the third
 *   poll arrived a few milliseconds too late about half the time). 0 turns the memo off.
 *
 * Spread: an agent's first stored answer in this process lives a random part of `ttlMs` (never
 * longer), later ones the whole `ttlMs`. After a restart every agent's first poll misses within
 * the same 15 s; with equal lives their misses would stay together, one wave every 45 s in which
 * every poll of the fleet reads the database (at 20,000 agents 1,333 statements/s instead of
 * ~450). The random first life spreads the misses over the cycle at the cost of one or two extra
 * misses per agent and process.
 * @module
 */

/** What a poll must hand back to remember() (the agent's generation when it started). */
export interface PollToken {
  agentId: string;
  gen: number;
  epoch: number;
}

interface Entry {
  gen: number;
  /** The client whose poll stored the empty answer; null when nothing is stored. */
  clientId: string | null;
  /** Until when (ms) the stored answer may be used. */
  until: number;
}

/** The memo of one database handle. */
export class EmptyPollCache {
  #entries = new Map<string, Entry>();
  #epoch = 0;
  readonly ttlMs: number;
  readonly maxEntries: number;
  #random: () => number;

  /** `random` (default Math.random, values in [0, 1)) picks the first life of each agent. */
  constructor(opts: { ttlMs: number; maxEntries?: number; random?: () => number }) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.#random = opts.random ?? Math.random;
  }

  /** True when `clientId`'s poll of `agentId` may answer [] without the database. */
  isEmpty(clientId: string, agentId: string, now: number): boolean {
    const e = this.#entries.get(agentId);
    return e !== undefined && e.clientId === clientId && now < e.until;
  }

  /** Starts a poll that went to the database. */
  begin(agentId: string): PollToken {
    return { agentId, gen: this.#entries.get(agentId)?.gen ?? 0, epoch: this.#epoch };
  }

  /** Stores an empty answer, unless the agent was invalidated since `token` was taken. */
  remember(token: PollToken, clientId: string, now: number): void {
    if (this.ttlMs <= 0 || token.epoch !== this.#epoch) return;
    const e = this.#entries.get(token.agentId);
    if ((e?.gen ?? 0) !== token.gen) return;
    if (!e && this.#entries.size >= this.maxEntries) {
      // Bounded: start over (a new epoch, so no poll in flight stores into the fresh map).
      this.#entries.clear();
      this.#epoch++;
      return;
    }
    // The first answer stored for this agent lives (0, ttlMs], later ones ttlMs (see Spread).
    const life = e ? this.ttlMs : this.ttlMs * (1 - this.#random());
    this.#entries.set(token.agentId, { gen: token.gen, clientId, until: now + life });
  }

  /** Forgets the agent's stored answer and fails every poll of it still in flight. */
  invalidate(agentId: string): void {
    const e = this.#entries.get(agentId);
    this.#entries.set(agentId, { gen: (e?.gen ?? 0) + 1, clientId: null, until: 0 });
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }
}

const caches = new WeakMap<object, EmptyPollCache>();

/** The memo of `db`, created with `ttlMs` on first use. */
export function pollCacheOf(db: object, ttlMs: number): EmptyPollCache {
  let c = caches.get(db);
  if (!c || c.ttlMs !== ttlMs) {
    c = new EmptyPollCache({ ttlMs });
    caches.set(db, c);
  }
  return c;
}

/** Invalidates `agentId` in `db`'s memo, if it has one (called around every command insert). */
export function invalidatePollCache(db: object, agentId: string): void {
  caches.get(db)?.invalidate(agentId);
}
