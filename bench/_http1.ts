/**
 * A minimal HTTP/1.1 client for the load generator (bench/_load_step.ts): a capped pool of
 * persistent keep-alive TCP connections to one server, requests written as pre-encoded bytes
 * (see {@link encodeRequest}), one request in flight per connection (no pipelining), responses
 * parsed just enough to find their end (status line, Content-Length, chunked transfer-encoding,
 * Connection: close, or a body that runs to EOF). Per request it costs one write and one read
 * on the socket and no timer: ~20 µs of CPU when the process is busy, against a few hundred µs for
 * `fetch` with an AbortSignal.timeout (Request/Response/Headers objects, body streams, a timer and
 * a combined signal per request). At open-loop rates much of what is left is the cost of the
 * process waking up (~130 µs of CPU per wake-up of a Deno event loop on the 2-vCPU bench VM).
 *
 * Timeouts: one periodic sweep fails requests older than `timeoutMs` (counted from `send`, so
 * time spent queued for a connection counts, as with fetch and AbortSignal.timeout) and closes
 * their connection; there is no timer per request. A connection the server closes (EOF, reset,
 * `Connection: close`) is dropped from the pool; the request in flight on it fails (never
 * retried). Response bodies are not decoded (no gzip): a body is "received" when its last byte
 * is.
 * @module
 */

/**
 * Called once per request: `status` is the HTTP status (0 when no complete response arrived),
 * `body` the response body when it was asked for, `error` null on a complete response (of any
 * status) or what went wrong.
 */
export type Http1Done = (status: number, body: Uint8Array | null, error: string | null) => void;

/** A response read back by {@link Http1Pool.request}. */
export interface Http1Response {
  status: number;
  body: Uint8Array;
  error: string | null;
  /** True for a complete response with a 2xx status. */
  ok: boolean;
}

/** Pool options. */
export interface Http1Options {
  hostname: string;
  port: number;
  /** Connections open at once at most; requests beyond wait in a FIFO queue (default 2,000). */
  maxConnections?: number;
  /** Requests older than this fail with "timeout" (default 30,000 ms). */
  timeoutMs?: number;
  /** How often timeouts are checked (default 1,000 ms). */
  sweepMs?: number;
}

const enc = new TextEncoder();

/**
 * The bytes of one request, with the headers `fetch` adds (accept, accept-language,
 * accept-encoding, host, content-length) unless given, so the server sees what it saw from
 * fetch. Header names are sent in lower case, as fetch sends them.
 */
export function encodeRequest(
  method: string,
  path: string,
  host: string,
  headers: HeadersInit = {},
  body?: string | Uint8Array | null,
): Uint8Array {
  const bytes = typeof body === "string" ? enc.encode(body) : body ?? null;
  let head = `${method} ${path} HTTP/1.1\r\n`;
  if (bytes !== null) head += `content-length: ${bytes.length}\r\n`;
  const entries = headers instanceof Headers || Array.isArray(headers)
    ? [...new Headers(headers)]
    : Object.entries(headers);
  const seen = new Set<string>();
  for (const [name, v] of entries) {
    const k = name.toLowerCase();
    seen.add(k);
    if (k === "content-length" || k === "host" || k === "connection") continue;
    head += `${k}: ${v}\r\n`;
  }
  if (!seen.has("accept")) head += "accept: */*\r\n";
  if (!seen.has("accept-language")) head += "accept-language: *\r\n";
  if (!seen.has("accept-encoding")) head += "accept-encoding: gzip,br\r\n";
  head += `host: ${host}\r\n\r\n`;
  const headBytes = enc.encode(head);
  if (bytes === null || bytes.length === 0) return headBytes;
  const out = new Uint8Array(headBytes.length + bytes.length);
  out.set(headBytes);
  out.set(bytes, headBytes.length);
  return out;
}

interface Pending {
  bytes: Uint8Array;
  done: Http1Done;
  collect: boolean;
  /** performance.now() at send. */
  t: number;
  finished: boolean;
}

// Parser states.
const HEAD = 0, LENGTH = 1, CHUNK_SIZE = 2, CHUNK_DATA = 3, CHUNK_CRLF = 4, TRAILER = 5, EOF = 6;
const CR = 13, LF = 10;
const INITIAL_BUFFER = 16 * 1024;
const MAX_HEAD = 64 * 1024;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

class Connection {
  conn: Deno.TcpConn | null = null;
  dead = false;
  req: Pending | null = null;
  buf = new Uint8Array(INITIAL_BUFFER);
  /** Bytes of an incomplete head in `buf`. */
  filled = 0;
  state = HEAD;
  status = 0;
  remaining = 0;
  closeAfter = false;
  chunks: Uint8Array[] | null = null;
  // Chunked parsing.
  sizeDigits = 0;
  inExtension = false;
  lineLen = 0;
  /** The read loop of a connected connection; ends when the connection is dropped. */
  loop: Promise<void> | null = null;

  constructor(private pool: Http1Pool) {}

  /** Starts a request on this (idle or connecting) connection. */
  start(req: Pending): void {
    this.req = req;
    this.state = HEAD;
    this.filled = 0;
    this.chunks = req.collect ? [] : null;
    if (this.conn) this.write(req.bytes);
  }

  async open(opts: { readonly hostname: string; readonly port: number }): Promise<void> {
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: opts.hostname, port: opts.port });
    } catch (err) {
      this.destroy(`connect: ${errText(err)}`);
      return;
    }
    if (this.dead) {
      conn.close();
      return;
    }
    this.conn = conn;
    try {
      conn.setNoDelay(true);
    } catch { /* not fatal */ }
    if (this.req) this.write(this.req.bytes);
    this.loop = this.readLoop();
  }

  private write(bytes: Uint8Array): void {
    const conn = this.conn!;
    const req = this.req;
    conn.write(bytes).then((n) => {
      if (n < bytes.length && this.req === req && !this.dead) this.write(bytes.subarray(n));
    }, (err) => {
      if (this.req === req) this.destroy(`write: ${errText(err)}`);
    });
  }

  private async readLoop(): Promise<void> {
    const conn = this.conn!;
    for (;;) {
      let n: number | null;
      const at = this.state === HEAD ? this.filled : 0;
      try {
        n = await conn.read(at === 0 ? this.buf : this.buf.subarray(at));
      } catch (err) {
        this.destroy(`read: ${errText(err)}`);
        return;
      }
      if (this.dead) return;
      if (n === null) {
        if (this.req && this.state === EOF) this.complete();
        else this.destroy("connection closed by the server");
        return;
      }
      if (!this.req) {
        this.destroy("unexpected bytes on an idle connection");
        return;
      }
      if (this.state === HEAD) {
        this.filled += n;
        this.parseHead();
      } else {
        this.parseBody(0, n);
      }
      if (this.dead) return;
    }
  }

  /** Parses a head in buf[0, filled) if complete, then the body bytes after it. */
  private parseHead(): void {
    const b = this.buf;
    for (;;) {
      let end = -1;
      for (let i = 3; i < this.filled; i++) {
        if (b[i] === LF && b[i - 1] === CR && b[i - 2] === LF && b[i - 3] === CR) {
          end = i + 1;
          break;
        }
      }
      if (end < 0) {
        if (this.filled === b.length) {
          if (b.length >= MAX_HEAD) return this.destroy("response head too large");
          const bigger = new Uint8Array(b.length * 2);
          bigger.set(b);
          this.buf = bigger;
        }
        return;
      }
      // "HTTP/1.x NNN": parsed from the bytes, no strings on this path.
      if (
        end < 16 || b[0] !== 72 || b[1] !== 84 || b[2] !== 84 || b[3] !== 80 || b[4] !== 47 ||
        b[5] !== 49 || b[6] !== 46
      ) {
        return this.destroy("not an HTTP/1 response");
      }
      const http10 = b[7] === 48;
      const status = (b[9] - 48) * 100 + (b[10] - 48) * 10 + (b[11] - 48);
      if (!(status >= 100 && status <= 999) || b[12] !== 32 && b[12] !== CR) {
        return this.destroy("bad status line");
      }
      if (status < 200 && status !== 101) {
        // Interim response (100 Continue, 103 Early Hints): skip it, the real one follows.
        b.copyWithin(0, end, this.filled);
        this.filled -= end;
        continue;
      }
      this.status = status;
      const h = scanHeaders(b, end);
      if (h.contentLength === -2) return this.destroy("bad content-length");
      this.closeAfter = h.connection !== null ? /\bclose\b/i.test(h.connection) : http10;
      if (http10 && h.connection !== null && /\bkeep-alive\b/i.test(h.connection)) {
        this.closeAfter = false;
      }
      const rest = this.filled - end;
      this.filled = 0;
      const isHead = this.req!.bytes[0] === 72 && this.req!.bytes[1] === 69; // "HE"AD
      if (isHead || status === 204 || status === 304 || status === 101) {
        this.state = LENGTH;
        this.remaining = 0;
      } else if (h.transferEncoding !== null && /\bchunked\b/i.test(h.transferEncoding)) {
        this.state = CHUNK_SIZE;
        this.sizeDigits = 0;
        this.remaining = 0;
        this.inExtension = false;
      } else {
        if (h.contentLength >= 0) {
          this.state = LENGTH;
          this.remaining = h.contentLength;
        } else {
          this.state = EOF;
          this.closeAfter = true;
        }
      }
      if (this.state === LENGTH && this.remaining === 0) {
        if (rest > 0) this.closeAfter = true; // bytes we did not ask for: the stream is off
        return this.complete();
      }
      if (rest > 0) this.parseBody(end, end + rest);
      return;
    }
  }

  /** Consumes body bytes buf[from, to). */
  private parseBody(from: number, to: number): void {
    const b = this.buf;
    let i = from;
    while (i < to) {
      switch (this.state) {
        case LENGTH: {
          i = this.take(i, to);
          if (this.remaining === 0) {
            if (i < to) this.closeAfter = true;
            return this.complete();
          }
          break;
        }
        case EOF: {
          if (this.chunks) this.chunks.push(b.slice(i, to));
          return;
        }
        case CHUNK_SIZE: {
          const c = b[i++];
          if (c === LF) {
            if (this.sizeDigits === 0) return this.destroy("bad chunk size");
            if (this.remaining === 0) {
              this.state = TRAILER;
              this.lineLen = 0;
            } else {
              this.state = CHUNK_DATA;
            }
          } else if (c === CR || this.inExtension) {
            // end of line next, or a chunk extension (ignored)
          } else if (c === 59 /* ; */ || c === 32 || c === 9) {
            this.inExtension = true;
          } else {
            const v = hexValue(c);
            if (v < 0 || this.sizeDigits >= 12) return this.destroy("bad chunk size");
            this.remaining = this.remaining * 16 + v;
            this.sizeDigits++;
          }
          break;
        }
        case CHUNK_DATA: {
          i = this.take(i, to);
          if (this.remaining === 0) {
            this.state = CHUNK_CRLF;
            this.lineLen = 0;
          }
          break;
        }
        case CHUNK_CRLF: {
          const c = b[i++];
          if (c === LF) {
            this.state = CHUNK_SIZE;
            this.sizeDigits = 0;
            this.remaining = 0;
            this.inExtension = false;
          } else if (c !== CR) {
            return this.destroy("bad chunk terminator");
          }
          break;
        }
        case TRAILER: {
          const c = b[i++];
          if (c === LF) {
            if (this.lineLen === 0) {
              if (i < to) this.closeAfter = true;
              return this.complete();
            }
            this.lineLen = 0;
          } else if (c !== CR) {
            this.lineLen++;
          }
          break;
        }
      }
    }
  }

  /** Takes up to `remaining` body bytes from buf[i, to); returns where it stopped. */
  private take(i: number, to: number): number {
    const n = Math.min(this.remaining, to - i);
    if (this.chunks) this.chunks.push(this.buf.slice(i, i + n));
    this.remaining -= n;
    return i + n;
  }

  private complete(): void {
    const req = this.req!;
    this.req = null;
    this.state = HEAD;
    this.filled = 0;
    const body = this.chunks ? concat(this.chunks) : null;
    this.chunks = null;
    if (this.closeAfter) this.destroy(null);
    else this.pool.release(this);
    finish(req, this.status, body, null);
  }

  /** Closes the connection and drops it from the pool; fails its request unless `why` is null. */
  destroy(why: string | null): void {
    if (this.dead) return;
    this.dead = true;
    const req = this.req;
    this.req = null;
    try {
      this.conn?.close();
    } catch { /* already closed */ }
    this.pool.dropped(this);
    if (req && why !== null) finish(req, 0, null, why);
  }
}

function finish(req: Pending, status: number, body: Uint8Array | null, error: string | null) {
  if (req.finished) return;
  req.finished = true;
  req.done(status, body, error);
}

/** What the response head says about framing. */
interface Framing {
  /** -1: absent, -2: invalid. */
  contentLength: number;
  transferEncoding: string | null;
  connection: string | null;
}

const CONTENT_LENGTH = bytesOf("content-length");
const TRANSFER_ENCODING = bytesOf("transfer-encoding");
const CONNECTION = bytesOf("connection");

function bytesOf(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Whether b[from, from + len) is `name` (lower-case letters and "-") in any case. */
function nameIs(b: Uint8Array, from: number, len: number, name: Uint8Array): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) {
    const c = b[from + i], n = name[i];
    if (n === 45 ? c !== 45 : (c | 0x20) !== n) return false;
  }
  return true;
}

/** Reads the three framing headers of the head b[0, end) (which ends with CRLF CRLF). */
function scanHeaders(b: Uint8Array, end: number): Framing {
  const f: Framing = { contentLength: -1, transferEncoding: null, connection: null };
  let i = 0;
  while (b[i] !== LF) i++; // status line
  i++;
  while (i < end - 2) {
    const start = i;
    let colon = -1;
    while (b[i] !== LF) {
      if (colon < 0 && b[i] === 58) colon = i;
      i++;
    }
    const lineEnd = b[i - 1] === CR ? i - 1 : i;
    i++;
    if (colon < 0) continue;
    let v = colon + 1;
    while (v < lineEnd && (b[v] === 32 || b[v] === 9)) v++;
    let ve = lineEnd;
    while (ve > v && (b[ve - 1] === 32 || b[ve - 1] === 9)) ve--;
    const nameLen = colon - start;
    const c0 = b[start] | 0x20;
    if (c0 === 99 /* c */ && nameIs(b, start, nameLen, CONTENT_LENGTH)) {
      let n = 0;
      if (ve === v || ve - v > 15) f.contentLength = -2;
      for (let k = v; k < ve && f.contentLength !== -2; k++) {
        const d = b[k] - 48;
        if (d < 0 || d > 9) f.contentLength = -2;
        else n = n * 10 + d;
      }
      if (f.contentLength !== -2) {
        if (f.contentLength >= 0 && f.contentLength !== n) f.contentLength = -2;
        else f.contentLength = n;
      }
    } else if (c0 === 116 /* t */ && nameIs(b, start, nameLen, TRANSFER_ENCODING)) {
      const val = String.fromCharCode.apply(null, b.subarray(v, ve) as unknown as number[]);
      f.transferEncoding = f.transferEncoding === null ? val : `${f.transferEncoding}, ${val}`;
    } else if (c0 === 99 && nameIs(b, start, nameLen, CONNECTION)) {
      const val = String.fromCharCode.apply(null, b.subarray(v, ve) as unknown as number[]);
      f.connection = f.connection === null ? val : `${f.connection}, ${val}`;
    }
  }
  return f;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A capped pool of keep-alive HTTP/1.1 connections to one server. */
export class Http1Pool {
  readonly hostname: string;
  readonly port: number;
  private readonly max: number;
  private readonly timeoutMs: number;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private queue: (Pending | undefined)[] = [];
  private qHead = 0;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private closed = false;
  /** Connections opened so far. */
  opened = 0;
  /** Requests failed by the sweep. */
  timeouts = 0;

  constructor(opts: Http1Options) {
    this.hostname = opts.hostname;
    this.port = opts.port;
    this.max = opts.maxConnections ?? 2000;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.sweeper = setInterval(() => this.sweep(), opts.sweepMs ?? 1000);
    Deno.unrefTimer(this.sweeper);
  }

  /** Open connections (busy, idle or connecting). */
  get connections(): number {
    return this.all.size;
  }

  /** Requests waiting for a connection. */
  get queued(): number {
    return this.queue.length - this.qHead;
  }

  /** Sends pre-encoded request bytes; `done` is called exactly once. */
  send(bytes: Uint8Array, done: Http1Done, collectBody = false): void {
    const req: Pending = {
      bytes,
      done,
      collect: collectBody,
      t: performance.now(),
      finished: false,
    };
    if (this.closed) return finish(req, 0, null, "pool closed");
    const c = this.idle.pop();
    if (c) return c.start(req);
    if (this.all.size < this.max) return this.connect(req);
    this.queue.push(req);
  }

  /** Sends and reads the response body back. */
  request(bytes: Uint8Array): Promise<Http1Response> {
    return new Promise((resolve) =>
      this.send(bytes, (status, body, error) =>
        resolve({
          status,
          body: body ?? new Uint8Array(0),
          error,
          ok: error === null && status >= 200 && status < 300,
        }), true)
    );
  }

  private connect(req: Pending): void {
    const c = new Connection(this);
    this.all.add(c);
    this.opened++;
    c.start(req);
    c.open(this);
  }

  private nextQueued(): Pending | undefined {
    while (this.qHead < this.queue.length) {
      const req = this.queue[this.qHead];
      this.queue[this.qHead++] = undefined;
      if (req && !req.finished) return req;
    }
    if (this.qHead > 0) {
      this.queue = [];
      this.qHead = 0;
    }
    return undefined;
  }

  /** A connection that finished its request and stays open. */
  release(c: Connection): void {
    const next = this.nextQueued();
    if (next) c.start(next);
    else this.idle.push(c);
  }

  /** A connection that closed. */
  dropped(c: Connection): void {
    this.all.delete(c);
    const i = this.idle.lastIndexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.closed) return;
    // A slot is free: a queued request gets a new connection.
    const next = this.nextQueued();
    if (next) this.connect(next);
  }

  private sweep(): void {
    const limit = performance.now() - this.timeoutMs;
    for (const c of this.all) {
      if (c.req && c.req.t <= limit) {
        this.timeouts++;
        c.destroy("timeout");
      }
    }
    while (this.qHead < this.queue.length) {
      const req = this.queue[this.qHead];
      if (req && !req.finished && req.t > limit) break;
      this.queue[this.qHead++] = undefined;
      if (req && !req.finished) {
        this.timeouts++;
        finish(req, 0, null, "timeout");
      }
    }
  }

  /**
   * Fails what is in flight or queued with "pool closed", closes every connection and waits for
   * their read loops to end (not for connects still in progress: a SYN lost to a full listen
   * backlog can take minutes to fail; such a connection is closed when its connect returns).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (let req = this.nextQueued(); req; req = this.nextQueued()) {
      finish(req, 0, null, "pool closed");
    }
    const loops: Promise<void>[] = [];
    for (const c of [...this.all]) {
      if (c.loop) loops.push(c.loop);
      c.destroy("pool closed");
    }
    await Promise.all(loops);
  }
}
