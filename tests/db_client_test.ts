import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { testDb, testStack } from "./_support.ts";

Deno.test("db: a transaction that loses a deadlock is run again and both commit", async () => {
  const db = await testDb("db_deadlock");
  await db.execute(
    "INSERT INTO clients (id, name, email) VALUES ('c1', 'One', 'one@x.test'), ('c2', 'Two', 'two@x.test')",
  );
  let attempts = 0;
  let release!: () => void;
  const bothLocked = new Promise<void>((r) => (release = r));
  let locked = 0;
  const lockInOrder = (first: string, second: string, plan: number) =>
    db.transaction(async (tx) => {
      attempts++;
      await tx.execute("UPDATE clients SET plan = ? WHERE id = ?", [`p${plan}`, first]);
      if (++locked === 2) release();
      await bothLocked; // both transactions hold their first row: the second locks cross
      await tx.execute("UPDATE clients SET max_agents = ? WHERE id = ?", [plan, second]);
    });
  await Promise.all([lockInOrder("c1", "c2", 1), lockInOrder("c2", "c1", 2)]);
  assert.equal(attempts, 3, "one of the two ran again after InnoDB chose it as the victim");
  const r = await db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM clients WHERE max_agents IS NOT NULL",
  );
  assert.equal(r.rows[0]!.n, 2);
});

Deno.test("db: other errors in a transaction roll back and are not retried", async () => {
  const db = await testDb("db_tx_error");
  let attempts = 0;
  await assert.rejects(
    db.transaction(async (tx) => {
      attempts++;
      await tx.execute("INSERT INTO clients (id, name, email) VALUES ('c1', 'One', 'one@x.test')");
      await tx.execute("INSERT INTO clients (id, name, email) VALUES ('c2', 'One', 'two@x.test')");
    }),
    /Duplicate entry/,
  );
  assert.equal(attempts, 1);
  const r = await db.execute<{ n: number }>("SELECT COUNT(*) AS n FROM clients");
  assert.equal(r.rows[0]!.n, 0);
});

Deno.test("db: every autocommit statement starts a new session, also on reused driver connections", async () => {
  const s = await testStack();
  const name = `t_db_sessions_${crypto.randomUUID().slice(0, 8)}`;
  const sent: { query: string; session: unknown }[] = [];
  const db = s.open(name, (inner) => (input, init) => {
    sent.push(JSON.parse(String(init?.body ?? "{}")));
    return inner(input, init);
  });
  await migrate(db);
  sent.length = 0;
  for (let i = 0; i < 3; i++) await db.execute("SELECT ? AS i", [i]);
  // Concurrent statements (more than were idle), twice: none shares a session with another.
  for (let round = 0; round < 2; round++) {
    const rows = await Promise.all(
      Array.from({ length: 40 }, (_, i) => db.execute<{ i: number }>("SELECT ? AS i", [i])),
    );
    assert.deepEqual(rows.map((r) => Number(r.rows[0].i)), Array.from({ length: 40 }, (_, i) => i));
  }
  assert.equal(sent.length, 83);
  assert.ok(sent.every((b) => b.session === null), "no autocommit statement sends a session");
  // A transaction still keeps its session from BEGIN to COMMIT.
  sent.length = 0;
  await db.transaction(async (tx) => {
    await tx.execute("SELECT 1");
  });
  assert.deepEqual(sent.map((b) => b.query), ["BEGIN", "SELECT 1", "COMMIT"]);
  assert.equal(sent[0].session, null);
  assert.ok(sent[1].session !== null && sent[2].session !== null);
  await db.execute("SELECT 2");
  assert.equal(sent[3].session, null, "the statement after a transaction starts afresh");
});
