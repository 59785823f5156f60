import assert from "node:assert/strict";
import { Client, DatabaseError } from "@planetscale/database";
import { createPsdbHandler, inProcessFetch, type PsdbOptions } from "./psdb_server.ts";
import { testBackend } from "../../tests/_mariadb.ts";
import { createDb, DbUnavailableError } from "../client.ts";

const DB = `psdb_lim_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const PASSWORD = "limits-secret";

function setup(extra: Partial<PsdbOptions> = {}, user = DB) {
  const handler = createPsdbHandler({
    backend: testBackend(),
    password: PASSWORD,
    createDatabases: true,
    ...extra,
  });
  const client = new Client({
    url: `http://${user}:${PASSWORD}@psdb.invalid`,
    fetch: inProcessFetch(handler),
  });
  return { handler, client, [Symbol.asyncDispose]: () => handler.close() };
}

async function dbError(p: Promise<unknown>): Promise<DatabaseError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DatabaseError, `expected DatabaseError, got ${e}`);
    return e;
  }
  assert.fail("expected a rejection");
}

Deno.test("psdb limits: an unknown database is 401 when databases are not created", async () => {
  await using s = setup(
    { createDatabases: false },
    `psdb_missing_${crypto.randomUUID().slice(0, 8)}`,
  );
  const e = await dbError(s.client.execute("SELECT 1"));
  assert.equal(e.status, 401);
  assert.match(e.message, /unknown database/);
});

Deno.test("psdb limits: an unreachable backend is a 503 UNAVAILABLE", async () => {
  await using s = setup({
    backend: { socketPath: "/nonexistent/mysqld.sock", user: "root" },
    createDatabases: false,
  });
  const e = await dbError(s.client.execute("SELECT 1"));
  assert.equal(e.status, 503);
  assert.equal((e.body as { code: string }).code, "UNAVAILABLE");
});

Deno.test("psdb limits: a full connection queue is a 503 RESOURCE_EXHAUSTED", async () => {
  await using s = setup({ poolLimit: 1, queueLimit: 1 });
  await s.client.execute("SELECT 1"); // creates the database and the pool
  const results = await Promise.allSettled(
    [0, 1, 2].map(() => s.client.execute("SELECT SLEEP(0.2)")),
  );
  const rejected = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  assert.equal(rejected.length, 1);
  assert.equal(rejected[0].reason.status, 503);
  assert.equal(rejected[0].reason.body.code, "RESOURCE_EXHAUSTED");
});

Deno.test("psdb limits: waiters that gave up leave the queue; the living still get a place", async () => {
  await using s = setup({ poolLimit: 1, queueLimit: 2 });
  await s.client.execute("SELECT 1");
  const fetchFn = inProcessFetch(s.handler);
  const impatient = createDb({
    url: `http://${DB}:${PASSWORD}@psdb.invalid`,
    fetch: fetchFn,
    timeoutMs: 50,
  });
  const busy = s.client.execute("SELECT SLEEP(0.6)"); // holds the one connection
  await new Promise((r) => setTimeout(r, 50));
  // Two waiters fill the queue, then give up after 50 ms.
  const gaveUp = await Promise.allSettled([0, 1].map(() => impatient.execute("SELECT 1")));
  assert.ok(gaveUp.every((r) => r.status === "rejected" && r.reason instanceof DbUnavailableError));
  // With dead waiters still counted, these two would be refused as RESOURCE_EXHAUSTED.
  const patient = await Promise.all([0, 1].map(() => s.client.execute("SELECT 2 AS two")));
  assert.deepEqual(patient.map((r) => r.rows), [[{ two: 2 }], [{ two: 2 }]]);
  await busy;
});

Deno.test("psdb limits: result sets over maxRows are refused like PlanetScale's OLTP limit", async () => {
  await using s = setup({ maxRows: 2 });
  const e = await dbError(s.client.execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"));
  assert.match(e.message, /Row count exceeded 2/);
  assert.equal((await s.client.execute("SELECT 1 UNION ALL SELECT 2")).size, 2);
});

Deno.test("psdb limits: `deno task db` serves from env and exits cleanly on SIGTERM", async () => {
  const backend = testBackend();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./psdb_server.ts", import.meta.url).pathname],
    env: {
      PSDB_LISTEN: "127.0.0.1:0",
      PSDB_PASSWORD: PASSWORD,
      PSDB_BACKEND_URL: `mysql://${backend.user}@localhost?socket=${
        encodeURIComponent(backend.socketPath!)
      }`,
      PSDB_CREATE_DATABASES: "true",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let exited = false;
  try {
    let port = 0;
    while (!port) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += value;
      const line = buf.split("\n").find((l) => l.includes('"psdb.listening"'));
      if (line) port = JSON.parse(line).port;
    }
    assert.ok(port > 0, `no listening line in: ${buf}`);
    const client = new Client({ url: `http://${DB}:${PASSWORD}@127.0.0.1:${port}` });
    assert.deepEqual((await client.execute("SELECT 41 + 1 AS v")).rows, [{ v: 42 }]);
    child.kill("SIGTERM");
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += value;
    }
    const status = await child.status;
    exited = true;
    assert.equal(status.code, 0);
  } finally {
    if (!exited) {
      child.kill("SIGKILL");
      await reader.cancel();
      await child.status;
    }
    await child.stderr.cancel();
  }
  const lines = buf.trim().split("\n");
  for (const l of lines) {
    assert.doesNotMatch(l, new RegExp(PASSWORD), "a log line leaks the password");
  }
  const msgs = lines.map((l) => JSON.parse(l).msg);
  assert.ok(msgs.includes("psdb.shutting_down") && msgs.includes("psdb.closed"), msgs.join(","));
});
