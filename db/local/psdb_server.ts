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
  /**
   * Requests allowed to wait for a pooled connection per database (default 4096): a burst (a
   * fleet booting at once) queues, each waiter for at most queryTimeoutMs, instead of failing.
   */
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

/** One RPC as plain values: what the HTTP handler and the in-process transport share. */
export interface PsdbCall {
  /** Request path, e.g. `/psdb.v1alpha1.Database/Execute`. */
  path: string;
  method: string;
  authorization: string | null;
  /** The JSON body, already read. */
  body: string;
  /** Aborts when the caller gives up: a running statement's connection is then killed. */
  signal?: AbortSignal;
}

/** The protocol endpoint as a fetch handler. */
export interface PsdbHandler {
  fetch(req: Request): Promise<Response>;
  /** The same protocol without Request/Response objects (the in-process transport). */
  call(rpc: PsdbCall): Promise<{ status: number; text: string; headers?: Record<string, string> }>;
  close(): Promise<void>;
  stats(): { statements: number };
}

const DB_NAME = /^[A-Za-z0-9_]{1,64}$/;
const PREFIX = "/psdb.v1alpha1.Database/";
const JSON_HEADERS = { "content-type": "application/json" };

/** A reply before it becomes an HTTP response. */
interface Reply {
  status: number;
  text: string;
  headers?: Record<string, string>;
}

function reply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, text: JSON.stringify(body), headers };
}

function failure(status: number, code: string, message: string): Reply {
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
    queueLimit: opts.queueLimit ?? 4096,
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
  function checkCredentials(header: string | null): string | { reason: string } {
    const cred = basicCredentials(header);
    if (!cred) return { reason: "missing or malformed Basic credentials" };
    // Compare digests so the comparison is constant-time whatever the lengths.
    if (!timingSafeEqual(digest(cred.pass), expected)) return { reason: "invalid credentials" };
    if (!DB_NAME.test(cred.user)) return { reason: "username must match ^[A-Za-z0-9_]{1,64}$" };
    if (allowed && !allowed.has(cred.user)) return { reason: "database not allowed" };
    return cred.user;
  }

  // Accepted Authorization headers (a client sends the same one on every statement): decoding
  // and hashing them once per statement was ~3% of the hot path. Only successes are remembered.
  const accepted = new Map<string, string>();
  function authenticate(header: string | null): string | { reason: string } {
    const known = header === null ? undefined : accepted.get(header);
    if (known !== undefined) return known;
    const r = checkCredentials(header);
    if (typeof r === "string" && header !== null) {
      if (accepted.size >= 256) accepted.clear();
      accepted.set(header, r);
    }
    return r;
  }

  /** Routes one RPC whose body has been read. */
  async function handle(c: PsdbCall): Promise<Reply> {
    const path = c.path;
    const rpc = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : "";
    if (rpc !== "Execute" && rpc !== "CreateSession" && rpc !== "CloseSession") {
      return failure(404, "not_found", `no route for ${path}`);
    }
    if (c.method !== "POST") {
      return reply(405, { error: { code: "unimplemented", message: "use POST" } }, {
        allow: "POST",
      });
    }
    const db = authenticate(c.authorization);
    if (typeof db !== "string") {
      log("info", "psdb.unauthenticated", { reason: db.reason });
      return failure(401, "unauthenticated", db.reason);
    }
    let payload: { query?: unknown; session?: unknown };
    try {
      payload = c.body.trim() === "" ? {} : JSON.parse(c.body);
    } catch {
      return failure(400, "invalid_argument", "request body is not valid JSON");
    }
    if (typeof payload !== "object" || payload === null) {
      return failure(400, "invalid_argument", "request body must be a JSON object");
    }
    if (rpc === "CreateSession") return toReply(exec.createSession(db));
    if (rpc === "CloseSession") return toReply(exec.closeSession(payload.session ?? null));
    if (typeof payload.query !== "string") {
      return failure(400, "invalid_argument", "query must be a string");
    }
    return toReply(await exec.execute(db, payload.session ?? null, payload.query, c.signal));
  }

  function toReply(r: { status: number; body: unknown }): Reply {
    return reply(r.status, r.body);
  }

  /** Runs one RPC with the shutdown gate, the in-flight count and the last-resort 500. */
  async function guarded(c: PsdbCall): Promise<Reply> {
    if (closing) return failure(503, "unavailable", "endpoint is shutting down");
    inflight++;
    try {
      return await handle(c);
    } catch (err) {
      log("error", "psdb.internal_error", {
        error: err instanceof Error ? err.stack : String(err),
      });
      return failure(500, "internal", "internal error");
    } finally {
      if (--inflight === 0) drained?.();
    }
  }

  /** Reads an HTTP request into a call; the body is refused (413) past the limit. */
  async function fromRequest(req: Request): Promise<PsdbCall | Reply> {
    const path = new URL(req.url).pathname;
    const base = {
      path,
      method: req.method,
      authorization: req.headers.get("authorization"),
      signal: req.signal,
    };
    const routed = path.startsWith(PREFIX) && req.method === "POST";
    if (!routed || typeof authenticate(base.authorization) !== "string") {
      // Refused before the body matters (404, 405, 401): do not read it.
      await req.body?.cancel().catch(() => {});
      return { ...base, body: "" };
    }
    const text = await readBody(req, maxBody);
    if (text === TOO_LARGE) {
      return failure(413, "resource_exhausted", `request body exceeds ${maxBody} bytes`);
    }
    return { ...base, body: text };
  }

  return {
    async fetch(req: Request): Promise<Response> {
      if (closing) {
        await req.body?.cancel().catch(() => {});
        return toResponse(failure(503, "unavailable", "endpoint is shutting down"));
      }
      const c = await fromRequest(req);
      return toResponse("path" in c ? await guarded(c) : c);
    },
    call(c: PsdbCall): Promise<Reply> {
      if (c.body.length > maxBody) {
        return Promise.resolve(
          failure(413, "resource_exhausted", `request body exceeds ${maxBody} bytes`),
        );
      }
      return guarded(c);
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

/** The headers of a reply: JSON plus the reply's own. */
function replyHeaders(r: Reply): Record<string, string> {
  return r.headers ? { ...JSON_HEADERS, ...r.headers } : JSON_HEADERS;
}

function toResponse(r: Reply): Response {
  return new Response(r.text, { status: r.status, headers: replyHeaders(r) });
}

/** The URL's path without building a URL object (the driver sends absolute http(s) URLs). */
export function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  const slash = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
  if (slash < 0) return new URL(url).pathname;
  const q = url.indexOf("?", slash);
  return q < 0 ? url.slice(slash) : url.slice(slash, q);
}

/** The Authorization value of a fetch init's headers, whatever their form. */
function authorizationOf(headers: HeadersInit | undefined): string | null {
  if (!headers) return null;
  if (headers instanceof Headers) return headers.get("authorization");
  if (Array.isArray(headers)) {
    const h = headers.find(([k]) => k.toLowerCase() === "authorization");
    return h ? h[1] : null;
  }
  const rec = headers as Record<string, string>;
  return rec.Authorization ?? rec.authorization ?? null;
}

/**
 * The answer of an in-process call as the driver reads it (`ok`, `status`, `statusText`,
 * `headers`, `text()`, `json()`), without building a Response and its body stream for every
 * statement (~20 µs each under load). Anything else a Response has is not offered.
 */
class ReplyResponse {
  readonly statusText = "";
  #headers: Headers | undefined;
  constructor(readonly reply: Reply) {}
  get status(): number {
    return this.reply.status;
  }
  get ok(): boolean {
    return this.reply.status >= 200 && this.reply.status < 300;
  }
  get headers(): Headers {
    return this.#headers ??= new Headers(replyHeaders(this.reply));
  }
  text(): Promise<string> {
    return Promise.resolve(this.reply.text);
  }
  json(): Promise<unknown> {
    return this.text().then(JSON.parse);
  }
}

function toReplyResponse(r: Reply): Response {
  return new ReplyResponse(r) as unknown as Response;
}

/**
 * A fetch for database-js's `fetch` option that calls the handler directly, with no socket and
 * no Request object. It honours `init.signal`: when it aborts (the client's DB_TIMEOUT_MS), the
 * promise rejects with the signal's reason at once and the endpoint kills the statement's
 * connection, so a stalled database never holds the caller past its timeout. With `lite`, the
 * answers are the driver's subset of a Response (ReplyResponse) instead of real Responses: for
 * the driver alone, not for code that wraps this fetch.
 */
export function inProcessFetch(
  handler: PsdbHandler,
  opts: { lite?: boolean } = {},
): typeof fetch {
  const respond = opts.lite ? toReplyResponse : toResponse;
  return (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const body = init?.body;
    if (
      input instanceof Request || (body !== undefined && body !== null && typeof body !== "string")
    ) {
      return handler.fetch(new Request(input, init));
    }
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const answer = handler.call({
      path: pathOf(typeof input === "string" ? input : input.href),
      method: init?.method ?? "GET",
      authorization: authorizationOf(init?.headers),
      body: body ?? "",
      signal,
    }).then(respond);
    if (!signal) return answer;
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      answer.then(
        (r) => {
          signal.removeEventListener("abort", onAbort);
          resolve(r);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  };
}

if (import.meta.main) {
  const { main } = await import("./psdb_main.ts");
  await main(createPsdbHandler);
}
