/**
 * The batched hot reads (db/read_batch.ts) against the real database: two tenants' fleets poll
 * config and pending-commands at once, together with polls of the other tenant's agents. Every
 * answer is the asker's own (a foreign agent is 404 even when its row came back in the same
 * statement), queued commands reach exactly their agents, and the polls share statements.
 */
import assert from "node:assert/strict";
import { queueSwitchCommand } from "../db/commands.ts";
import { AgentSim } from "./agent_sim.ts";
import { testContext } from "./_support.ts";
import type { TestContext } from "./_support.ts";

function fleet(t: TestContext, token: string, prefix: string, n: number): AgentSim[] {
  return Array.from({ length: n }, (_, i) =>
    AgentSim.forApp(t.app, {
      token,
      instanceId: `i-${prefix}${i.toString(16).padStart(13, "0")}`,
      instanceType: "m5.large",
      az: "us-east-1a",
      mode: "spot",
    }));
}

async function answer(res: Response) {
  return { status: res.status, body: await res.json() };
}

Deno.test("two tenants' fleets polling config and pending-commands at once share statements, each answer its own", async () => {
  // The poll memo off, so every poll reads the database.
  const t = await testContext("read_batch_db", { env: { COMMAND_POLL_CACHE_SECONDS: "0" } });
  const a = await t.createClient();
  const b = await t.createClient();
  const fa = fleet(t, a.token, "d", 40);
  const fb = fleet(t, b.token, "e", 40);
  for (const s of [...fa, ...fb]) assert.equal((await s.register()).status, 200);
  // A's first agent is disabled by its client; B's first five have a command waiting.
  await t.db.execute("UPDATE agents SET enabled = 0 WHERE id = ?", [fa[0].agentId]);
  const commanded = new Map<string, string>();
  for (const s of fb.slice(0, 5)) {
    const cmd = await queueSwitchCommand(t.db, {
      clientId: b.id,
      agentId: s.agentId!,
      targetMode: "ondemand",
      targetPoolId: null,
      priority: 75,
      createdBy: "manual",
      triggerType: "manual",
      now: t.clock(),
      pendingTtlSeconds: 3600,
    });
    commanded.set(s.agentId!, cmd.id);
  }

  const before = t.db.roundTrips();
  const get = (path: string, token: string) => t.request("GET", path, { token }).then(answer);
  const own = [...fa, ...fb];
  const ownConfig = own.map((s) => get(`/api/agents/${s.agentId}/config`, s.opts.token));
  const ownPolls = own.map((s) => get(`/api/agents/${s.agentId}/pending-commands`, s.opts.token));
  // Each tenant asks for the other's agents in the same moment.
  const foreign = [
    ...fa.map((s) => get(`/api/agents/${s.agentId}/config`, b.token)),
    ...fb.map((s) => get(`/api/agents/${s.agentId}/config`, a.token)),
    ...fb.map((s) => get(`/api/agents/${s.agentId}/pending-commands`, a.token)),
  ];
  const [configs, polls, foreignAnswers] = await Promise.all([
    Promise.all(ownConfig),
    Promise.all(ownPolls),
    Promise.all(foreign),
  ]);
  const statements = t.db.roundTrips() - before;

  configs.forEach((c, i) => {
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.enabled, i !== 0, `agent ${i} enabled`);
  });
  for (const f of foreignAnswers) {
    assert.equal(f.status, 404);
    assert.equal(f.body.code, "agent_not_found");
  }
  polls.forEach((p, i) => {
    assert.equal(p.status, 200);
    const id = own[i].agentId!;
    assert.deepEqual(
      p.body.map((c: { id: string }) => c.id),
      commanded.has(id) ? [commanded.get(id)] : [],
    );
  });
  // 280 reads; one statement each before batching. Delivering the five commands takes five more.
  const reads = ownConfig.length + ownPolls.length + foreign.length;
  assert.ok(statements <= reads / 2, `${statements} statements for ${reads} reads`);

  const rows = await t.db.execute<{ agent_id: string; status: string }>(
    "SELECT agent_id, status FROM commands WHERE client_id = ?",
    [b.id],
  );
  assert.equal(rows.rows.length, 5);
  for (const r of rows.rows) assert.equal(r.status, "delivered", r.agent_id);
});
