/**
 * The one place the PlanetScale driver is built. Everything else talks to the narrow `Db`
 * interface, so tests change the URL (or the in-process fetch), never the interface.
 */
import { cast as defaultCast, Client, DatabaseError } from "@planetscale/database";
import type { Connection, Field } from "@planetscale/database";
import { formatSql } from "./sql_format.ts";
import { traceStatement } from "./tracing.ts";

/** Argument list of one statement: positional `?` values or named `:name` values. */
export type SqlArgs = unknown[] | Record<string, unknown>;

/** What one statement returns, with rows typed by the caller. */
export interface QueryResult<T> {
  rows: T[];
  rowsAffected: number;
  insertId: string;
}

/** Something that runs one statement: the pool-less client or a transaction's connection. */
export interface Queryable {
  execute<T = Record<string, unknown>>(sql: string, args?: SqlArgs): Promise<QueryResult<T>>;
}

/** The database as the rest of the code sees it. */
export interface Db extends Queryable {
  /** Runs `fn` in one transaction on one session; a throw rolls back and is rethrown unchanged. */
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  /** Statements sent by this process (each is one HTTP round trip in production). */
  roundTrips(): number;
  /** The per-statement deadline (DB_TIMEOUT_MS) in milliseconds. */
  readonly timeoutMs?: number;
  /**
   * Adds an observer told of every statement (its duration and whether it failed), e.g. the
   * metrics of routes/metrics.ts; returns a function that removes it.
   */
  observeStatements?(observer: StatementObserver): () => void;
}

/** Told of each statement after it finished: wall time in milliseconds, false when it threw. */
export type StatementObserver = (ms: number, ok: boolean) => void;

/** The database could not be reached or did not answer in time (rendered as 503). */
export class DbUnavailableError extends Error {
  override name = "DbUnavailableError";
  /** Stable machine-readable code of the 503 body. */
  readonly code: string = "unavailable";
}

/**
 * A transaction's COMMIT was sent but not answered (timeout, lost connection): it may or may not
 * have been applied. Never reported as success; the caller retries an idempotent request.
 */
export class CommitUnknownError extends DbUnavailableError {
  override name = "CommitUnknownError";
  override readonly code = "commit_outcome_unknown";
}

/** Options of `createDb`. */
export interface DbOptions {
  /** `http://user:pass@host:port` (plain HTTP, local endpoint) or `mysql://user:pass@host` (https). */
  url: string;
  /** A custom fetch, e.g. the in-process endpoint handler. */
  fetch?: typeof fetch;
  /** Per-request timeout; the driver itself has none. */
  timeoutMs?: number;
  /** `fetch` answers with the whole body in memory (the in-process endpoint). */
  inProcess?: boolean;
}

/**
 * Casts rows the way the code expects them: DECIMAL and 64-bit integers as numbers (money and
 * counts are well inside 2^53), DATETIME/TIMESTAMP as ISO-8601 UTC strings with `Z`, DATE as
 * `YYYY-MM-DD`, JSON parsed; everything else as the driver does (TINYINT(1) stays 0/1).
 */
export function castValue(field: Field, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case "DECIMAL":
    case "INT64":
    case "UINT64": {
      const n = Number(value as string);
      return Number.isFinite(n) ? n : value;
    }
    case "DATETIME":
    case "TIMESTAMP": {
      const s = String(defaultCast(field, value as string));
      return s.startsWith("0000")
        ? null
        : `${s.replace(" ", "T")}${s.includes(".") ? "" : ".000"}Z`;
    }
    case "DATE":
      return String(defaultCast(field, value as string));
    default:
      return defaultCast(field, value as string);
  }
}

/** Attempts of a transaction that lost a deadlock or a lock wait. */
const TX_ATTEMPTS = 3;

/** Builds the one driver client and wraps it in the `Db` interface. */
export function createDb(opts: DbOptions): Db {
  const timeoutMs = opts.timeoutMs ?? 8000;
  const baseFetch = opts.fetch ?? fetch;
  const inProcess = opts.inProcess ?? false;
  // One timer per statement, cleared when it answers (AbortSignal.timeout cannot be cleared: each
  // one fired, built a DOMException and dispatched an abort DB_TIMEOUT_MS after its statement).
  const boundedFetch: typeof fetch = async (input, init) => {
    const ctl = new AbortController();
    const timer = setTimeout(
      () => ctl.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
      timeoutMs,
    );
    try {
      const res = await baseFetch(input, { ...init, signal: ctl.signal });
      // In process the body is already in memory; over the network it is read under the timer.
      if (inProcess) return res;
      const text = await res.text();
      return new Response(text, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      });
    } finally {
      clearTimeout(timer);
    }
  };
  const client = new Client({
    url: opts.url,
    fetch: boundedFetch,
    cast: castValue,
    format: formatSql,
  });
  // Client.execute builds a new Connection (three URL parses) per statement. An autocommit
  // statement takes an idle one instead and gives it back with its session cleared, so every
  // statement still starts a new session, and a connection serves one statement at a time.
  const idle: Connection[] = [];
  const reusable = "session" in client.connection();
  const autocommit = async <T>(sql: string, args?: SqlArgs): Promise<QueryResult<T>> => {
    if (!reusable) return run<T>(client, sql, args);
    const conn = idle.pop() ?? client.connection();
    try {
      return await run<T>(conn, sql, args);
    } finally {
      (conn as unknown as { session: unknown }).session = null;
      if (idle.length < 256) idle.push(conn);
    }
  };
  let trips = 0;
  const observers = new Set<StatementObserver>();
  const notify = (started: number, ok: boolean) => {
    if (observers.size === 0) return;
    const ms = performance.now() - started;
    for (const o of observers) o(ms, ok);
  };

  async function run<T>(
    target: Client | Connection,
    sql: string,
    args?: SqlArgs,
  ): Promise<QueryResult<T>> {
    trips++;
    const started = performance.now();
    try {
      const r = await traceStatement(sql, () => target.execute(sql, args as never));
      notify(started, true);
      return {
        rows: r.rows as T[],
        rowsAffected: r.rowsAffected,
        insertId: r.insertId,
      };
    } catch (err) {
      notify(started, false);
      throw translateError(err);
    }
  }

  async function runTransaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
    const conn = client.connection();
    await run(conn, "BEGIN");
    const tx: Queryable = { execute: (sql, args) => run(conn, sql, args) };
    let result: R;
    try {
      result = await fn(tx);
    } catch (err) {
      // A failing ROLLBACK must not hide the error that caused it (driver issue, STACK-NOTES 3.2).
      await run(conn, "ROLLBACK").catch(() => {});
      throw err;
    }
    try {
      await run(conn, "COMMIT");
    } catch (err) {
      // Unanswered: the outcome is unknown. A SQL error (e.g. the endpoint already rolled the
      // transaction back) is a definite failure and stays as it is.
      if (err instanceof DbUnavailableError) {
        throw new CommitUnknownError(`COMMIT not confirmed (${err.message}): outcome unknown`);
      }
      throw err;
    }
    return result;
  }

  return {
    async execute(sql, args) {
      // A single autocommit statement chosen as a deadlock victim was rolled back whole (1213):
      // sending it again is safe (lock waits, 1205, are not retried here: they already waited).
      for (let attempt = 1;; attempt++) {
        try {
          return await autocommit(sql, args);
        } catch (err) {
          if (sqlErrno(err) !== 1213 || attempt >= TX_ATTEMPTS) throw lockWaitGaveUp(err);
          await new Promise((r) => setTimeout(r, 2 + Math.random() * 10 * attempt));
        }
      }
    },
    async transaction(fn) {
      // InnoDB picks a victim when two transactions deadlock (1213) and gives up on a lock wait
      // (1205); both roll the whole transaction back, so running it again is safe. Our
      // transaction bodies only touch the database, never anything outside it.
      for (let attempt = 1;; attempt++) {
        try {
          return await runTransaction(fn);
        } catch (err) {
          const errno = sqlErrno(err);
          if ((errno !== 1213 && errno !== 1205) || attempt >= TX_ATTEMPTS) {
            throw lockWaitGaveUp(err);
          }
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
        }
      }
    },
    roundTrips: () => trips,
    timeoutMs,
    observeStatements(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
  };
}

/**
 * Endpoint error codes (HTTP 200 + `{error: {code}}`) that mean "not now" rather than "this SQL is
 * wrong": a query killed at the endpoint's deadline, no connection in time, a lost backend.
 */
const UNAVAILABLE_CODES = new Set(["DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "UNAVAILABLE"]);

/** Turns transport failures into `DbUnavailableError`; SQL errors stay `DatabaseError`. */
export function translateError(err: unknown): unknown {
  if (err instanceof DatabaseError) {
    if (err.status === 401 || err.status >= 500) {
      return new DbUnavailableError(`database refused the request (HTTP ${err.status})`);
    }
    const code = (err.body as { code?: unknown } | undefined)?.code;
    // ABORTED also reports a transaction the endpoint rolled back (its connection timed out or
    // was lost): nothing was written, a retry later may succeed.
    // A MySQL error carries its errno (1205 lock wait is DEADLINE_EXCEEDED too, but stays a
    // DatabaseError so a transaction can be run again; see lockWaitGaveUp).
    const sqlError = /\(errno \d+\)/.test(err.message);
    if (
      (typeof code === "string" && UNAVAILABLE_CODES.has(code) && !sqlError) ||
      (code === "ABORTED" && /^transaction \S+ has ended/.test(err.message))
    ) {
      return new DbUnavailableError(`database did not answer in time: ${err.message}`);
    }
    return err;
  }
  if (err instanceof Error) {
    const name = err.name;
    if (
      name === "TimeoutError" || name === "AbortError" || name === "TypeError" ||
      name === "UnknownError" || /fetch|connect|network/i.test(err.message)
    ) {
      return new DbUnavailableError(`database unreachable: ${err.message}`);
    }
  }
  return err;
}

/** A lock wait that timed out (1205) for good: the database did not answer in time (503). */
function lockWaitGaveUp(err: unknown): unknown {
  if (sqlErrno(err) !== 1205) return err;
  return new DbUnavailableError(`lock wait timed out: ${(err as Error).message}`);
}

/** MySQL error number carried in a driver error message (`... (errno 1062) ...`), if any. */
export function sqlErrno(err: unknown): number | null {
  if (!(err instanceof DatabaseError)) return null;
  const m = /\(errno (\d+)\)/.exec(err.message);
  return m ? Number(m[1]) : null;
}

/** True when a statement failed on a unique key. */
export function isDuplicateKey(err: unknown): boolean {
  return sqlErrno(err) === 1062;
}

/** Converts a TINYINT(1) value to a boolean. */
export function bool(v: unknown): boolean {
  return v === 1 || v === true || v === "1";
}

/** Converts a nullable numeric column to number | null. */
export function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Parses a JSON column that MariaDB may deliver as text (computed JSON) or the driver as object. */
export function json<T = unknown>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") {
    try {
      return JSON.parse(v) as T;
    } catch {
      return null;
    }
  }
  return v as T;
}
