/**
 * Coalesces the one-row reads of the hot agent polls (config, pending-commands) that arrive while
 * an earlier read of the same kind is still in flight into one statement
 * (`... WHERE a.id IN (?, ...)`).
 *
 * - Idle server: a read finds a free slot and is sent at once, alone; nothing waits.
 * - Busy server: statements take longer, more reads arrive while one is in flight, and they
 *   travel together, so the statements per read fall as the load rises (bench/RESULTS.md: 0.38
 *   per config poll at 30,000 agents). Each statement is a fixed cost on top of its rows: an HTTP
 *   request to PlanetScale in production, MariaDB's share of a config poll fell by a third with
 *   16 in flight here.
 * - One statement in flight per kind and handle, 256 ids at most: at 20 ms per statement (a remote
 *   database) that is up to 12,800 reads/s per kind and server instance.
 *
 * Correctness:
 * - A queued read is sent after it was asked for, so it is as fresh as a read of its own.
 * - Each read carries the client that asked. The statement narrows by the batch's clients, and a
 *   row is handed only to a waiter of the same client: another client's agent reads as missing,
 *   exactly as `a.id = ? AND a.client_id = ?` would.
 * - A failed statement fails its own reads with its error. When the database is unavailable (a
 *   timeout, 503) the queued reads fail with that error at once too: none waits longer than
 *   DB_TIMEOUT_MS behind a stalled statement.
 * - A read that queued and then went out in a later statement still answers within
 *   DB_TIMEOUT_MS of being asked for: that statement gets a timer at its oldest read's deadline,
 *   which fails its reads as unavailable (503) when it has not answered by then.
 * @module
 */
import { type Db, DbUnavailableError, type Queryable } from "./client.ts";

/** A row of a batch read: the agent it is of and the client that agent belongs to. */
export interface OwnedRow<R> {
  id: string;
  clientId: string;
  row: R;
}

/** Reads the rows of `ids` on `db`, limited to `clientIds` (agentScope gives the WHERE). */
export type BatchRead<R> = (
  db: Queryable,
  ids: string[],
  clientIds: string[],
) => Promise<OwnedRow<R>[]>;

interface Waiter<R> {
  clientId: string;
  /** When the read was asked for (performance.now()). */
  at: number;
  resolve: (row: R | null) => void;
  reject: (err: unknown) => void;
}

/** Reads in flight at once per kind and database handle (1: every later read joins the next). */
const MAX_IN_FLIGHT = 1;
/** Ids per statement at most (distinct statement texts stay few: one per list length). */
const MAX_BATCH = 256;

/** The batcher of one kind of read on one database handle. */
export class ReadBatcher<R> {
  #queue = new Map<string, Waiter<R>[]>();
  #inFlight = 0;
  #db: Queryable;
  #read: BatchRead<R>;
  readonly maxBatch: number;
  /** DB_TIMEOUT_MS: the longest a read waits for its answer, queue included (none: no limit). */
  readonly deadlineMs: number | undefined;
  /** Statements sent and reads answered by them (for tests). */
  statements = 0;
  reads = 0;

  /** `deadlineMs` defaults to the handle's DB_TIMEOUT_MS (`Db.timeoutMs`), when it has one. */
  constructor(
    db: Queryable & Partial<Pick<Db, "timeoutMs">>,
    read: BatchRead<R>,
    opts: { maxBatch?: number; deadlineMs?: number } = {},
  ) {
    this.#db = db;
    this.#read = read;
    this.deadlineMs = opts.deadlineMs ?? db.timeoutMs;
    this.maxBatch = opts.maxBatch ?? MAX_BATCH;
  }

  /** `clientId`'s row of `id`, or null when there is none or it is another client's. */
  load(clientId: string, id: string): Promise<R | null> {
    return new Promise<R | null>((resolve, reject) => {
      const w: Waiter<R> = { clientId, at: performance.now(), resolve, reject };
      const list = this.#queue.get(id);
      if (list) list.push(w);
      else this.#queue.set(id, [w]);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < MAX_IN_FLIGHT && this.#queue.size > 0) this.#send(this.#take());
  }

  /** Takes up to maxBatch ids off the queue, oldest first. */
  #take(): Map<string, Waiter<R>[]> {
    const batch = new Map<string, Waiter<R>[]>();
    for (const [id, ws] of this.#queue) {
      if (batch.size >= this.maxBatch) break;
      batch.set(id, ws);
      this.#queue.delete(id);
    }
    return batch;
  }

  #send(batch: Map<string, Waiter<R>[]>): void {
    this.#inFlight++;
    this.statements++;
    const clients = new Set<string>();
    for (const ws of batch.values()) for (const w of ws) clients.add(w.clientId);
    let p: Promise<OwnedRow<R>[]>;
    try {
      p = this.#read(this.#db, [...batch.keys()], [...clients]);
    } catch (err) {
      p = Promise.reject(err);
    }
    const timer = this.#deadlineTimer(batch);
    p.then((list) => {
      const rows = new Map<string, OwnedRow<R>>();
      for (const r of list) rows.set(r.id, r);
      for (const [id, ws] of batch) {
        const found = rows.get(id);
        for (const w of ws) {
          this.reads++;
          w.resolve(found && found.clientId === w.clientId ? found.row : null);
        }
      }
    }, (err) => {
      for (const ws of batch.values()) for (const w of ws) w.reject(err);
      if (err instanceof DbUnavailableError) {
        for (const ws of this.#queue.values()) for (const w of ws) w.reject(err);
        this.#queue.clear();
      }
    }).finally(() => {
      if (timer !== undefined) clearTimeout(timer);
      this.#inFlight--;
      this.#pump();
    });
  }

  /**
   * A timer at the deadline of the batch's oldest read when it queued (a read sent at once has
   * only the statement's own DB_TIMEOUT_MS, which ends at the same time).
   */
  #deadlineTimer(batch: Map<string, Waiter<R>[]>): ReturnType<typeof setTimeout> | undefined {
    if (this.deadlineMs === undefined) return undefined;
    const oldest = batch.values().next().value?.[0].at;
    if (oldest === undefined) return undefined;
    const left = oldest + this.deadlineMs - performance.now();
    if (left >= this.deadlineMs - 1) return undefined;
    const ms = this.deadlineMs;
    return setTimeout(() => {
      const err = new DbUnavailableError(`no answer within ${ms} ms (queued behind another read)`);
      for (const ws of batch.values()) for (const w of ws) w.reject(err);
    }, Math.max(0, left));
  }
}

/** `n` placeholders for an IN list: `?, ?, ?` (values always go through the driver's `?`). */
export function placeholders(n: number): string {
  return n === 1 ? "?" : "?, ".repeat(n - 1) + "?";
}

/**
 * The WHERE of a batch read of agents `a`: these ids, of these clients (the exact pairs are
 * checked when the rows are handed out), with its values.
 */
export function agentScope(ids: string[], clientIds: string[]): { where: string; args: string[] } {
  return {
    where: `a.id IN (${placeholders(ids.length)}) AND a.client_id IN (${
      placeholders(clientIds.length)
    })`,
    args: [...ids, ...clientIds],
  };
}

const batchers = new WeakMap<object, Map<string, ReadBatcher<unknown>>>();

/** The batcher of `kind` on `db` (one per database handle, so one per app instance). */
export function batcherOf<R>(db: Queryable, kind: string, read: BatchRead<R>): ReadBatcher<R> {
  let kinds = batchers.get(db);
  if (!kinds) {
    kinds = new Map();
    batchers.set(db, kinds);
  }
  let b = kinds.get(kind) as ReadBatcher<R> | undefined;
  if (!b) {
    b = new ReadBatcher(db, read);
    kinds.set(kind, b as ReadBatcher<unknown>);
  }
  return b;
}
