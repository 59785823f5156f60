/**
 * The local stack used by `deno task dev`, the tests and the operator CLIs when DATABASE_URL is
 * unset: a private MariaDB (never the system instance) and the PlanetScale-protocol endpoint
 * reached in-process by the real driver (same driver, protocol and casting as production).
 */
import { startMariaDb } from "./mariadb.ts";
import type { MariaDbServer } from "./mariadb.ts";
import { createPsdbHandler, inProcessFetch } from "./psdb_server.ts";
import type { PsdbBackend, PsdbHandler, PsdbOptions } from "./psdb_server.ts";
import { startPsdbThread } from "./psdb_thread.ts";
import { createDb } from "../client.ts";
import type { Db } from "../client.ts";

/** A running local stack. */
export interface LocalStack {
  /**
   * Opens a `Db` on one database (created on first use). `wrapFetch` (tests) wraps the
   * in-process transport, e.g. to hold back a statement as a frozen network would.
   */
  open(database: string, wrapFetch?: (inner: typeof fetch) => typeof fetch): Db;
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
    /** Backend connections of each database (default 120, see below). */
    poolLimit?: number;
    /**
     * Run the endpoint on a Worker thread (default true) or on the caller's thread. The driver
     * reaches it in-process either way; see psdb_thread.ts for why it has a thread of its own.
     */
    endpointThread?: boolean;
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
  // The endpoint's deadline (connection wait + statement) is the client's timeout: a request
  // queued behind a burst waits up to DB_TIMEOUT_MS, and a stalled statement is killed then.
  const endpoint: PsdbOptions = {
    backend,
    password,
    createDatabases: true,
    // A statement holds its connection until the app's thread has read the answer, so under load
    // the hold time is mostly event-loop delay (~25 ms at 20,000 agents): 40 connections capped
    // the endpoint near 1,500 statements/s and queued the rest for seconds; 120 did not
    // (bench/RESULTS.md, fleet scale). MariaDB's own limit here is 500 (mariadb.ts).
    poolLimit: opts.poolLimit ?? 120,
    queryTimeoutMs: opts.timeoutMs ?? 8000,
  };
  let handler: PsdbHandler;
  try {
    handler = opts.endpointThread === false
      ? createPsdbHandler(endpoint)
      : await startPsdbThread(endpoint);
  } catch (err) {
    await mariadb?.stop();
    throw err;
  }
  const fetchFn = inProcessFetch(handler);
  const liteFetch = inProcessFetch(handler, { lite: true });
  return {
    open(database, wrapFetch) {
      return createDb({
        url: `http://${database}:${password}@local.psdb`,
        fetch: wrapFetch ? wrapFetch(fetchFn) : liteFetch,
        inProcess: !wrapFetch,
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
