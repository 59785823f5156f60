/** Work started after a response (e.g. the decision engine after a pricing report). */
import type { Logger } from "../core/log.ts";
import type { Background } from "./types.ts";

/** Creates the background runner: failures are logged, never thrown at the request. */
export function createBackground(log: Logger): Background {
  const running = new Set<Promise<unknown>>();
  return {
    run(name, task) {
      const p = (async () => {
        try {
          await task();
        } catch (err) {
          log.error("background task failed", { task: name, error: err });
        }
      })();
      running.add(p);
      p.finally(() => running.delete(p));
    },
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
