/**
 * A test database reachable by another process: the project's PlanetScale-protocol endpoint in
 * front of the test MariaDB, served on a loopback port, recording every SQL statement it receives
 * (for tests that run main.ts or a CLI as a subprocess and count what it sent).
 */
import { createPsdbHandler } from "../db/local/psdb_server.ts";
import type { Db } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { testBackend } from "./_mariadb.ts";
import { testStack } from "./_support.ts";

/** A served, migrated database. */
export interface ServedDb {
  /** DATABASE_URL for a subprocess. */
  url: string;
  /** The same database in this process (not recorded). */
  db: Db;
  /** Every statement received over `url`, in order. */
  statements: string[];
  close(): Promise<void>;
}

/** Serves a fresh migrated database named after `suite` on 127.0.0.1. */
export async function serveTestDb(suite: string): Promise<ServedDb> {
  const name = `t_${suite.replace(/\W/g, "_").slice(0, 40)}_${crypto.randomUUID().slice(0, 8)}`;
  const db = (await testStack()).open(name);
  await migrate(db);
  const password = crypto.randomUUID();
  const handler = createPsdbHandler({ backend: testBackend(), password });
  const statements: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (req.method === "POST") {
      const body = await req.clone().json().catch(() => null) as { query?: unknown } | null;
      if (typeof body?.query === "string") statements.push(body.query);
    }
    return handler.fetch(req);
  });
  return {
    url: `http://${name}:${password}@127.0.0.1:${server.addr.port}`,
    db,
    statements,
    async close() {
      await server.shutdown();
      await handler.close();
    },
  };
}
