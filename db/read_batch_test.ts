/**
 * ReadBatcher's scheduling (db/read_batch.ts) with a read function the test controls: the reads
 * against the real database are tested in tests/read_batch_db_test.ts.
 */
import assert from "node:assert/strict";
import { DbUnavailableError, type Queryable } from "./client.ts";
import { agentScope, type OwnedRow, placeholders, ReadBatcher } from "./read_batch.ts";

/** The handle the batcher passes to the read function; these read functions never use it. */
const UNUSED: Queryable = {
  execute: () => Promise.reject(new Error("the test's read function answers, not a database")),
};

interface Call {
  ids: string[];
  clients: string[];
  answer: (rows: OwnedRow<string>[]) => void;
  fail: (err: unknown) => void;
}

/** A batcher whose statements wait until the test answers them. */
function controlled() {
  const calls: Call[] = [];
  const b = new ReadBatcher<string>(
    UNUSED,
    (_db, ids, clients) =>
      new Promise((answer, fail) => calls.push({ ids, clients, answer, fail })),
  );
  return { b, calls };
}

/** The rows a table of (id -> client) holds, as the database would answer `ids`. */
function rowsOf(table: Record<string, string>, ids: string[]): OwnedRow<string>[] {
  return ids.filter((id) => table[id]).map((id) => ({ id, clientId: table[id], row: `row:${id}` }));
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("read batch: an idle batcher sends a read at once and alone", async () => {
  const { b, calls } = controlled();
  const p = b.load("c1", "a1");
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].ids, ["a1"]);
  assert.deepEqual(calls[0].clients, ["c1"]);
  calls[0].answer(rowsOf({ a1: "c1" }, calls[0].ids));
  assert.equal(await p, "row:a1");
});

Deno.test("read batch: reads that arrive while one is in flight share the next statement", async () => {
  const { b, calls } = controlled();
  const table = { a1: "c1", a2: "c1", a3: "c2", a4: "c2" };
  const first = b.load("c1", "a1");
  const rest = [b.load("c1", "a2"), b.load("c2", "a3"), b.load("c2", "a4"), b.load("c1", "a2")];
  assert.equal(calls.length, 1, "the later reads wait for the one in flight");
  calls[0].answer(rowsOf(table, calls[0].ids));
  assert.equal(await first, "row:a1");
  await tick();
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1].ids, ["a2", "a3", "a4"], "one id once, oldest first");
  assert.deepEqual(calls[1].clients.sort(), ["c1", "c2"]);
  calls[1].answer(rowsOf(table, calls[1].ids));
  assert.deepEqual(await Promise.all(rest), ["row:a2", "row:a3", "row:a4", "row:a2"]);
  assert.equal(b.statements, 2);
  assert.equal(b.reads, 5);
});

Deno.test("read batch: a row goes only to a waiter of its own client", async () => {
  const { b, calls } = controlled();
  const table = { a1: "c1", b1: "c2" };
  const blocker = b.load("c1", "a1");
  // c2 asks for c1's agent in the same batch as c1 itself, and c1 for c2's.
  const own = b.load("c1", "a1");
  const foreign = b.load("c2", "a1");
  const foreign2 = b.load("c1", "b1");
  const own2 = b.load("c2", "b1");
  const missing = b.load("c1", "nope");
  calls[0].answer(rowsOf(table, calls[0].ids));
  await blocker;
  await tick();
  calls[1].answer(rowsOf(table, calls[1].ids));
  assert.equal(await own, "row:a1");
  assert.equal(await foreign, null);
  assert.equal(await foreign2, null);
  assert.equal(await own2, "row:b1");
  assert.equal(await missing, null);
});

Deno.test("read batch: no statement holds more than maxBatch ids", async () => {
  const calls: string[][] = [];
  const b = new ReadBatcher<string>(UNUSED, (_db, ids) => {
    calls.push(ids);
    return Promise.resolve([]);
  }, { maxBatch: 3 });
  await Promise.all(Array.from({ length: 8 }, (_, i) => b.load("c", `a${i}`)));
  assert.deepEqual(calls.map((ids) => ids.length), [1, 3, 3, 1]);
});

Deno.test("read batch: an unavailable database fails the reads in flight and the queued ones at once", async () => {
  const { b, calls } = controlled();
  const inFlight = b.load("c1", "a1");
  const queued = [b.load("c1", "a2"), b.load("c2", "a3")];
  const err = new DbUnavailableError("no answer within 100 ms");
  calls[0].fail(err);
  await assert.rejects(inFlight, (e) => e === err);
  for (const q of queued) await assert.rejects(q, (e) => e === err);
  assert.equal(calls.length, 1, "the queued reads were not sent behind the stall");
  // The next read goes out again.
  const later = b.load("c1", "a1");
  assert.equal(calls.length, 2);
  calls[1].answer(rowsOf({ a1: "c1" }, calls[1].ids));
  assert.equal(await later, "row:a1");
});

Deno.test("read batch: any other error fails only its own statement's reads", async () => {
  const { b, calls } = controlled();
  const inFlight = b.load("c1", "a1");
  const queued = b.load("c1", "a2");
  calls[0].fail(new Error("ER_BAD_FIELD_ERROR"));
  await assert.rejects(inFlight, /ER_BAD_FIELD_ERROR/);
  await tick();
  assert.equal(calls.length, 2);
  calls[1].answer(rowsOf({ a2: "c1" }, calls[1].ids));
  assert.equal(await queued, "row:a2");
});

Deno.test("read batch: a read function that throws at once fails its reads, not the caller", async () => {
  const b = new ReadBatcher<string>(UNUSED, () => {
    throw new Error("sync");
  });
  await assert.rejects(b.load("c", "a"), /sync/);
  await assert.rejects(b.load("c", "b"), /sync/);
});

Deno.test("read batch: a read that queued answers 503 within the deadline of its own ask", async () => {
  const calls: Call[] = [];
  const b = new ReadBatcher<string>(
    UNUSED,
    (_db, ids, clients) =>
      new Promise((answer, fail) => calls.push({ ids, clients, answer, fail })),
    { deadlineMs: 200 },
  );
  const first = b.load("c1", "a1");
  const asked = performance.now();
  const queued = b.load("c1", "a2");
  // The first statement answers late (150 ms); the second, carrying the queued read, never does.
  await new Promise((r) => setTimeout(r, 150));
  calls[0].answer([]);
  assert.equal(await first, null);
  await tick();
  assert.equal(calls.length, 2);
  let hang: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    queued.then(() => "answered", (e) => e),
    new Promise((r) => hang = setTimeout(() => r("still waiting after 600 ms"), 600)),
  ]);
  clearTimeout(hang);
  assert.ok(outcome instanceof DbUnavailableError, String(outcome));
  const waited = performance.now() - asked;
  assert.ok(waited >= 190 && waited < 300, `answered after ${waited.toFixed(0)} ms, deadline 200`);
  // A read sent at once gets no timer of its own: the statement's deadline covers it.
  calls[1].answer([]);
  const alone = b.load("c1", "a3");
  await tick();
  calls[2].answer([{ id: "a3", clientId: "c1", row: "row:a3" }]);
  assert.equal(await alone, "row:a3");
});

Deno.test("read batch: placeholders and the agent scope", () => {
  assert.equal(placeholders(1), "?");
  assert.equal(placeholders(3), "?, ?, ?");
  assert.deepEqual(agentScope(["a1", "a2"], ["c1"]), {
    where: "a.id IN (?, ?) AND a.client_id IN (?)",
    args: ["a1", "a2", "c1"],
  });
});
