/**
 * The local stack used by `deno task dev`, the tests and the operator CLIs when DATABASE_URL is
 * unset: a private MariaDB (never the system instance) and the PlanetScale-protocol endpoint
 * reached in-process by the real driver (same driver, protocol and casting as production).
 */
import { startMariaDb } from "./mariadb.ts";
import type { MariaDbServer } from "./mariadb.ts";
import { createPsdbHandler, inProcessFetch } from "./psdb_server.ts";
import type { PsdbBackend, PsdbHandler } from "./psdb_server.ts";
import { createDb } from "../client.ts";
import type { Db } from "../client.ts";

/** A running local stack. */
export interface LocalStack {
  /** Opens a `Db` on one database (created on first use). */
  open(database: string): Db;
  handler: PsdbHandler;
  mariadb: MariaDbServer | null;
  stop(): Promise<void>;
}

/** Starts MariaDB in `dataDir` (or reuses `backend`) and the in-process endpoint in front of it. */
export async function startLocalStack(
  opts: {
    dataDir?: string;
    backend?: PsdbBackend;
    log?: (msg: string) => void;
    timeoutMs?: number;
  },
): Promise<LocalStack> {
  let mariadb: MariaDbServer | null = null;
  let backend = opts.backend;
  if (!backend) {
    if (!opts.dataDir) throw new Error("startLocalStack needs dataDir or backend");
    mariadb = await startMariaDb({ dataDir: opts.dataDir, log: opts.log });
    backend = { socketPath: mariadb.socketPath, user: mariadb.user };
  }
  const password = crypto.randomUUID();
  const handler = createPsdbHandler({ backend, password, createDatabases: true, poolLimit: 40 });
  const fetchFn = inProcessFetch(handler);
  return {
    open(database) {
      return createDb({
        url: `http://${database}:${password}@local.psdb`,
        fetch: fetchFn,
        timeoutMs: opts.timeoutMs,
      });
    },
    handler,
    mariadb,
    async stop() {
      await handler.close();
      if (mariadb) await mariadb.stop();
    },
  };
}
