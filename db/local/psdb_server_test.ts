import assert from "node:assert/strict";
import { Client, DatabaseError } from "@planetscale/database";
import {
  createPsdbHandler,
  inProcessFetch,
  type PsdbHandler,
  type PsdbOptions,
} from "./psdb_server.ts";
import { startPsdbThread } from "./psdb_thread.ts";
import { testBackend } from "../../tests/_mariadb.ts";

const DB = `psdb_conf_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const PASSWORD = "conformance-secret";

function setup(extra: Partial<PsdbOptions> = {}, user = DB, password = PASSWORD, lite = false) {
  const handler = createPsdbHandler({
    backend: testBackend(),
    password: PASSWORD,
    createDatabases: true,
    ...extra,
  });
  const client = new Client({
    url: `http://${user}:${password}@psdb.invalid`,
    fetch: inProcessFetch(handler, { lite }),
  });
  return { handler, client, [Symbol.asyncDispose]: () => handler.close() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejectsWith(p: Promise<unknown>, check: (e: DatabaseError) => void): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DatabaseError, `expected DatabaseError, got ${e}`);
    check(e);
    return true;
  });
}

const TYPES_DDL = `CREATE TABLE IF NOT EXISTS all_types (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  maybe VARCHAR(10) NULL, bin BINARY(4) NOT NULL, vbin VARBINARY(16) NOT NULL, blb BLOB NOT NULL,
  doc JSON NOT NULL, amount DECIMAL(15,4) NOT NULL, at DATETIME(3) NOT NULL, ts TIMESTAMP NULL,
  day DATE NOT NULL, big BIGINT NOT NULL, ubig BIGINT UNSIGNED NOT NULL, num INT NOT NULL,
  flag TINYINT(1) NOT NULL, mode ENUM('spot','ondemand') NOT NULL, name VARCHAR(64) NOT NULL,
  body TEXT NOT NULL, ratio DOUBLE NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

async function runTypeRoundTrip(client: Client): Promise<void> {
  await client.execute(TYPES_DDL);
  const text = `it's a "quote", a back\\slash, héllo ✓ 🚀`;
  const ins = await client.execute(
    `INSERT INTO all_types (maybe, bin, vbin, blb, doc, amount, at, ts, day, big, ubig, num, flag, mode,
     name, body, ratio) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      null,
      new Uint8Array([0, 1, 2, 255]),
      new Uint8Array([0xde, 0xad, 0, 0xbe, 0xef]),
      new Uint8Array([7, 0, 9]),
      JSON.stringify({ spot: true, prices: [0.1, 2], nested: { a: "b" } }),
      "12345678901.2345",
      new Date("2024-01-02T03:04:05.678Z"),
      "2024-02-03 04:05:06",
      "2024-03-04",
      "-9223372036854775808",
      "18446744073709551615",
      -2147483648,
      1,
      "ondemand",
      "m5.xlarge",
      text,
      0.125,
    ],
  );
  assert.equal(ins.rowsAffected, 1);
  assert.equal(typeof ins.insertId, "string");
  assert.ok(Number(ins.insertId) >= 1);

  const res = await client.execute("SELECT * FROM all_types WHERE id = ?", [ins.insertId]);
  assert.deepEqual(res.types, {
    id: "UINT64",
    maybe: "VARCHAR",
    bin: "BINARY",
    vbin: "VARBINARY",
    blb: "BLOB",
    doc: "JSON",
    amount: "DECIMAL",
    at: "DATETIME",
    ts: "TIMESTAMP",
    day: "DATE",
    big: "INT64",
    ubig: "UINT64",
    num: "INT32",
    flag: "INT8",
    mode: "ENUM",
    name: "VARCHAR",
    body: "TEXT",
    ratio: "FLOAT64",
  });
  assert.deepEqual(res.rows[0], {
    id: ins.insertId,
    maybe: null,
    bin: new Uint8Array([0, 1, 2, 255]),
    vbin: new Uint8Array([0xde, 0xad, 0, 0xbe, 0xef]),
    blb: new Uint8Array([7, 0, 9]),
    doc: { spot: true, prices: [0.1, 2], nested: { a: "b" } },
    amount: "12345678901.2345",
    at: "2024-01-02 03:04:05.678",
    ts: "2024-02-03 04:05:06",
    day: "2024-03-04",
    big: "-9223372036854775808",
    ubig: "18446744073709551615",
    num: -2147483648,
    flag: 1,
    mode: "ondemand",
    name: "m5.xlarge",
    body: text,
    ratio: 0.125,
  });
  const agg = await client.execute(
    "SELECT COUNT(*) AS n, SUM(num) AS s, NULL AS nothing FROM all_types",
  );
  assert.deepEqual(agg.types, { n: "INT64", s: "DECIMAL", nothing: "NULL" });
  assert.equal((agg.rows[0] as { nothing: unknown }).nothing, null);
}

Deno.test("psdb: every column type round-trips through the driver (in-process)", async () => {
  await using s = setup();
  await runTypeRoundTrip(s.client);
});

Deno.test("psdb: the lite in-process answers give the driver the same rows, errors and 401s", async () => {
  await using s = setup({}, DB, PASSWORD, true);
  await runTypeRoundTrip(s.client);
  await checkSqlErrors(s.client);
  const wrongPass = new Client({
    url: `http://${DB}:nope@psdb.invalid`,
    fetch: inProcessFetch(s.handler, { lite: true }),
  });
  await rejectsWith(wrongPass.execute("SELECT 1"), (e) => {
    assert.equal(e.status, 401);
    assert.equal((e.body as { code: string }).code, "unauthenticated");
  });
  const res = await inProcessFetch(s.handler, { lite: true })(
    "http://psdb.invalid/psdb.v1alpha1.Database/Nope",
    { method: "POST", body: "{}" },
  );
  assert.equal(res.ok, false);
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, "not_found");
});

/** The endpoint on its Worker thread (what the local stack runs), reached by the lite fetch. */
async function setupThread(extra: Partial<PsdbOptions> = {}) {
  const handler = await startPsdbThread({
    backend: testBackend(),
    password: PASSWORD,
    createDatabases: true,
    ...extra,
  });
  const client = new Client({
    url: `http://${DB}:${PASSWORD}@psdb.invalid`,
    fetch: inProcessFetch(handler, { lite: true }),
  });
  return { handler, client, [Symbol.asyncDispose]: () => handler.close() };
}

Deno.test("psdb thread: rows, SQL errors, 401s, transactions and counts through the worker", async () => {
  await using s = await setupThread();
  const before = s.handler.stats().statements;
  await runTypeRoundTrip(s.client);
  await checkSqlErrors(s.client);
  assert.ok(
    s.handler.stats().statements > before,
    "the worker's statement count reaches the caller",
  );
  const wrongPass = new Client({
    url: `http://${DB}:nope@psdb.invalid`,
    fetch: inProcessFetch(s.handler, { lite: true }),
  });
  await rejectsWith(wrongPass.execute("SELECT 1"), (e) => assert.equal(e.status, 401));
  // A session lives in the worker between calls: the rollback undoes only its own insert.
  await s.client.execute("CREATE TABLE IF NOT EXISTS thread_tx (k INT PRIMARY KEY)");
  await s.client.execute("DELETE FROM thread_tx");
  await assert.rejects(
    s.client.transaction(async (tx) => {
      await tx.execute("INSERT INTO thread_tx VALUES (1)");
      throw new Error("undo");
    }),
    /undo/,
  );
  await s.client.transaction((tx) => tx.execute("INSERT INTO thread_tx VALUES (2)"));
  assert.deepEqual((await s.client.execute("SELECT k FROM thread_tx")).rows, [{ k: 2 }]);
  // Request objects (code that is not the driver) get the same answers as real Responses.
  const res = await s.handler.fetch(
    new Request("http://psdb.invalid/psdb.v1alpha1.Database/Nope", { method: "POST", body: "{}" }),
  );
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, "not_found");
});

Deno.test("psdb thread: a caller's abort kills its statement in the worker; closed means 503", async () => {
  await using s = await setupThread();
  const marker = `abort_${crypto.randomUUID().slice(0, 8)}`;
  const ctl = new AbortController();
  const fetchFn = inProcessFetch(s.handler, { lite: true });
  const slow = new Client({ url: `http://${DB}:${PASSWORD}@psdb.invalid`, fetch: fetchFn });
  const started = Date.now();
  const running = slow.connection().execute(`SELECT SLEEP(5) AS ${marker}`);
  setTimeout(() => ctl.abort(new Error("caller timeout")), 200);
  // The driver has no signal option: abort through a fetch that carries one.
  const aborting = new Client({
    url: `http://${DB}:${PASSWORD}@psdb.invalid`,
    fetch: (input, init) => fetchFn(input, { ...init, signal: ctl.signal }),
  });
  await assert.rejects(aborting.execute(`SELECT SLEEP(5) AS ${marker}`), /caller timeout/);
  assert.ok(Date.now() - started < 2000, "the abort answered at once");
  let left = 2;
  for (let i = 0; i < 60 && left > 1; i++) {
    const r = await s.client.execute(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%AS ${marker}'`,
    );
    left = Number((r.rows[0] as { n: string }).n);
    if (left > 1) await sleep(50);
  }
  assert.equal(left, 1, "only the statement without a signal is still running");
  await running;
  await s.handler.close();
  const after = await s.handler.call({
    path: "/psdb.v1alpha1.Database/Execute",
    method: "POST",
    authorization: null,
    body: "{}",
  });
  assert.equal(after.status, 503);
});

Deno.test("psdb: SQL errors arrive as DatabaseError with errno and Vitess code", async () => {
  await using s = setup();
  await checkSqlErrors(s.client);
});

async function checkSqlErrors(client: Client): Promise<void> {
  const s = { client };
  await s.client.execute("CREATE TABLE IF NOT EXISTS uniq (k VARCHAR(20) PRIMARY KEY)");
  await s.client.execute("DELETE FROM uniq");
  await s.client.execute("INSERT INTO uniq VALUES ('a')");
  await rejectsWith(s.client.execute("INSERT INTO uniq VALUES ('a')"), (e) => {
    assert.equal(e.status, 400);
    assert.match(e.message, /Duplicate entry 'a'.*\(errno 1062\) \(sqlstate 23000\)$/);
    assert.equal((e.body as { code: string }).code, "ALREADY_EXISTS");
  });
  await rejectsWith(s.client.execute("SELEKT 1"), (e) => {
    assert.match(e.message, /\(errno 1064\) \(sqlstate 42000\)/);
    assert.equal((e.body as { code: string }).code, "INVALID_ARGUMENT");
  });
  await rejectsWith(s.client.execute("SELECT * FROM no_such_table"), (e) => {
    assert.match(e.message, /no_such_table' doesn't exist \(errno 1146\) \(sqlstate 42S02\)/);
    assert.equal((e.body as { code: string }).code, "NOT_FOUND");
  });
  // One statement per call, like PlanetScale.
  await rejectsWith(
    s.client.execute("SELECT 1; SELECT 2"),
    (e) => assert.match(e.message, /errno 1064/),
  );
}

Deno.test("psdb: transactions commit, roll back, and do not leak between sessions", async (t) => {
  await using s = setup();
  const { client } = s;
  await client.execute(
    "CREATE TABLE IF NOT EXISTS tx_items (k VARCHAR(20) PRIMARY KEY, v INT NOT NULL)",
  );
  await client.execute("DELETE FROM tx_items");
  const count = async (k: string) => {
    const res = await client.execute("SELECT COUNT(*) AS n FROM tx_items WHERE k = ?", [k]);
    return Number((res.rows[0] as { n: string }).n);
  };

  await t.step("commit keeps both writes", async () => {
    const out = await client.transaction(async (tx) => {
      await tx.execute("INSERT INTO tx_items VALUES ('c1', 1)");
      await tx.execute("INSERT INTO tx_items VALUES ('c2', 2)");
      return (await tx.execute("SELECT @@in_transaction AS t")).rows[0];
    });
    assert.deepEqual(out, { t: "1" });
    assert.equal(await count("c1"), 1);
    assert.equal(await count("c2"), 1);
  });

  await t.step("a throw inside transaction() leaves nothing", async () => {
    await assert.rejects(
      client.transaction(async (tx) => {
        await tx.execute("INSERT INTO tx_items VALUES ('r1', 1)");
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(await count("r1"), 0);
  });

  await t.step(
    "uncommitted rows are invisible to other sessions and the pinned connection is released",
    async () => {
      const a = client.connection();
      await a.execute("BEGIN");
      await a.execute("INSERT INTO tx_items VALUES ('u1', 1)");
      assert.equal(await count("u1"), 0);
      const other = await client.execute("SELECT @@in_transaction AS t");
      assert.deepEqual(other.rows[0], { t: "0" });
      await a.execute("ROLLBACK");
      assert.equal(await count("u1"), 0);
      // After ROLLBACK the session runs in autocommit again (its connection went back to the pool).
      await a.execute("INSERT INTO tx_items VALUES ('u2', 1)");
      assert.equal(await count("u2"), 1);
    },
  );

  await t.step("session variables never leak through the pool", async () => {
    const a = client.connection();
    await a.execute("SET @leak = 42");
    for (let i = 0; i < 5; i++) {
      assert.deepEqual((await client.execute("SELECT @leak AS v")).rows[0], { v: null });
    }
  });
});

Deno.test("psdb: an idle transaction is rolled back after the timeout", async () => {
  await using s = setup({ txIdleTimeoutMs: 300 });
  const { client } = s;
  await client.execute("CREATE TABLE IF NOT EXISTS idle_items (k VARCHAR(20) PRIMARY KEY)");
  const conn = client.connection();
  await conn.execute("BEGIN");
  await conn.execute("INSERT INTO idle_items VALUES ('idle1')");
  await sleep(700);
  await rejectsWith(conn.execute("COMMIT"), (e) => {
    assert.equal((e.body as { code: string }).code, "ABORTED");
    assert.match(e.message, /has ended/);
  });
  assert.equal((await client.execute("SELECT k FROM idle_items WHERE k = 'idle1'")).size, 0);
  // The session is usable again afterwards.
  assert.equal((await conn.execute("SELECT 1 AS one")).size, 1);
  // transaction(): COMMIT fails, the driver's ROLLBACK succeeds, the caller sees the COMMIT error.
  await rejectsWith(
    client.transaction(async (tx) => {
      await tx.execute("INSERT INTO idle_items VALUES ('idle2')");
      await sleep(700);
    }),
    (e) => assert.match(e.message, /has ended/),
  );
  assert.equal((await client.execute("SELECT k FROM idle_items WHERE k = 'idle2'")).size, 0);
});

Deno.test("psdb: concurrent statements on one session are refused", async () => {
  await using s = setup();
  const conn = s.client.connection();
  await conn.execute("SELECT 1");
  const results = await Promise.allSettled([
    conn.execute("SELECT SLEEP(0.3)"),
    conn.execute("SELECT 2"),
  ]);
  const rejected = results.filter((r) => r.status === "rejected");
  assert.equal(rejected.length, 1);
  const reason = (rejected[0] as PromiseRejectedResult).reason;
  assert.ok(reason instanceof DatabaseError);
  assert.match(reason.message, /session already in use/);
});

Deno.test("psdb: 20 concurrent requests on different sessions get their own results", async () => {
  await using s = setup();
  const { client } = s;
  await client.execute(
    "CREATE TABLE IF NOT EXISTS par_items (k INT PRIMARY KEY, v VARCHAR(20) NOT NULL)",
  );
  await client.execute("DELETE FROM par_items");
  const plain = Array.from(
    { length: 20 },
    (_, i) => client.execute("SELECT ? AS n, SLEEP(0.05) AS z", [i]),
  );
  const txs = Array.from({ length: 20 }, (_, i) =>
    client.transaction(async (tx) => {
      await tx.execute("INSERT INTO par_items VALUES (?, ?)", [i, `v${i}`]);
      return (await tx.execute("SELECT v FROM par_items WHERE k = ?", [i])).rows;
    }));
  const plainRes = await Promise.all(plain);
  plainRes.forEach((r, i) => assert.equal(Number((r.rows[0] as { n: string }).n), i));
  const txRes = await Promise.all(txs);
  txRes.forEach((rows, i) => assert.deepEqual(rows, [{ v: `v${i}` }]));
  assert.equal((await client.execute("SELECT * FROM par_items")).size, 20);
});

Deno.test("psdb: authentication and database names", async () => {
  await using s = setup({ allowedDatabases: [DB, "other_db"] });
  const wrongPass = new Client({
    url: `http://${DB}:nope@psdb.invalid`,
    fetch: inProcessFetch(s.handler),
  });
  await rejectsWith(wrongPass.execute("SELECT 1"), (e) => {
    assert.equal(e.status, 401);
    assert.equal((e.body as { code: string }).code, "unauthenticated");
  });
  for (const user of ["bad-name", "x".repeat(65), "a.b", "not_allowed"]) {
    const c = new Client({
      url: `http://${user}:${PASSWORD}@psdb.invalid`,
      fetch: inProcessFetch(s.handler),
    });
    await rejectsWith(c.execute("SELECT 1"), (e) => assert.equal(e.status, 401));
  }
  const res = await s.handler.fetch(
    new Request("http://psdb.invalid/psdb.v1alpha1.Database/Execute", {
      method: "POST",
      body: JSON.stringify({ query: "SELECT 1", session: null }),
    }),
  );
  assert.equal(res.status, 401);
  assert.deepEqual(Object.keys((await res.json()).error).sort(), ["code", "message"]);
});

Deno.test("psdb: a body over the limit is refused with 413", async () => {
  await using s = setup({ maxBodyBytes: 1024 });
  await rejectsWith(
    s.client.execute(`SELECT '${"x".repeat(2000)}' AS big`),
    (e) => assert.equal(e.status, 413),
  );
  assert.equal((await s.client.execute(`SELECT '${"x".repeat(100)}' AS ok`)).size, 1);
});

Deno.test("psdb: a query over the timeout fails, is killed, and the endpoint keeps working", async () => {
  await using s = setup({ queryTimeoutMs: 300 });
  const marker = `timeout_${crypto.randomUUID().slice(0, 8)}`;
  await rejectsWith(s.client.execute(`SELECT SLEEP(5) AS ${marker}`), (e) => {
    assert.equal((e.body as { code: string }).code, "DEADLINE_EXCEEDED");
  });
  assert.deepEqual((await s.client.execute("SELECT 1 AS one")).rows, [{ one: 1 }]);
  let running = 1;
  for (let i = 0; i < 40 && running > 0; i++) {
    const r = await s.client.execute(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%AS ${marker}'`,
    );
    running = Number((r.rows[0] as { n: string }).n);
    if (running > 0) await sleep(50);
  }
  assert.equal(running, 0, "the timed-out query is still running on the server");
});

Deno.test("psdb: protocol round trip over real HTTP (Deno.serve)", async () => {
  const handler: PsdbHandler = createPsdbHandler({
    backend: testBackend(),
    password: PASSWORD,
    createDatabases: true,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => handler.fetch(req),
  );
  try {
    const { port } = server.addr;
    const client = new Client({ url: `http://${DB}:${PASSWORD}@127.0.0.1:${port}` });
    await runTypeRoundTrip(client);
    await rejectsWith(
      client.execute("SELECT * FROM missing_over_http"),
      (e) => assert.match(e.message, /errno 1146/),
    );
    const n = await client.transaction(async (tx) => {
      await tx.execute("CREATE TABLE IF NOT EXISTS http_items (k INT PRIMARY KEY)");
      await tx.execute("INSERT INTO http_items VALUES (1) ON DUPLICATE KEY UPDATE k = VALUES(k)");
      return (await tx.execute("SELECT COUNT(*) AS n FROM http_items")).rows[0];
    });
    assert.deepEqual(n, { n: "1" });
    const bad = new Client({ url: `http://${DB}:wrong@127.0.0.1:${port}` });
    await rejectsWith(bad.execute("SELECT 1"), (e) => assert.equal(e.status, 401));
    const big = await fetch(`http://127.0.0.1:${port}/psdb.v1alpha1.Database/Execute`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`${DB}:${PASSWORD}`)}` },
      body: JSON.stringify({ query: `SELECT '${"y".repeat((1 << 20) + 10)}'`, session: null }),
    });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error.code, "resource_exhausted");
    const nf = await fetch(`http://127.0.0.1:${port}/elsewhere`, { method: "POST" });
    assert.equal(nf.status, 404);
    await nf.body?.cancel();
  } finally {
    await server.shutdown();
    await handler.close();
  }
});

Deno.test("psdb thread: a worker that fails answers its calls in flight and every later one 503", async () => {
  const messages: string[] = [];
  const handler = await startPsdbThread(
    {
      backend: testBackend(),
      password: PASSWORD,
      log: (_level, msg, fields) => messages.push(`${msg} ${JSON.stringify(fields)}`),
    },
    new URL("./_failing_worker.ts", import.meta.url).href,
  );
  const call = (body: string) =>
    handler.call({
      path: "/psdb.v1alpha1.Database/Execute",
      method: "POST",
      authorization: null,
      body,
    });
  const held = call("hold");
  const breaking = call("{}");
  for (const r of await Promise.all([held, breaking])) {
    assert.equal(r.status, 503);
    assert.equal((JSON.parse(r.text) as { error: { code: string } }).error.code, "unavailable");
  }
  assert.ok(messages.some((m) => m.startsWith("psdb.worker_failed")), messages.join("\n"));
  // The driver sees a 503 (DbUnavailableError to the app), never a rejected fetch.
  const client = new Client({
    url: `http://${DB}:${PASSWORD}@psdb.invalid`,
    fetch: inProcessFetch(handler, { lite: true }),
  });
  await rejectsWith(client.execute("SELECT 1"), (e) => assert.equal(e.status, 503));
  await handler.close();
});
