/**
 * The private MariaDB that `deno task test` (tests/run.ts) starts for the test workers.
 * @module
 */
import type { PsdbBackend } from "../db/local/psdb_server.ts";

/** The backend of the test MariaDB, from TEST_MYSQL_SOCKET/TEST_MYSQL_USER set by tests/run.ts. */
export function testBackend(): PsdbBackend {
  const socketPath = Deno.env.get("TEST_MYSQL_SOCKET");
  const user = Deno.env.get("TEST_MYSQL_USER");
  if (!socketPath || !user) {
    throw new Error(
      "TEST_MYSQL_SOCKET/TEST_MYSQL_USER are not set: run the tests with `deno task test` " +
        "(optionally `deno task test path/to/file_test.ts`), which starts a private MariaDB for them",
    );
  }
  return { socketPath, user };
}
