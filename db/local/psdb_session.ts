/**
 * Sessions of the PlanetScale HTTP protocol: the opaque JSON echoed to the client, statement
 * classification, and the server-side table of sessions pinned to a connection while in a
 * transaction (rolled back after an idle timeout, as PlanetScale kills idle transactions).
 * @module
 */
import type { PoolConnection } from "mysql2/promise";

/** The session JSON the driver stores and sends back (Vitess-like shape). */
export interface SessionJson {
  vitessSession: {
    sessionUUID: string;
    targetString: string;
    autocommit: boolean;
    inTransaction?: boolean;
    options: { clientFoundRows: boolean; includedFields: string };
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Builds the session JSON for a reply. */
export function sessionJson(id: string, db: string, inTransaction: boolean): SessionJson {
  const vitessSession: SessionJson["vitessSession"] = {
    sessionUUID: id,
    targetString: db,
    autocommit: !inTransaction,
    options: { clientFoundRows: true, includedFields: "ALL" },
  };
  if (inTransaction) vitessSession.inTransaction = true;
  return { vitessSession };
}

/** Reads the client's session: its id and whether it believes it is in a transaction. */
export function parseSession(raw: unknown): { id: string; inTransaction: boolean; fresh: boolean } {
  const vs = (raw as { vitessSession?: { sessionUUID?: unknown; inTransaction?: unknown } } | null)
    ?.vitessSession;
  if (vs && typeof vs.sessionUUID === "string" && UUID.test(vs.sessionUUID)) {
    return { id: vs.sessionUUID, inTransaction: vs.inTransaction === true, fresh: false };
  }
  // database-js's Client.execute always sends null: every such call is a new session.
  return { id: crypto.randomUUID(), inTransaction: false, fresh: true };
}

/** What the endpoint needs to know about a statement before and after running it. */
export interface StatementKind {
  noop: boolean;
  begin: boolean;
  end: boolean;
  rollback: boolean;
  ddl: boolean;
  taints: boolean;
}

/** Skips leading whitespace and comments so classification sees the first keyword. */
function head(sql: string): string {
  let s = sql;
  for (let i = 0; i < 16; i++) {
    s = s.trimStart();
    if (s.startsWith("/*") && !s.startsWith("/*!")) {
      const end = s.indexOf("*/", 2);
      s = end < 0 ? "" : s.slice(end + 2);
    } else if (s.startsWith("#") || /^--(\s|$)/.test(s)) {
      const nl = s.indexOf("\n");
      s = nl < 0 ? "" : s.slice(nl + 1);
    } else break;
  }
  return s.slice(0, 200);
}

/** Classifies a statement by its leading keywords. */
export function classify(sql: string): StatementKind {
  const h = head(sql);
  const rollback = /^ROLLBACK\b(?![\s\S]*\bTO\b)/i.test(h);
  return {
    // PlanetScale-specific hints that ps-http-sim also ignores.
    noop: /^SET\s+@@boost_cached_queries\s*=/i.test(h) || /^USE\s+@/i.test(h),
    begin: /^(BEGIN|START\s+TRANSACTION)\b/i.test(h),
    end: rollback || /^COMMIT\b(?![\s\S]*\bAND\s+CHAIN\b)/i.test(h),
    rollback,
    ddl: /^(CREATE|ALTER|DROP|RENAME|TRUNCATE)\b/i.test(h),
    // Statements whose effect outlives the statement on this connection (session variables,
    // default database, locks, temporary tables, prepared statements): the connection must not go
    // back to a pool that other sessions share.
    taints: /^(SET|USE|LOCK|UNLOCK|PREPARE|DEALLOCATE|HANDLER|CREATE\s+TEMPORARY)\b/i.test(h) ||
      /\b(GET_LOCK|RELEASE_LOCK)\s*\(/i.test(sql),
  };
}

const SERVER_STATUS_IN_TRANS = 0x0001;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;

/**
 * Whether the connection is inside a transaction after a statement: the OK packet's status when
 * there is one (autocommit off counts, as every later statement opens one), else the statement.
 */
export function inTransactionAfter(
  kind: StatementKind,
  serverStatus: number | undefined,
  before: boolean,
): boolean {
  if (typeof serverStatus === "number") {
    return (serverStatus & SERVER_STATUS_IN_TRANS) !== 0 ||
      (serverStatus & SERVER_STATUS_AUTOCOMMIT) === 0;
  }
  if (kind.begin) return true;
  if (kind.end) return false;
  return before;
}

/** A session holding a connection between BEGIN and COMMIT/ROLLBACK. */
export interface Pinned {
  db: string;
  conn: PoolConnection;
  tainted: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/** Busy and pinned sessions. Sessions that hold nothing are not stored at all. */
export class SessionTable {
  #busy = new Set<string>();
  #pinned = new Map<string, Pinned>();

  /** onIdle runs when a pinned session stays unused for idleMs. */
  constructor(
    private readonly idleMs: number,
    private readonly onIdle: (id: string, pinned: Pinned) => void,
  ) {}

  /** Marks a session busy; false if a statement is already running on it. */
  enter(id: string): boolean {
    if (this.#busy.has(id)) return false;
    this.#busy.add(id);
    return true;
  }

  /** Marks a session idle again. */
  leave(id: string): void {
    this.#busy.delete(id);
  }

  /** Takes a session's pinned connection (stopping its idle clock), if it has one. */
  take(id: string): Pinned | undefined {
    const p = this.#pinned.get(id);
    if (!p) return undefined;
    this.#pinned.delete(id);
    clearTimeout(p.timer);
    p.timer = undefined;
    return p;
  }

  /** Pins a connection to a session and starts its idle clock. */
  pin(id: string, p: Pinned): void {
    p.timer = setTimeout(() => {
      if (this.#pinned.get(id) !== p) return;
      this.#pinned.delete(id);
      this.onIdle(id, p);
    }, this.idleMs);
    this.#pinned.set(id, p);
  }

  /** Number of sessions currently pinned. */
  get pinnedCount(): number {
    return this.#pinned.size;
  }

  /** Removes every pinned session (for shutdown), stopping their timers. */
  drain(): Pinned[] {
    const all = [...this.#pinned.values()];
    for (const p of all) clearTimeout(p.timer);
    this.#pinned.clear();
    return all;
  }
}
