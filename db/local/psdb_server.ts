/**
 * A server of the PlanetScale HTTP protocol (the Execute and CreateSession RPCs that
 * @planetscale/database 1.20.2 calls) in front of MySQL/MariaDB through npm:mysql2.
 * The Basic-auth username selects the database. Run as a script for `deno task db`.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Backends, type PsdbBackend, type PsdbLog } from "./psdb_backend.ts";
import { Executor } from "./psdb_exec.ts";

export type { PsdbBackend, PsdbLog } from "./psdb_backend.ts";

/** Options of createPsdbHandler. */
export interface PsdbOptions {
  backend: PsdbBackend;
  /** The Basic-auth password clients must present. */
  password: string;
  /** Dev/test: CREATE DATABASE IF NOT EXISTS on first use of a username. */
  createDatabases?: boolean;
  allowedDatabases?: string[];
  /** Connections per database pool (default 20). */
  poolLimit?: number;
  /** Requests allowed to wait for a pooled connection per database (default 200). */
  queueLimit?: number;
  /** Request body limit in bytes (default 1 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
  /** Time for acquiring a connection plus running one statement (default 10 s). */
  queryTimeoutMs?: number;
  /** An open transaction unused for this long is rolled back (default 20 s, like PlanetScale). */
  txIdleTimeoutMs?: number;
  /** Result sets larger than this are refused, like PlanetScale's OLTP limit (default 100 000). */
  maxRows?: number;
  log?: PsdbLog;
}

/** The protocol endpoint as a fetch handler. */
export interface PsdbHandler {
  fetch(req: Request): Promise<Response>;
  close(): Promise<void>;
  stats(): { statements: number };
}

const DB_NAME = /^[A-Za-z0-9_]{1,64}$/;
const PREFIX = "/psdb.v1alpha1.Database/";
const JSON_HEADERS = { "content-type": "application/json" };

function reply(
  status: number,
  body: unknown,
  headers: Record<string, string> = JSON_HEADERS,
): Response {
  return new Response(JSON.stringify(body), { status, headers });
}

function failure(status: number, code: string, message: string): Response {
  return reply(status, { error: { code, message } });
}

function digest(s: string): Uint8Array {
  return createHash("sha256").update(s, "utf8").digest();
}

/** Decodes the Basic credentials; database-js sends btoa(user:pass) (latin1), curl sends UTF-8. */
function basicCredentials(header: string | null): { user: string; pass: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  let bin: string;
  try {
    bin = atob(header.slice(6).trim());
  } catch {
    return undefined;
  }
  let text = bin;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch { /* not UTF-8: keep the latin1 reading */ }
  const i = text.indexOf(":");
  return i < 0 ? undefined : { user: text.slice(0, i), pass: text.slice(i + 1) };
}

const TOO_LARGE = Symbol("too large");

async function readBody(req: Request, max: number): Promise<string | typeof TOO_LARGE> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await req.body?.cancel().catch(() => {});
    return TOO_LARGE;
  }
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return new TextDecoder().decode(chunks[0]);
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** Creates the protocol handler; `fetch` serves requests, `close` drains and ends the pools. */
export function createPsdbHandler(opts: PsdbOptions): PsdbHandler {
  if (!opts.password) throw new Error("createPsdbHandler: a password is required");
  const log: PsdbLog = opts.log ?? (() => {});
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const allowed = opts.allowedDatabases ? new Set(opts.allowedDatabases) : undefined;
  const expected = digest(opts.password);
  const backends = new Backends({
    backend: opts.backend,
    poolLimit: opts.poolLimit ?? 20,
    queueLimit: opts.queueLimit ?? 200,
    createDatabases: opts.createDatabases ?? false,
    log,
  });
  const exec = new Executor({
    backends,
    queryTimeoutMs: opts.queryTimeoutMs ?? 10_000,
    txIdleTimeoutMs: opts.txIdleTimeoutMs ?? 20_000,
    maxRows: opts.maxRows ?? 100_000,
    log,
  });
  let inflight = 0;
  let drained: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  /** The database named by valid credentials, or the reason for a 401. */
  function authenticate(header: string | null): string | { reason: string } {
    const cred = basicCredentials(header);
    if (!cred) return { reason: "missing or malformed Basic credentials" };
    // Compare digests so the comparison is constant-time whatever the lengths.
    if (!timingSafeEqual(digest(cred.pass), expected)) return { reason: "invalid credentials" };
    if (!DB_NAME.test(cred.user)) return { reason: "username must match ^[A-Za-z0-9_]{1,64}$" };
    if (allowed && !allowed.has(cred.user)) return { reason: "database not allowed" };
    return cred.user;
  }

  async function handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    const rpc = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : "";
    if (rpc !== "Execute" && rpc !== "CreateSession" && rpc !== "CloseSession") {
      await req.body?.cancel().catch(() => {});
      return failure(404, "not_found", `no route for ${path}`);
    }
    if (req.method !== "POST") {
      await req.body?.cancel().catch(() => {});
      return reply(405, { error: { code: "unimplemented", message: "use POST" } }, {
        ...JSON_HEADERS,
        allow: "POST",
      });
    }
    const db = authenticate(req.headers.get("authorization"));
    if (typeof db !== "string") {
      await req.body?.cancel().catch(() => {});
      log("info", "psdb.unauthenticated", { reason: db.reason });
      return failure(401, "unauthenticated", db.reason);
    }
    const text = await readBody(req, maxBody);
    if (text === TOO_LARGE) {
      return failure(413, "resource_exhausted", `request body exceeds ${maxBody} bytes`);
    }
    let payload: { query?: unknown; session?: unknown };
    try {
      payload = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      return failure(400, "invalid_argument", "request body is not valid JSON");
    }
    if (typeof payload !== "object" || payload === null) {
      return failure(400, "invalid_argument", "request body must be a JSON object");
    }
    if (rpc === "CreateSession") return toResponse(exec.createSession(db));
    if (rpc === "CloseSession") return toResponse(exec.closeSession(payload.session ?? null));
    if (typeof payload.query !== "string") {
      return failure(400, "invalid_argument", "query must be a string");
    }
    return toResponse(await exec.execute(db, payload.session ?? null, payload.query));
  }

  function toResponse(r: { status: number; body: unknown }): Response {
    return reply(r.status, r.body);
  }

  return {
    async fetch(req: Request): Promise<Response> {
      if (closing) return failure(503, "unavailable", "endpoint is shutting down");
      inflight++;
      try {
        return await handle(req);
      } catch (err) {
        log("error", "psdb.internal_error", {
          error: err instanceof Error ? err.stack : String(err),
        });
        return failure(500, "internal", "internal error");
      } finally {
        if (--inflight === 0) drained?.();
      }
    },
    close(): Promise<void> {
      closing ??= (async () => {
        if (inflight > 0) await new Promise<void>((r) => (drained = r));
        await exec.close();
        await backends.close();
        log("info", "psdb.closed", { statements: exec.statements });
      })();
      return closing;
    },
    stats: () => ({ statements: exec.statements }),
  };
}

/** A fetch for database-js's `fetch` option that calls the handler directly, with no socket. */
export function inProcessFetch(handler: PsdbHandler): typeof fetch {
  return (input: RequestInfo | URL, init?: RequestInit) => handler.fetch(new Request(input, init));
}

if (import.meta.main) {
  const { main } = await import("./psdb_main.ts");
  await main(createPsdbHandler);
}
