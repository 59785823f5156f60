/**
 * Test fixture for psdb_thread.ts: a worker that starts like the endpoint's, leaves calls with the
 * body "hold" unanswered and throws (an uncaught error: the worker fails) on any other call.
 * @module
 */
import type { ToThread } from "./psdb_thread.ts";

const scope = self as unknown as {
  postMessage(m: unknown): void;
  onmessage: ((e: MessageEvent<ToThread[]>) => void) | null;
};

scope.onmessage = (e) => {
  for (const m of e.data) {
    if (m.t === "init") scope.postMessage([{ t: "ready" }]);
    else if (m.t === "call" && m.body !== "hold") throw new Error("the endpoint's worker broke");
  }
};
