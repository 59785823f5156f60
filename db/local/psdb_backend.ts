/**
 * The MySQL/MariaDB side of the endpoint: one bounded mysql2 pool per database, optional
 * CREATE DATABASE on first use, per-connection session setup matching PlanetScale's defaults.
 * @module
 */
import mysql from "mysql2/promise";
import type { Pool, PoolConnection, PoolOptions } from "mysql2/promise";

/** Where the endpoint's MySQL/MariaDB server is and who to log in as. */
export interface PsdbBackend {
  socketPath?: string;
  host?: string;
  port?: number;
  user: string;
  password?: string;
}

/** Logger signature shared by the endpoint modules. */
export type PsdbLog = (
  level: "debug" | "info" | "warn" | "error",
  msg: string,
  fields?: Record<string, unknown>,
) => void;

// PlanetScale runs in UTC with MySQL 8's default strict sql_mode (STACK-NOTES §3.8.12, V15).
// Never NO_BACKSLASH_ESCAPES or ANSI_QUOTES: the driver's client-side escaping relies on both off.
const SESSION_INIT = "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00', " +
  "sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE," +
  "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

/** Raised when a connection could not be had in time or the queue is full. */
export class BackendBusyError extends Error {
  override name = "BackendBusyError";
}

/** Raised when the database named by the username does not exist (and may not be created). */
export class UnknownDatabaseError extends Error {
  override name = "UnknownDatabaseError";
}

/** One waiter for a permit; `live` turns false when it is granted or gives up. */
interface Waiter {
  live: boolean;
  grant(): void;
}

/**
 * The permits of one database: `active` handed out; `queue` FIFO from `head` (entries that gave up
 * are skipped when reached); `live` waiters still waiting.
 */
interface Gate {
  active: number;
  queue: Waiter[];
  head: number;
  live: number;
}

/** Owns the pools; hands out initialised connections. */
export class Backends {
  #pools = new Map<string, Promise<Pool>>();
  #initialised = new WeakSet<object>();
  #gates = new Map<string, Gate>();
  /** Connections handed out, with the permit each one holds. */
  #held = new WeakMap<PoolConnection, Gate>();
  #pending = new Set<Promise<unknown>>();
  #closed = false;

  /** opts.poolLimit and opts.queueLimit bound each database's pool. */
  constructor(
    private readonly opts: {
      backend: PsdbBackend;
      poolLimit: number;
      queueLimit: number;
      createDatabases: boolean;
      log: PsdbLog;
    },
  ) {}

  #connOptions(database?: string): PoolOptions {
    const b = this.opts.backend;
    return {
      ...(b.socketPath
        ? { socketPath: b.socketPath }
        : { host: b.host ?? "127.0.0.1", port: b.port ?? 3306 }),
      user: b.user,
      password: b.password,
      database,
      charset: "utf8mb4_unicode_ci",
      supportBigNumbers: true,
      bigNumberStrings: true,
      multipleStatements: false, // one statement per call, like PlanetScale
      connectTimeout: 5_000,
      enableKeepAlive: true,
      // mysql2's promise API captures a stack per query for error traces; ~2% of the hot path.
      trace: false,
    };
  }

  #createPool(db: string): Promise<Pool> {
    return (async () => {
      if (this.opts.createDatabases) {
        const admin = await mysql.createConnection(this.#connOptions());
        try {
          // db matched ^[A-Za-z0-9_]{1,64}$ before reaching here, so quoting is enough.
          await admin.query(
            `CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
          );
        } finally {
          await admin.end().catch(() => {});
        }
      }
      const pool = mysql.createPool({
        ...this.#connOptions(db),
        connectionLimit: this.opts.poolLimit,
        maxIdle: this.opts.poolLimit, // equal to the limit: no idle-reaper timer
        queueLimit: this.opts.queueLimit,
        waitForConnections: true,
      });
      // mysql2 only listens for a connection's first 'error' (with .once); a later one on an idle
      // connection would be an unhandled 'error' event and crash the process.
      pool.on("connection", (c) => {
        (c as unknown as { on(e: "error", f: (err: unknown) => void): void }).on("error", (err) => {
          this.opts.log("warn", "psdb.connection_error", { database: db, error: String(err) });
        });
      });
      this.opts.log("info", "psdb.pool_created", { database: db, limit: this.opts.poolLimit });
      return pool;
    })();
  }

  #pool(db: string): Promise<Pool> {
    let p = this.#pools.get(db);
    if (!p) {
      p = this.#createPool(db);
      this.#pools.set(db, p);
      // A failed creation (backend down) must not be cached forever.
      p.catch(() => this.#pools.delete(db));
    }
    return p;
  }

  /**
   * Borrows an initialised connection for db, waiting at most timeoutMs or until `signal` aborts.
   * Waiting happens here, not in mysql2: each database has poolLimit permits and a FIFO of at most
   * queueLimit live waiters, and a waiter that gives up leaves the queue at once (mysql2 keeps a
   * given-up waiter queued until a connection reaches it, so under overload its queue filled with
   * the dead and refused the living).
   */
  async acquire(db: string, timeoutMs: number, signal?: AbortSignal): Promise<PoolConnection> {
    if (this.#closed) throw new BackendBusyError("endpoint is shutting down");
    if (signal?.aborted) throw new BackendBusyError("client gave up before a connection was free");
    const started = performance.now();
    const gate = this.#gate(db);
    await this.#enter(gate, db, timeoutMs, signal);
    // Holding a permit: the pool has a connection for us (or may open one).
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gaveUp = false;
    let onAbort: (() => void) | undefined;
    const got = this.#pool(db).then((pool) => pool.getConnection());
    const left = Math.max(1, timeoutMs - (performance.now() - started));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        reject(new BackendBusyError(`no backend connection for ${db} within ${timeoutMs} ms`));
      }, left);
      if (signal) {
        onAbort = () => {
          gaveUp = true;
          reject(new BackendBusyError("client gave up while waiting for a connection"));
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }
    });
    let conn: PoolConnection;
    try {
      conn = await Promise.race([got, timeout]);
    } catch (err) {
      if (gaveUp) {
        // The connection may still arrive (a slow connect): hand it back, then the permit.
        got.then((c) => c.release(), () => {}).finally(() => this.#leave(gate));
      } else this.#leave(gate);
      throw translateAcquireError(err);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
    this.#held.set(conn, gate);
    const core = conn.connection as unknown as object;
    if (!this.#initialised.has(core)) {
      try {
        await conn.query(SESSION_INIT);
      } catch (err) {
        this.release(conn, true);
        throw err;
      }
      this.#initialised.add(core);
    }
    return conn;
  }

  #gate(db: string): Gate {
    let g = this.#gates.get(db);
    if (!g) this.#gates.set(db, g = { active: 0, queue: [], head: 0, live: 0 });
    return g;
  }

  /** Takes one of the database's permits, queueing (bounded) until one is free or it gives up. */
  #enter(g: Gate, db: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (g.active < this.opts.poolLimit) {
      g.active++;
      return Promise.resolve();
    }
    if (g.live >= this.opts.queueLimit) {
      return Promise.reject(
        new BackendBusyError(`too many requests waiting for a backend connection to ${db}`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { live: true, grant: () => {} };
      const giveUp = (message: string) => {
        if (!w.live) return;
        w.live = false;
        g.live--;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(new BackendBusyError(message));
      };
      const onAbort = () => giveUp("client gave up while waiting for a connection");
      const timer = setTimeout(
        () => giveUp(`no backend connection for ${db} within ${timeoutMs} ms`),
        timeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      w.grant = () => {
        w.live = false;
        g.live--;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      g.queue.push(w);
      g.live++;
    });
  }

  /** Gives a permit back: to the longest-waiting live waiter, else to the pool. */
  #leave(g: Gate): void {
    while (g.head < g.queue.length) {
      const w = g.queue[g.head++];
      if (g.head > 1024 && g.head * 2 > g.queue.length) {
        g.queue = g.queue.slice(g.head); // drop the consumed front in one copy
        g.head = 0;
      }
      if (w.live) {
        w.grant(); // the permit passes on; active stays the same
        return;
      }
    }
    g.queue.length = 0;
    g.head = 0;
    g.active--;
  }

  /** Returns a clean connection to its pool, or destroys one whose session state was changed. */
  release(conn: PoolConnection, tainted: boolean): void {
    if (tainted) conn.destroy();
    else conn.release();
    this.#returnPermit(conn);
  }

  #returnPermit(conn: PoolConnection): void {
    const g = this.#held.get(conn);
    if (!g) return;
    this.#held.delete(conn);
    this.#leave(g);
  }

  /** Destroys a connection in an unknown state; `kill` also stops its server thread (timeouts). */
  abandon(conn: PoolConnection, kill: boolean): void {
    const threadId = conn.threadId;
    conn.destroy();
    this.#returnPermit(conn);
    if (!kill) return;
    const p = (async () => {
      const admin = await mysql.createConnection({ ...this.#connOptions(), connectTimeout: 2_000 });
      try {
        await admin.query(`KILL ${Number(threadId)}`);
      } finally {
        await admin.end().catch(() => {});
      }
    })().catch((err) => {
      // 1094 "Unknown thread id": the server already noticed the closed socket.
      if ((err as { errno?: number }).errno !== 1094) {
        this.opts.log("warn", "psdb.kill_failed", { threadId, error: String(err) });
      }
    });
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p));
  }

  /** Ends every pool after pending kills finish. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
    const pools = await Promise.allSettled([...this.#pools.values()]);
    this.#pools.clear();
    await Promise.allSettled(
      pools.map((p) => p.status === "fulfilled" ? p.value.end() : undefined),
    );
  }
}

function translateAcquireError(err: unknown): unknown {
  if (err instanceof BackendBusyError) return err;
  const e = err as { errno?: number; message?: string };
  if (e.errno === 1049) return new UnknownDatabaseError(e.message ?? "unknown database");
  if (e.message === "Queue limit reached.") {
    return new BackendBusyError("too many requests waiting for a backend connection");
  }
  return err;
}
