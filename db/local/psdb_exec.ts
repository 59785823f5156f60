/**
 * Runs one statement for one session: pins the connection while a transaction is open, enforces
 * the per-query timeout, and turns mysql2 results and errors into protocol replies.
 * @module
 */
import type { PoolConnection, ResultSetHeader } from "mysql2/promise";
import {
  BackendBusyError,
  type Backends,
  type PsdbLog,
  UnknownDatabaseError,
} from "./psdb_backend.ts";
import {
  type ColumnInfo,
  encodeField,
  encodeOk,
  encodeRows,
  encodeSqlError,
  isSqlError,
  type PsdbResult,
} from "./psdb_encode.ts";
import { JsonColumns } from "./psdb_json.ts";
import {
  classify,
  inTransactionAfter,
  parseSession,
  type Pinned,
  sessionJson,
  SessionTable,
  type StatementKind,
} from "./psdb_session.ts";

/** An HTTP status and JSON body for the handler to send. */
export interface ExecReply {
  status: number;
  body: Record<string, unknown>;
}

/** Limits and collaborators of the executor. */
export interface ExecOptions {
  backends: Backends;
  queryTimeoutMs: number;
  txIdleTimeoutMs: number;
  maxRows: number;
  log: PsdbLog;
}

type Session = ReturnType<typeof parseSession>;

const CANCELED = Symbol("canceled");

/** Settles like `p`, or rejects with CANCELED as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(CANCELED);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {});
      reject(CANCELED);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener("abort", onAbort);
      resolve(v);
    }, (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
}

function errorReply(status: number, session: unknown, code: string, message: string): ExecReply {
  return { status, body: { session, error: { code, message } } };
}

/** Executes statements; owns the session table and the JSON-column cache. */
export class Executor {
  /** Execute calls handled (one statement each): the number of round trips. */
  statements = 0;
  #sessions: SessionTable;
  #json: JsonColumns;
  #pending = new Set<Promise<unknown>>();

  /** See ExecOptions. */
  constructor(private readonly o: ExecOptions) {
    this.#sessions = new SessionTable(o.txIdleTimeoutMs, (id, p) => this.#idleRollback(id, p));
    this.#json = new JsonColumns({
      onError: (schema, err) =>
        o.log("debug", "psdb.json_columns_unavailable", { schema, error: String(err) }),
    });
  }

  /** Returns a new, empty session (the CreateSession RPC). */
  createSession(db: string): ExecReply {
    return { status: 200, body: { session: sessionJson(crypto.randomUUID(), db, false) } };
  }

  /** Ends a session, rolling back its open transaction (the CloseSession RPC). */
  closeSession(rawSession: unknown): ExecReply {
    const s = parseSession(rawSession);
    if (s.fresh) return { status: 200, body: {} };
    if (!this.#sessions.enter(s.id)) return this.#busyReply(rawSession);
    try {
      const p = this.#sessions.take(s.id);
      if (p) this.#rollbackAndRelease(p);
    } finally {
      this.#sessions.leave(s.id);
    }
    return { status: 200, body: {} };
  }

  /**
   * Runs one statement for the session the client sent (null: a new session). When `signal`
   * aborts (the client gave up), a statement still waiting or running is abandoned: its
   * connection is killed, so an open transaction rolls back and no lock outlives the caller.
   */
  async execute(
    db: string,
    rawSession: unknown,
    query: string,
    signal?: AbortSignal,
  ): Promise<ExecReply> {
    this.statements++;
    const s = parseSession(rawSession);
    const kind = classify(query);
    if (kind.noop) {
      return { status: 200, body: { session: sessionJson(s.id, db, s.inTransaction), result: {} } };
    }
    // Like ps-http-sim: parallel statements on one session are a client bug; refuse them.
    if (!this.#sessions.enter(s.id)) return this.#busyReply(rawSession);
    try {
      return await this.#run(db, s, kind, query, signal);
    } finally {
      this.#sessions.leave(s.id);
    }
  }

  async #run(
    db: string,
    s: Session,
    kind: StatementKind,
    query: string,
    signal: AbortSignal | undefined,
  ): Promise<ExecReply> {
    const pinned = this.#sessions.take(s.id);
    if (pinned && pinned.db !== db) {
      this.#sessions.pin(s.id, pinned);
      return errorReply(
        200,
        sessionJson(s.id, pinned.db, true),
        "FAILED_PRECONDITION",
        `session belongs to database ${pinned.db}`,
      );
    }
    if (!pinned && s.inTransaction) {
      // The session's transaction is gone (idle rollback, timeout, lost connection or restart).
      // ROLLBACK is then a no-op; anything else must fail rather than run outside the transaction.
      const session = sessionJson(s.id, db, false);
      if (kind.rollback) return { status: 200, body: { session, result: {} } };
      return errorReply(
        200,
        session,
        "ABORTED",
        `transaction ${s.id} has ended: it was rolled back by the endpoint ` +
          `(idle for more than ${this.o.txIdleTimeoutMs} ms, timed out, or its connection was lost)`,
      );
    }
    const started = performance.now();
    let conn: PoolConnection;
    if (pinned) {
      conn = pinned.conn;
    } else {
      try {
        conn = await this.o.backends.acquire(db, this.o.queryTimeoutMs, signal);
      } catch (err) {
        return this.#acquireFailure(db, sessionJson(s.id, db, false), err);
      }
    }
    const tainted = (pinned?.tainted ?? false) || kind.taints;
    const timeout = Math.max(1, Math.round(this.o.queryTimeoutMs - (performance.now() - started)));
    let res: [unknown, unknown];
    try {
      const q = conn.query({ sql: query, rowsAsArray: true, typeCast: false, timeout }) as Promise<
        [unknown, unknown]
      >;
      res = signal ? await untilAborted(q, signal) : await q;
    } catch (err) {
      if (err === CANCELED) {
        // The caller is gone: the statement's effect is unknown to it, so the connection (and any
        // transaction on it) is killed rather than left to finish or to hold its locks.
        this.o.backends.abandon(conn, true);
        this.o.log("warn", "psdb.statement_canceled", { database: db, inTransaction: !!pinned });
        return errorReply(200, sessionJson(s.id, db, !!pinned), "CANCELED", "client gave up");
      }
      return this.#queryFailure({ db, s, conn, pinned: !!pinned, tainted, err, query });
    }

    let [rows, fields] = res;
    let serverStatus: number | undefined;
    let result: PsdbResult;
    let error: ExecReply | undefined;
    if (Array.isArray(fields)) {
      if (Array.isArray(fields[0])) [rows, fields] = [(rows as unknown[])[0], fields[0]]; // CALL
      const cols = fields as ColumnInfo[];
      const data = rows as (Uint8Array | null)[][];
      await this.#json.ensure(conn, cols);
      result = { fields: cols.map((c) => encodeField(c, this.#json.isJson(c))) };
      if (data.length > this.o.maxRows) {
        error = errorReply(200, null, "ABORTED", `Row count exceeded ${this.o.maxRows}`);
      } else if (data.length > 0) result.rows = encodeRows(data);
    } else {
      const header = rows as ResultSetHeader;
      serverStatus = header.serverStatus;
      result = encodeOk(header.affectedRows, header.insertId);
    }
    if (kind.ddl) this.#json.invalidate();
    const inTx = inTransactionAfter(kind, serverStatus, !!pinned);
    if (inTx && signal?.aborted) {
      // Answered after the caller gave up (a late BEGIN or statement of a transaction): nobody will
      // COMMIT it, so roll it back now instead of pinning a connection until the idle timeout.
      this.#rollbackAndRelease({ db, conn, tainted });
    } else if (inTx) this.#sessions.pin(s.id, { db, conn, tainted });
    else this.o.backends.release(conn, tainted);
    const session = sessionJson(s.id, db, inTx);
    const ms = performance.now() - started;
    this.o.log("debug", "psdb.statement", {
      database: db,
      ms,
      inTransaction: inTx,
      sql: query.slice(0, 200),
    });
    if (error) return { status: 200, body: { ...error.body, session } };
    return { status: 200, body: { session, result, timing: ms / 1000 } };
  }

  #queryFailure(
    f: {
      db: string;
      s: Session;
      conn: PoolConnection;
      pinned: boolean;
      tainted: boolean;
      err: unknown;
      query: string;
    },
  ): ExecReply {
    const { db, s, conn, pinned, err } = f;
    if (isSqlError(err) && !(err as { fatal?: boolean }).fatal) {
      // The connection is healthy and any open transaction continues (the app decides to roll back).
      if (pinned) this.#sessions.pin(s.id, { db, conn, tainted: f.tainted });
      else this.o.backends.release(conn, f.tainted);
      return {
        status: 200,
        body: { session: sessionJson(s.id, db, pinned), error: encodeSqlError(err) },
      };
    }
    // Timed out or broken: the connection's state is unknown, so it is destroyed, never reused. A
    // pinned transaction dies with it; the session keeps inTransaction so its next statement fails.
    const timedOut = (err as { code?: string }).code === "PROTOCOL_SEQUENCE_TIMEOUT";
    this.o.backends.abandon(conn, timedOut);
    const session = sessionJson(s.id, db, pinned);
    if (timedOut) {
      this.o.log("warn", "psdb.query_timeout", {
        database: db,
        timeoutMs: this.o.queryTimeoutMs,
        // Only the leading keyword above debug level: SQL text can carry values.
        verb: /^\s*(\w+)/.exec(f.query)?.[1]?.toUpperCase(),
      });
      return errorReply(
        200,
        session,
        "DEADLINE_EXCEEDED",
        `query timed out after ${this.o.queryTimeoutMs} ms and was killed`,
      );
    }
    this.o.log("warn", "psdb.backend_failure", { database: db, error: String(err) });
    return errorReply(
      503,
      session,
      "UNAVAILABLE",
      `backend connection failed: ${(err as Error).message}`,
    );
  }

  #acquireFailure(db: string, session: unknown, err: unknown): ExecReply {
    if (err instanceof UnknownDatabaseError) {
      return {
        status: 401,
        body: { error: { code: "unauthenticated", message: `unknown database '${db}'` } },
      };
    }
    const code = err instanceof BackendBusyError ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE";
    const message = isSqlError(err) ? encodeSqlError(err).message : (err as Error).message;
    this.o.log("warn", "psdb.backend_unavailable", { database: db, code, error: message });
    return errorReply(503, session, code, `backend unavailable: ${message}`);
  }

  #busyReply(rawSession: unknown): ExecReply {
    return errorReply(
      200,
      rawSession,
      "PERMISSION_DENIED",
      "session already in use: statements on one session must not run concurrently",
    );
  }

  #idleRollback(id: string, p: Pinned): void {
    this.o.log("warn", "psdb.tx_idle_rollback", {
      session: id,
      database: p.db,
      idleMs: this.o.txIdleTimeoutMs,
    });
    this.#rollbackAndRelease(p);
  }

  #rollbackAndRelease(p: Pinned): void {
    const done = p.conn.query("ROLLBACK").then(
      () => this.o.backends.release(p.conn, p.tainted),
      () => this.o.backends.release(p.conn, true),
    );
    this.#pending.add(done);
    done.finally(() => this.#pending.delete(done));
  }

  /** Pinned sessions right now (for stats and tests). */
  get pinnedSessions(): number {
    return this.#sessions.pinnedCount;
  }

  /** Drops every pinned session (their transactions roll back as the connections close). */
  async close(): Promise<void> {
    for (const p of this.#sessions.drain()) this.o.backends.release(p.conn, true);
    await Promise.allSettled([...this.#pending]);
  }
}
