/**
 * The protocol endpoint on its own thread: the entry module of the Worker that
 * `startPsdbThread` (psdb_thread.ts) starts. It owns the handler (pools, sessions, mysql2) and
 * answers the calls the app's thread posts, so the endpoint's work (JSON of the protocol both
 * ways, row encoding, mysql2) no longer shares the app's one JavaScript thread.
 * @module
 */
import { createPsdbHandler, type PsdbHandler } from "./psdb_server.ts";
import { batched, type ToThread } from "./psdb_thread.ts";

// Deno types `self` as a window; in a worker it is the DedicatedWorkerGlobalScope.
const scope = self as unknown as {
  postMessage(m: unknown): void;
  onmessage: ((e: MessageEvent<ToThread[]>) => void) | null;
};

let handler: PsdbHandler | undefined;
const running = new Map<number, AbortController>();

// Replies of one turn of the event loop travel as one message (see `batched`).
const send = batched((list) => scope.postMessage(list));

scope.onmessage = (e) => {
  for (const m of e.data) receive(m);
};

function receive(m: ToThread): void {
  if (m.t === "call") {
    if (!handler) return;
    const ctl = m.timed ? new AbortController() : undefined;
    if (ctl) running.set(m.id, ctl);
    handler.call({
      path: m.path,
      method: m.method,
      authorization: m.authorization,
      body: m.body,
      signal: ctl?.signal,
    }).then(
      (r) => {
        if (ctl) running.delete(m.id);
        send({ t: "reply", id: m.id, ...r, n: handler!.stats().statements });
      },
      (err) => {
        if (ctl) running.delete(m.id);
        send({ t: "fail", id: m.id, message: String(err) });
      },
    );
  } else if (m.t === "abort") {
    running.get(m.id)?.abort(new DOMException("the caller gave up", "AbortError"));
  } else if (m.t === "init") {
    try {
      handler = createPsdbHandler({
        ...m.opts,
        log: m.log ? (level, msg, fields) => send({ t: "log", level, msg, fields }) : undefined,
      });
      send({ t: "ready" });
    } catch (err) {
      send({ t: "fail", id: -1, message: String(err) });
    }
  } else if (m.t === "close") {
    (handler?.close() ?? Promise.resolve()).then(
      () => send({ t: "closed", n: handler?.stats().statements ?? 0 }),
      (err) => send({ t: "closed", n: -1, message: String(err) }),
    );
  }
}
