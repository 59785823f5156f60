import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { createLogger } from "../core/log.ts";
import type { Db } from "../db/client.ts";
import { isAgentOnline, markStaleAgentsOffline, onlineAgentPredicate } from "../db/stale_agents.ts";
import { runClaimed } from "../jobs/_runner.ts";
import type { JobDeps } from "../jobs/_runner.ts";
import { staleAgentsJob } from "../jobs/stale_agents.ts";
import { testClock, testDb } from "./_support.ts";
import type { TestClock } from "./_support.ts";

const NOW = new Date("2026-11-27T12:00:00.000Z");
const ago = (s: number): Date => new Date(NOW.getTime() - s * 1000);
const TIMEOUT = 300;

// Agents at various heartbeat ages and statuses; `stale` = must be marked offline by the check.
const AGENTS: { id: string; status: string; hb: Date | null; deleted?: boolean; stale: boolean }[] =
  [
    { id: "a-fresh", status: "online", hb: ago(60), stale: false },
    { id: "a-edge", status: "online", hb: ago(TIMEOUT), stale: false }, // exactly the timeout
    { id: "a-silent", status: "online", hb: ago(TIMEOUT + 1), stale: true },
    { id: "a-disabled-silent", status: "disabled", hb: ago(3600), stale: true }, // B-24
    { id: "a-disabled-fresh", status: "disabled", hb: ago(10), stale: false },
    { id: "a-never", status: "online", hb: null, stale: true }, // created long ago, never beat
    { id: "a-offline", status: "offline", hb: ago(86_400), stale: false },
    { id: "a-deleted", status: "deleted", hb: ago(86_400), stale: false },
    { id: "a-soft-deleted", status: "online", hb: ago(86_400), deleted: true, stale: false },
  ];
const STALE = AGENTS.filter((a) => a.stale).map((a) => a.id).sort();

async function fixture(db: Db): Promise<void> {
  await db.execute("INSERT INTO clients (id, name, email) VALUES ('c1', 'One', 'one@x.test')");
  for (const a of AGENTS) {
    await db.execute(
      "INSERT INTO agents (id, client_id, logical_agent_id, hostname, instance_id, status, last_heartbeat_at, deleted_at, created_at) VALUES (?, 'c1', ?, ?, ?, ?, ?, ?, ?)",
      [
        a.id,
        `l-${a.id}`,
        `host-${a.id}`,
        `i-${a.id}`,
        a.status,
        a.hb,
        a.deleted ? ago(60) : null,
        ago(
          7 * 86_400,
        ),
      ],
    );
    // The current instance's open segment, started two hours ago.
    await db.execute(
      "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, pool_id, instance_type, region, started_at) VALUES ('c1', ?, ?, 'spot', 'p', 't3.small', 'us-east-1', ?)",
      [a.id, `i-${a.id}`, ago(7200)],
    );
  }
  // An old instance of a-silent, superseded and still open: not the current instance, left alone.
  await db.execute(
    "INSERT INTO instance_segments (client_id, agent_id, instance_id, mode, pool_id, instance_type, region, started_at, superseded_at) VALUES ('c1', 'a-silent', 'i-old', 'spot', 'p', 't3.small', 'us-east-1', ?, ?)",
    [ago(9000), ago(7200)],
  );
}

function jobDeps(db: Db, clock: TestClock, instanceName = "test-a"): JobDeps {
  return {
    db,
    config: parseConfig({ AGENT_HEARTBEAT_TIMEOUT: String(TIMEOUT) }),
    clock,
    log: createLogger({ level: "error", sink: () => {} }),
    instanceName,
  };
}

async function statuses(db: Db): Promise<Record<string, string>> {
  const r = await db.execute<{ id: string; status: string }>("SELECT id, status FROM agents");
  return Object.fromEntries(r.rows.map((x) => [x.id, x.status]));
}

async function eventAgents(db: Db): Promise<string[]> {
  const r = await db.execute<{ agent_id: string; severity: string }>(
    "SELECT agent_id, severity FROM system_events WHERE event_type = 'agent_offline' ORDER BY agent_id",
  );
  assert.ok(r.rows.every((x) => x.severity === "warning"));
  return r.rows.map((x) => x.agent_id);
}

async function notifiedAgents(db: Db): Promise<string[]> {
  const r = await db.execute<{ agent_id: string; client_id: string; severity: string }>(
    "SELECT agent_id, client_id, severity FROM notifications WHERE notification_type = 'agent_offline' ORDER BY agent_id",
  );
  assert.ok(r.rows.every((x) => x.severity === "warning" && x.client_id === "c1"));
  return r.rows.map((x) => x.agent_id);
}

Deno.test("stale agents: exactly the silent ones go offline, one event and notification each", async () => {
  const db = await testDb("stale_agents");
  await fixture(db);
  const clock = testClock(NOW);
  const deps = jobDeps(db, clock);

  const first = await runClaimed(deps, staleAgentsJob);
  assert.equal(first.status, "ok");
  assert.equal(first.status === "ok" && first.result.rowsTouched, STALE.length);
  const st = await statuses(db);
  for (const a of AGENTS) {
    assert.equal(st[a.id], a.stale ? "offline" : a.status, `status of ${a.id}`);
  }
  assert.deepEqual(await eventAgents(db), STALE);
  assert.deepEqual(await notifiedAgents(db), STALE);

  // Segments: the current instance's open segment of each stale agent ends at its last heartbeat.
  const segs = await db.execute<
    { instance_id: string; ended_at: string | null; end_reason: string | null }
  >(
    "SELECT instance_id, ended_at, end_reason FROM instance_segments ORDER BY instance_id",
  );
  const byInstance = Object.fromEntries(segs.rows.map((s) => [s.instance_id, s]));
  assert.equal(byInstance["i-a-silent"]!.ended_at, ago(TIMEOUT + 1).toISOString());
  assert.equal(byInstance["i-a-silent"]!.end_reason, "offline");
  assert.equal(byInstance["i-a-disabled-silent"]!.ended_at, ago(3600).toISOString());
  // Never heartbeated: closed where it started (no observed running time).
  assert.equal(byInstance["i-a-never"]!.ended_at, ago(7200).toISOString());
  assert.equal(byInstance["i-old"]!.ended_at, null);
  for (const a of AGENTS.filter((x) => !x.stale)) {
    assert.equal(byInstance[`i-${a.id}`]!.ended_at, null, `segment of ${a.id} stays open`);
  }

  // A second run: nothing new for agents that stay offline (the same slot is not even re-run).
  assert.equal((await runClaimed(deps, staleAgentsJob)).status, "skipped");
  assert.deepEqual(await markStaleAgentsOffline(db, { now: NOW, timeoutSeconds: TIMEOUT }), []);
  assert.deepEqual(await eventAgents(db), STALE);
  assert.deepEqual(await notifiedAgents(db), STALE);

  // A heartbeat brings a-silent back; when it falls silent again that is a new transition.
  await db.execute(
    "UPDATE agents SET status = 'online', last_heartbeat_at = ? WHERE id = 'a-silent'",
    [
      clock(),
    ],
  );
  clock.advance(3600_000);
  const again = await markStaleAgentsOffline(db, { now: clock(), timeoutSeconds: TIMEOUT });
  assert.deepEqual(again.map((t) => t.agentId).sort(), [
    "a-disabled-fresh",
    "a-edge",
    "a-fresh",
    "a-silent",
  ]);
  assert.equal((await eventAgents(db)).filter((id) => id === "a-silent").length, 2);
});

Deno.test("stale agents: concurrent runs and small batches notify each agent once", async () => {
  const db = await testDb("stale_agents_race");
  await fixture(db);
  // Two runs at once (e.g. the cron on two servers without a claim, or the CLI beside the cron),
  // each in batches of one: the row locks let only one of them transition each agent.
  const [a, b] = await Promise.all([
    markStaleAgentsOffline(db, { now: NOW, timeoutSeconds: TIMEOUT, batchSize: 1 }),
    markStaleAgentsOffline(db, { now: NOW, timeoutSeconds: TIMEOUT, batchSize: 1 }),
  ]);
  assert.deepEqual([...a, ...b].map((t) => t.agentId).sort(), STALE);
  assert.deepEqual(await eventAgents(db), STALE);
  assert.deepEqual(await notifiedAgents(db), STALE);
});

Deno.test("stale agents: online is derived at read time from the heartbeat age", async () => {
  const db = await testDb("stale_agents_online");
  await fixture(db);
  // Before any job ran, a-silent still says `online` but is not counted as online.
  const p = onlineAgentPredicate("a", { now: NOW, timeoutSeconds: TIMEOUT });
  const r = await db.execute<{ id: string }>(
    `SELECT a.id FROM agents a WHERE ${p.sql} AND a.deleted_at IS NULL ORDER BY a.id`,
    p.args,
  );
  assert.deepEqual(r.rows.map((x) => x.id), ["a-edge", "a-fresh"]);
  const opts = { now: NOW, timeoutSeconds: TIMEOUT };
  assert.equal(isAgentOnline({ status: "online", lastHeartbeatAt: ago(TIMEOUT) }, opts), true);
  assert.equal(isAgentOnline({ status: "online", lastHeartbeatAt: ago(TIMEOUT + 1) }, opts), false);
  assert.equal(isAgentOnline({ status: "disabled", lastHeartbeatAt: ago(1) }, opts), false);
  assert.equal(isAgentOnline({ status: "online", lastHeartbeatAt: null }, opts), false);
  assert.equal(
    isAgentOnline({ status: "online", lastHeartbeatAt: ago(10).toISOString() }, opts),
    true,
  );
  assert.throws(() => onlineAgentPredicate("a; DROP TABLE agents", opts));
});
