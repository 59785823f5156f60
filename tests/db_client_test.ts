import assert from "node:assert/strict";
import { testDb } from "./_support.ts";

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
