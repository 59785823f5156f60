/**
 * The protocol endpoint on a thread of its own, behind the same `PsdbHandler` interface as the
 * in-thread handler: `call` posts the RPC to a Worker (psdb_worker.ts) and resolves with its
 * reply. The local stack uses it so that the endpoint's half of every statement (parsing the
 * request, mysql2, encoding the rows, the reply's JSON) runs beside the app's thread instead of
 * on it: on this 2-core box the app's one JavaScript thread is the fleet's limit (bench/RESULTS.md,
 * fleet scale). Production has the endpoint (PlanetScale or the sidecar) in another process
 * anyway; the driver, the protocol and the casting are the same.
 * @module
 */
import type { PsdbCall, PsdbHandler, PsdbLog, PsdbOptions } from "./psdb_server.ts";

/** Messages to the worker. */
export type ToThread =
  | { t: "init"; opts: Omit<PsdbOptions, "log">; log: boolean }
  | {
    t: "call";
    id: number;
    path: string;
    method: string;
    authorization: string | null;
    body: string;
    /** The caller has a signal: the worker keeps an AbortController for the call. */
    timed: boolean;
  }
  | { t: "abort"; id: number }
  | { t: "close" };

/** Messages from the worker. */
type FromThread =
  | { t: "ready" }
  | {
    t: "reply";
    id: number;
    status: number;
    text: string;
    headers?: Record<string, string>;
    n: number;
  }
  | { t: "fail"; id: number; message: string }
  | { t: "log"; level: Parameters<PsdbLog>[0]; msg: string; fields?: Record<string, unknown> }
  | { t: "closed"; n: number; message?: string };

type Reply = Awaited<ReturnType<PsdbHandler["call"]>>;

/**
 * A sender that gathers the messages of one microtask checkpoint and posts them as one array, in
 * order: a message to another thread costs ~15 µs on each side plus a wake-up, and under load
 * many statements start (and finish) in the same turn. Order matters (an abort after its call,
 * `closed` after the last reply), so every message goes through the same queue.
 */
export function batched<T>(post: (list: T[]) => void): (m: T) => void {
  let queue: T[] = [];
  const flush = () => {
    const list = queue;
    queue = [];
    post(list);
  };
  return (m: T) => {
    if (queue.push(m) === 1) queueMicrotask(flush);
  };
}

const WORKER = new URL("./psdb_worker.ts", import.meta.url).href;

/** The reply of a call the endpoint cannot take (closing, or its worker failed). */
function unavailable(message: string): Reply {
  return { status: 503, text: JSON.stringify({ error: { code: "unavailable", message } }) };
}

/**
 * Starts the endpoint's worker and resolves once its handler exists. `workerUrl` replaces the
 * worker's module (tests: a worker that fails).
 */
export function startPsdbThread(
  opts: PsdbOptions,
  workerUrl: string = WORKER,
): Promise<PsdbHandler> {
  const { log, ...plain } = opts;
  const worker = new Worker(workerUrl, { type: "module", name: "psdb-endpoint" });
  const waiting = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  let nextId = 0;
  let statements = 0;
  let closing: Promise<void> | undefined;
  /** Why calls are refused: the endpoint is closing or its worker failed. */
  let refused: string | undefined;
  let dead = false;
  let closed: (() => void) | undefined;
  let started: { resolve(h: PsdbHandler): void; reject(e: Error): void };
  const ready = new Promise<PsdbHandler>((resolve, reject) => (started = { resolve, reject }));

  /**
   * Every waiting call is answered 503 `unavailable`: the worker is gone, and the driver's
   * callers get the same retryable error as for a backend that does not answer (not a 500).
   */
  function failAll(message: string): void {
    for (const w of waiting.values()) w.resolve(unavailable(message));
    waiting.clear();
  }

  worker.onmessage = (e: MessageEvent<FromThread[]>) => {
    for (const m of e.data) receive(m);
  };
  function receive(m: FromThread): void {
    if (m.t === "reply") {
      statements = m.n;
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      w?.resolve(m.headers ? { status: m.status, text: m.text, headers: m.headers } : m);
    } else if (m.t === "fail") {
      if (m.id < 0) {
        worker.terminate();
        started.reject(new Error(`psdb worker: ${m.message}`));
        return;
      }
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      w?.reject(new Error(m.message));
    } else if (m.t === "log") {
      log?.(m.level, m.msg, m.fields);
    } else if (m.t === "ready") {
      started.resolve(handler);
    } else if (m.t === "closed") {
      if (m.n >= 0) statements = m.n;
      closed?.();
    }
  }
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    const message = `psdb worker failed: ${e.message}`;
    refused = "endpoint worker failed";
    dead = true;
    worker.terminate();
    log?.("error", "psdb.worker_failed", { error: e.message });
    failAll(message);
    started.reject(new Error(message));
    closed?.();
  };

  const post = batched<ToThread>((list) => worker.postMessage(list));

  const handler: PsdbHandler = {
    async fetch(req: Request): Promise<Response> {
      const r = await handler.call({
        path: new URL(req.url).pathname,
        method: req.method,
        authorization: req.headers.get("authorization"),
        body: req.body ? await req.text() : "",
        signal: req.signal,
      });
      return new Response(r.text, {
        status: r.status,
        headers: { "content-type": "application/json", ...r.headers },
      });
    },
    call(c: PsdbCall): Promise<Reply> {
      if (refused) return Promise.resolve(unavailable(refused));
      const id = nextId++;
      const signal = c.signal;
      return new Promise<Reply>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        post({
          t: "call",
          id,
          path: c.path,
          method: c.method,
          authorization: c.authorization,
          body: c.body,
          timed: signal !== undefined,
        });
        if (!signal) return;
        // The caller gave up (its DB_TIMEOUT_MS): the worker kills the statement's connection.
        const onAbort = () => post({ t: "abort", id });
        signal.addEventListener("abort", onAbort, { once: true });
        const done = () => signal.removeEventListener("abort", onAbort);
        const w = waiting.get(id)!;
        waiting.set(id, {
          resolve: (r) => (done(), w.resolve(r)),
          reject: (e) => (done(), w.reject(e)),
        });
      });
    },
    close(): Promise<void> {
      refused ??= "endpoint is shutting down";
      closing ??= new Promise<void>((resolve) => {
        closed = () => {
          worker.terminate();
          failAll("psdb worker closed");
          resolve();
        };
        if (dead) closed();
        else post({ t: "close" });
      });
      return closing;
    },
    stats: () => ({ statements }),
  };

  post({ t: "init", opts: plain, log: log !== undefined });
  return ready;
}
