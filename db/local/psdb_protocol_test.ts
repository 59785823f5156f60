import assert from "node:assert/strict";
import mysql from "mysql2/promise";
import { Client } from "@planetscale/database";
import { createPsdbHandler, inProcessFetch } from "./psdb_server.ts";
import { type ColumnInfo, encodeRows, vitessType } from "./psdb_encode.ts";
import { JsonColumns } from "./psdb_json.ts";
import { classify, inTransactionAfter } from "./psdb_session.ts";
import { testBackend } from "../../tests/_mariadb.ts";

const DB = `psdb_wire_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const PASSWORD = "wire-secret";
const AUTH = `Basic ${btoa(`${DB}:${PASSWORD}`)}`;

function setup() {
  const handler = createPsdbHandler({
    backend: testBackend(),
    password: PASSWORD,
    createDatabases: true,
  });
  async function rpc(name: string, body: unknown, init: RequestInit = {}) {
    const res = await handler.fetch(
      new Request(`http://psdb.invalid/psdb.v1alpha1.Database/${name}`, {
        method: "POST",
        headers: { authorization: AUTH, "content-type": "application/json" },
        body: JSON.stringify(body),
        ...init,
      }),
    );
    return { status: res.status, body: await res.json() };
  }
  return { handler, rpc, [Symbol.asyncDispose]: () => handler.close() };
}

Deno.test("psdb wire: vitessType follows the Vitess mapping", () => {
  const cases: [number, number, string | undefined][] = [
    [1, 0, "INT8"],
    [1, 32, "UINT8"],
    [2, 32, "UINT16"],
    [9, 0, "INT24"],
    [3, 32, "UINT32"],
    [8, 0, "INT64"],
    [8, 33, "UINT64"],
    [246, 0, "DECIMAL"],
    [4, 0, "FLOAT32"],
    [5, 0, "FLOAT64"],
    [16, 32, "BIT"],
    [10, 128, "DATE"],
    [12, 128, "DATETIME"],
    [7, 160, "TIMESTAMP"],
    [11, 0, "TIME"],
    [13, 96, "YEAR"],
    [254, 0, "CHAR"],
    [254, 128, "BINARY"],
    [254, 256, "ENUM"],
    [254, 2048, "SET"],
    [253, 0, "VARCHAR"],
    [253, 128, "VARBINARY"],
    [252, 16, "TEXT"],
    [252, 144, "BLOB"],
    [245, 144, "JSON"],
    [255, 128, "GEOMETRY"],
    [6, 128, undefined],
  ];
  for (const [wire, flags, want] of cases) {
    assert.equal(vitessType(wire, flags), want, `${wire}/${flags}`);
  }
});

Deno.test("psdb wire: rows encode as byte lengths and base64, -1 for NULL", () => {
  const enc = new TextEncoder();
  const rows = encodeRows([[enc.encode("é"), null, enc.encode("")], [null]]);
  assert.deepEqual(rows, [{ lengths: ["2", "-1", "0"], values: btoa("\xc3\xa9") }, {
    lengths: ["-1"],
  }]);
});

Deno.test("psdb wire: statements are classified for pinning and pool hygiene", () => {
  assert.ok(classify("  /* hi */ begin").begin);
  assert.ok(classify("START TRANSACTION READ ONLY").begin);
  assert.ok(classify("-- c\nCOMMIT").end);
  assert.ok(classify("rollback").rollback);
  assert.ok(!classify("ROLLBACK TO SAVEPOINT a").end);
  assert.ok(classify("SET @@boost_cached_queries = true").noop);
  assert.ok(classify("USE @replica").noop);
  assert.ok(classify("SET @x = 1").taints);
  assert.ok(classify("SELECT GET_LOCK('a', 1)").taints);
  assert.ok(!classify("SELECT 1").taints);
  assert.ok(classify("ALTER TABLE t ADD c INT").ddl);
  // OK-packet status wins: IN_TRANS (1) or autocommit (2) off means pinned.
  assert.equal(inTransactionAfter(classify("INSERT INTO t VALUES (1)"), 3, false), true);
  assert.equal(inTransactionAfter(classify("SET autocommit = 0"), 16384, false), true);
  assert.equal(inTransactionAfter(classify("COMMIT"), 2, true), false);
  assert.equal(inTransactionAfter(classify("SELECT 1"), undefined, true), true);
  assert.equal(inTransactionAfter(classify("BEGIN"), undefined, false), true);
});

Deno.test("psdb wire: reply shapes follow protojson (strings for int64, zeros omitted)", async () => {
  await using s = setup();
  const created = await s.rpc("CreateSession", {});
  assert.equal(created.status, 200);
  const session = created.body.session;
  assert.match(session.vitessSession.sessionUUID, /^[0-9a-f-]{36}$/);

  const ddl = await s.rpc("Execute", {
    query:
      "CREATE TABLE IF NOT EXISTS shape (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(5) NULL)",
    session,
  });
  assert.deepEqual(ddl.body.result, {});
  assert.equal(ddl.body.session.vitessSession.sessionUUID, session.vitessSession.sessionUUID);
  assert.equal(typeof ddl.body.timing, "number");

  const ins = await s.rpc("Execute", {
    query: "INSERT INTO shape (v) VALUES ('ab'), (NULL)",
    session: null,
  });
  assert.equal(ins.body.result.rowsAffected, "2");
  assert.equal(typeof ins.body.result.insertId, "string");
  const none = await s.rpc("Execute", {
    query: "UPDATE shape SET v = 'x' WHERE id < 0",
    session: null,
  });
  assert.deepEqual(none.body.result, {});

  const sel = await s.rpc("Execute", {
    query: "SELECT v, NULL AS n FROM shape ORDER BY id LIMIT 2",
    session: null,
  });
  const [fv, fn] = sel.body.result.fields;
  assert.equal(fv.type, "VARCHAR");
  assert.equal(fv.orgTable, "shape");
  assert.equal(fv.database, DB);
  assert.notEqual(fv.charset, 63);
  assert.equal(fn.type, undefined);
  assert.deepEqual(sel.body.result.rows, [{ lengths: ["2", "-1"], values: btoa("ab") }, {
    lengths: ["-1", "-1"],
  }]);
  const empty = await s.rpc("Execute", {
    query: "SELECT v FROM shape WHERE id < 0",
    session: null,
  });
  assert.equal(empty.body.result.rows, undefined);
  assert.equal(empty.body.result.fields.length, 1);

  const err = await s.rpc("Execute", { query: "SELECT nope FROM shape", session });
  assert.equal(err.status, 200);
  assert.equal(err.body.error.code, "NOT_FOUND");
  assert.match(err.body.error.message, /\(errno 1054\) \(sqlstate 42S22\)$/);
  assert.equal(err.body.session.vitessSession.sessionUUID, session.vitessSession.sessionUUID);

  const begun = await s.rpc("Execute", { query: "BEGIN", session });
  assert.equal(begun.body.session.vitessSession.inTransaction, true);
  const closed = await s.rpc("CloseSession", { session: begun.body.session });
  assert.deepEqual(closed.body, {});

  for (const q of ["SET @@boost_cached_queries = true", "USE @replica"]) {
    assert.deepEqual((await s.rpc("Execute", { query: q, session: null })).body.result, {});
  }
  assert.equal((await s.rpc("Execute", { nope: 1 })).status, 400);
  assert.equal((await s.rpc("Execute", {}, { body: "{not json" })).status, 400);
  const get = await s.handler.fetch(
    new Request("http://psdb.invalid/psdb.v1alpha1.Database/Execute"),
  );
  assert.equal(get.status, 405);
  await get.body?.cancel();
  const other = await s.handler.fetch(new Request("http://psdb.invalid/", { method: "POST" }));
  assert.equal(other.status, 404);
  await other.body?.cancel();
  assert.equal(s.handler.stats().statements, 9); // one per Execute call, no-ops and errors included
});

Deno.test("psdb wire: JSON columns are found through CHECK constraints and refreshed after DDL", async () => {
  await using s = setup();
  const client = new Client({
    url: `http://${DB}:${PASSWORD}@psdb.invalid`,
    fetch: inProcessFetch(s.handler),
  });
  await client.execute("CREATE TABLE IF NOT EXISTS docs (id INT PRIMARY KEY, doc TEXT, note TEXT)");
  await client.execute(
    `INSERT INTO docs VALUES (1, '{"a":1}', 'n') ON DUPLICATE KEY UPDATE id = id`,
  );
  assert.deepEqual((await client.execute("SELECT doc FROM docs")).rows, [{ doc: '{"a":1}' }]);
  await client.execute("ALTER TABLE docs MODIFY doc JSON");
  assert.deepEqual((await client.execute("SELECT doc, note FROM docs")).rows, [{
    doc: { a: 1 },
    note: "n",
  }]);

  // The CHECK_CONSTRAINTS path alone (as without MariaDB's extended metadata).
  const conn = await mysql.createConnection({ ...testBackend(), database: DB });
  try {
    const cache = new JsonColumns();
    const col = (orgName: string): ColumnInfo => ({
      name: orgName,
      columnType: 252,
      flags: 144,
      decimals: 0,
      schema: DB,
      table: "d",
      orgTable: "docs",
      orgName,
    });
    await cache.ensure(conn, [col("doc"), col("note")]);
    assert.equal(cache.isJson(col("doc")), true);
    assert.equal(cache.isJson(col("note")), false);
    await conn.query("ALTER TABLE docs ADD COLUMN extra JSON NULL");
    assert.equal(cache.isJson(col("extra")), false);
    cache.invalidate(DB);
    await cache.ensure(conn, [col("extra")]);
    assert.equal(cache.isJson(col("extra")), true);
  } finally {
    await conn.end();
  }
});

Deno.test("psdb wire: computed JSON follows MariaDB's metadata (JSON_EXTRACT json, JSON_UNQUOTE text)", async () => {
  await using s = setup();
  const client = new Client({
    url: `http://${DB}:${PASSWORD}@psdb.invalid`,
    fetch: inProcessFetch(s.handler),
  });
  const r = await client.execute(
    `SELECT JSON_EXTRACT('{"a":{"b":1}}', '$.a') AS ex, JSON_UNQUOTE(JSON_EXTRACT('{"a":"x"}', '$.a')) AS uq,
      JSON_OBJECT('k', 1) AS obj, JSON_EXTRACT('{"a":1}', '$.missing') AS miss`,
  );
  // As on MySQL/PlanetScale, JSON-returning functions arrive as JSON; JSON_UNQUOTE is text.
  assert.equal(r.types.ex, "JSON");
  assert.equal(r.types.obj, "JSON");
  assert.deepEqual(r.rows, [{ ex: { b: 1 }, uq: "x", obj: { k: 1 }, miss: null }]);
});
