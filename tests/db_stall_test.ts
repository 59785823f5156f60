/**
 * A stalled database answers 503 + Retry-After within DB_TIMEOUT_MS + 1 s (never 500, never a
 * hang), a COMMIT that was not answered is reported as unknown, and the service recovers as soon
 * as the database answers again. The stalls are real: a row lock held by another transaction, a
 * backend that accepts connections and never answers, a COMMIT held back on the transport.
 */
import assert from "node:assert/strict";
import { CommitUnknownError, createDb, DbUnavailableError } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { findAgentConfig } from "../db/agents.ts";
import { pollCommand } from "../db/command_delivery.ts";
import { createPsdbHandler, inProcessFetch } from "../db/local/psdb_server.ts";
import { startLocalStack } from "../db/local/stack.ts";
import { testBackend } from "./_mariadb.ts";
import { testContext } from "./_support.ts";
import { AgentSim } from "./agent_sim.ts";

const TIMEOUT_MS = 600;

/** A database on its own endpoint whose client and endpoint deadlines are TIMEOUT_MS. */
async function shortTimeoutDb(suite: string) {
  const stack = await startLocalStack({ backend: testBackend(), timeoutMs: TIMEOUT_MS });
  const db = stack.open(`t_${suite}_${crypto.randomUUID().slice(0, 8)}`);
  await migrate(db);
  return { stack, db };
}

Deno.test("stall: a heartbeat blocked by a held row lock gets 503 + Retry-After in time, then recovers", async () => {
  const { stack, db } = await shortTimeoutDb("stall_lock");
  try {
    const t = await testContext("stall_lock", { db, env: { DB_TIMEOUT_MS: String(TIMEOUT_MS) } });
    const a = await t.createClient();
    const b = await t.createClient();
    const sim = (token: string, n: number) =>
      AgentSim.webAgent(t.app, { token, n, tag: "stall", now: t.clock });
    const agent = sim(a.token, 1);
    const other = sim(b.token, 2);
    assert.equal((await agent.register()).status, 200);
    assert.equal((await other.register()).status, 200);
    assert.equal((await agent.heartbeat()).status, 200);

    // Another session holds the agent's row: the heartbeat's UPDATE waits on the lock.
    let unlock!: () => void;
    const held = new Promise<void>((r) => (unlock = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = db.transaction(async (tx) => {
      await tx.execute("SELECT id FROM agents WHERE id = ? FOR UPDATE", [agent.agentId]);
      locked();
      await held;
    });
    await isLocked;

    const started = performance.now();
    const res = await t.request("POST", `/api/agents/${agent.agentId}/heartbeat`, {
      token: a.token,
      body: {
        status: "online",
        monitored_instances: [agent.opts.instanceId],
        instance_id: agent.opts.instanceId,
        instance_type: "t3.medium",
        mode: "ondemand",
        az: "us-east-1a",
      },
    });
    const ms = performance.now() - started;
    assert.equal(res.status, 503);
    assert.ok(res.headers.get("Retry-After"), "503 carries Retry-After");
    assert.equal((await res.json()).code, "unavailable");
    assert.ok(ms < TIMEOUT_MS + 1000, `answered in ${Math.round(ms)} ms`);
    assert.ok(ms >= TIMEOUT_MS - 50, `waited for the timeout (${Math.round(ms)} ms)`);
    // The other tenant's agent is not blocked by the lock on this one's row.
    assert.equal((await other.heartbeat()).status, 200);

    unlock();
    await holder;
    const back = performance.now();
    assert.equal((await agent.heartbeat()).status, 200);
    assert.ok(performance.now() - back < 2000, "recovered within 2 s");
    // The abandoned statement is gone from the server (its connection was killed).
    const r = await db.execute<{ n: number }>(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE agents SET last_heartbeat_at%'",
    );
    assert.equal(r.rows[0]!.n, 0);
  } finally {
    await stack.stop();
  }
});

Deno.test("stall: a backend that accepts connections and never answers is a DbUnavailableError in time", async () => {
  // A TCP listener that never sends MySQL's handshake: connections hang like a frozen server's.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) held.push(c);
  })().catch(() => {});
  const handler = createPsdbHandler({
    backend: { host: "127.0.0.1", port: listener.addr.port, user: "root" },
    password: "stall",
    queryTimeoutMs: 30_000, // the endpoint alone would wait much longer than the client
  });
  const db = createDb({
    url: "http://stall:stall@local.psdb",
    fetch: inProcessFetch(handler),
    timeoutMs: TIMEOUT_MS,
  });
  try {
    for (
      const work of [
        () => db.execute("SELECT 1"),
        () => db.transaction((tx) => tx.execute("SELECT 1")),
      ]
    ) {
      const started = performance.now();
      await assert.rejects(work(), (e) => e instanceof DbUnavailableError);
      const ms = performance.now() - started;
      assert.ok(ms < TIMEOUT_MS + 1000, `rejected in ${Math.round(ms)} ms`);
    }
    // Two clients' fleets polling at once: the config and pending-commands reads queue behind the
    // statement in flight (db/read_batch.ts), and every one of them is a DbUnavailableError in
    // time, the queued ones included.
    const polls = [];
    const before = db.roundTrips();
    const started = performance.now();
    for (let i = 0; i < 40; i++) {
      const opts = { clientId: i % 2 ? "client-a" : "client-b", agentId: `agent-${i}` };
      polls.push(findAgentConfig(db, opts), pollCommand(db, opts));
    }
    const outcomes = await Promise.allSettled(polls);
    const ms = performance.now() - started;
    assert.deepEqual(
      outcomes.filter((o) => !(o.status === "rejected" && o.reason instanceof DbUnavailableError)),
      [],
    );
    assert.ok(ms < TIMEOUT_MS + 1000, `all 80 rejected in ${Math.round(ms)} ms`);
    assert.equal(db.roundTrips() - before, 2, "one statement per kind went out; the rest queued");
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting;
    await handler.close();
  }
});

Deno.test("stall: a COMMIT that is not answered is reported as unknown, never as success", async () => {
  const { stack, db: plain } = await shortTimeoutDb("stall_commit");
  try {
    await plain.execute("CREATE TABLE marks (k INT PRIMARY KEY)");
    const name = (await plain.execute<{ d: string }>("SELECT DATABASE() AS d")).rows[0]!.d;
    // The same database and endpoint, but the transport never delivers COMMIT's answer.
    const db = stack.open(name, (inner) => (input, init) => {
      if (typeof init?.body === "string" && init.body.includes('"query":"COMMIT"')) {
        const signal = init.signal;
        return new Promise<Response>((_, reject) => {
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
      }
      return inner(input, init);
    });
    const started = performance.now();
    await assert.rejects(
      db.transaction((tx) => tx.execute("INSERT INTO marks VALUES (1)")),
      (e) => e instanceof CommitUnknownError && e.code === "commit_outcome_unknown",
    );
    assert.ok(performance.now() - started < TIMEOUT_MS + 1000);
    // Not run again (a retry could apply it twice) and not reported as done.
    const r = await plain.execute<{ n: number }>("SELECT COUNT(*) AS n FROM marks");
    assert.ok(r.rows[0]!.n <= 1);
  } finally {
    await stack.stop();
  }
});
