/**
 * Boot storm (issue 12 item 1): a fleet of one client registers at once, the way a launch
 * template or SSM rollout starts it. The agent v4.0.0 exits when its registration fails, so every
 * one of them must get 200, with exactly one agent row and one instance row each.
 */
import assert from "node:assert/strict";
import { AgentSim } from "./agent_sim.ts";
import { testContext, testDb } from "./_support.ts";
import type { TestContext } from "./_support.ts";

/** Runs `jobs` with at most `width` in flight; returns their results in order. */
async function inFlight<T>(width: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  let peak = 0;
  let running = 0;
  async function lane() {
    while (next < jobs.length) {
      const i = next++;
      running++;
      peak = Math.max(peak, running);
      try {
        out[i] = await jobs[i]();
      } finally {
        running--;
      }
    }
  }
  await Promise.all(Array.from({ length: width }, lane));
  assert.ok(peak >= Math.min(width, jobs.length), `peak in flight ${peak}`);
  return out;
}

function fleet(t: TestContext, token: string, prefix: string, n: number): AgentSim[] {
  return Array.from({ length: n }, (_, i) =>
    AgentSim.forApp(t.app, {
      token,
      instanceId: `i-${prefix}${i.toString(16).padStart(13, "0")}`,
      instanceType: i % 3 === 0 ? "m5.large" : "c5.xlarge",
      az: i % 2 === 0 ? "us-east-1a" : "us-east-1b",
      mode: i % 4 === 0 ? "ondemand" : "spot",
    }));
}

async function assertOneRowEach(t: TestContext, clientId: string, sims: AgentSim[]) {
  const agents = await t.db.execute<{ logical_agent_id: string; n: number }>(
    "SELECT logical_agent_id, COUNT(*) AS n FROM agents WHERE client_id = ? GROUP BY logical_agent_id",
    [clientId],
  );
  assert.equal(agents.rows.length, sims.length, "one agent per logical id");
  assert.ok(agents.rows.every((r) => Number(r.n) === 1));
  const inst = await t.db.execute<{ id: string; agent_id: string; n: number }>(
    "SELECT id, MIN(agent_id) AS agent_id, COUNT(*) AS n FROM instances WHERE client_id = ? GROUP BY id",
    [clientId],
  );
  assert.equal(inst.rows.length, sims.length, "one instance row per instance id");
  assert.ok(inst.rows.every((r) => Number(r.n) === 1));
  const byInstance = new Map(inst.rows.map((r) => [r.id, r.agent_id]));
  for (const s of sims) {
    assert.equal(byInstance.get(s.opts.instanceId), s.agentId, s.opts.instanceId);
  }
  const segs = await t.db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM instance_segments WHERE client_id = ? AND ended_at IS NULL",
    [clientId],
  );
  assert.equal(Number(segs.rows[0].n), sims.length, "one open segment per instance");
}

Deno.test("200 agents of one client registering at once (64 in flight) all get 200", async () => {
  const t = await testContext("reg_storm_one");
  const c = await t.createClient();
  const sims = fleet(t, c.token, "a", 200);
  const res = await inFlight(64, sims.map((s) => () => s.register()));
  const statuses = res.map((r) => r.status);
  assert.deepEqual(
    statuses.filter((s) => s !== 200),
    [],
    `non-200 answers: ${JSON.stringify(statuses.filter((s) => s !== 200).slice(0, 5))}`,
  );
  assert.ok(res.every((r) => r.body?.config.enabled === true));
  assert.equal(new Set(sims.map((s) => s.agentId)).size, 200);
  await assertOneRowEach(t, c.id, sims);
  // The same fleet restarting at once (re-registrations) also all get 200, no new rows.
  const again = await inFlight(64, sims.map((s) => () => s.register()));
  assert.deepEqual(again.filter((r) => r.status !== 200).map((r) => r.status), []);
  await assertOneRowEach(t, c.id, sims);
});

Deno.test("two clients' fleets registering at once, and one agent registering twice at once", async () => {
  const db = await testDb("reg_storm_two");
  const t = await testContext("reg_storm_two", { db });
  const a = await t.createClient();
  const b = await t.createClient();
  const simsA = fleet(t, a.token, "b", 100);
  const simsB = fleet(t, b.token, "c", 100);
  // Every agent of A also sends its registration twice at once (a retried request).
  const jobs = [
    ...simsA.map((s) => () => s.register()),
    ...simsB.map((s) => () => s.register()),
    ...simsA.map((s) => () => s.successor({ instanceId: s.opts.instanceId }).register()),
  ];
  const res = await inFlight(96, jobs);
  assert.deepEqual(res.filter((r) => r.status !== 200).map((r) => r.status), []);
  const twins = res.slice(200).map((r) => r.body?.agent_id);
  assert.deepEqual(twins, simsA.map((s) => s.agentId), "the twin got the same agent");
  await assertOneRowEach(t, a.id, simsA);
  await assertOneRowEach(t, b.id, simsB);
});
