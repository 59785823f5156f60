/**
 * Every list route of the dashboards takes `limit`/`offset` with a default and a maximum: on tables
 * holding more rows than the maximum, each answers exactly the maximum, refuses more (400), and
 * pages with offset. Nothing returns an unbounded table.
 */
import assert from "node:assert/strict";
import type { Queryable } from "../db/client.ts";
import { testContext } from "./_support.ts";
import { call } from "./_schema_check.ts";
import { LIMITS } from "../routes/_pagination.ts";

/** Multi-row INSERT in chunks. */
async function bulk(
  db: Queryable,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const tuple = `(${columns.map(() => "?").join(", ")})`;
    await db.execute(
      `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${chunk.map(() => tuple).join(", ")}`,
      chunk.flat(),
    );
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Length of the list in a body: a bare array, or the first array property of a wrapper. */
function listLength(body: unknown, key?: string): number {
  if (Array.isArray(body)) return body.length;
  const o = body as Record<string, unknown>;
  const v = key ? o[key] : Object.values(o).find(Array.isArray);
  assert.ok(Array.isArray(v), `no list in ${JSON.stringify(body).slice(0, 200)}`);
  return v.length;
}

Deno.test("pagination: every list route honours its maximum on tables larger than it", async () => {
  const t = await testContext("pagination");
  const client = await t.createClient("pg-main");
  const now = t.clock();
  const fleetMax = LIMITS.fleet.maxLimit;
  const n = fleetMax + 1;
  const agentIds = range(n).map(() => crypto.randomUUID());
  await bulk(
    t.db,
    "agents",
    ["id", "client_id", "logical_agent_id", "instance_id", "status", "last_heartbeat_at"],
    agentIds.map((id, i) => [id, client.id, `pg-agent-${i}`, `i-pg${i}`, "online", now]),
  );
  await bulk(
    t.db,
    "instances",
    ["id", "client_id", "agent_id", "instance_type", "region", "az"],
    agentIds.map((id, i) => [`i-pg${i}`, client.id, id, "t3.medium", "us-east-1", "us-east-1a"]),
  );
  await bulk(
    t.db,
    "replica_instances",
    ["id", "agent_id", "client_id", "instance_id", "status"],
    agentIds.map((id, i) => [crypto.randomUUID(), id, client.id, `i-rep${i}`, "ready"]),
  );
  const exportMax = LIMITS.export.maxLimit;
  await bulk(
    t.db,
    "switches",
    ["id", "client_id", "agent_id", "old_instance_id", "new_instance_id", "initiated_at"],
    range(exportMax + 1).map((i) => [
      crypto.randomUUID(),
      client.id,
      agentIds[0],
      "i-pg0",
      `i-new${i}`,
      new Date(now.getTime() - i * 1000),
    ]),
  );
  await bulk(
    t.db,
    "notifications",
    ["id", "client_id", "message"],
    range(LIMITS.notifications.maxLimit + 1).map((i) => [crypto.randomUUID(), client.id, `n${i}`]),
  );
  await bulk(
    t.db,
    "system_events",
    ["event_type", "severity", "client_id", "message"],
    range(LIMITS.admin.maxLimit + 1).map((i) => ["agent_status", "info", client.id, `e${i}`]),
  );
  await bulk(
    t.db,
    "clients",
    ["id", "name", "email"],
    range(exportMax + 1).map((i) => [crypto.randomUUID(), `pg-client-${i}`, `pg${i}@example.test`]),
  );
  await bulk(
    t.db,
    "spot_pools",
    ["id", "instance_type", "region", "az"],
    range(501).map((i) => [`t${i}.large.r${i}-a`, `t${i}.large`, `r${i}`, `r${i}-a`]),
  );

  const c = client.id;
  const cases: { path: string; max: number; dflt: number; token: string; key?: string }[] = [
    { path: `/api/client/${c}/agents`, ...lim(LIMITS.fleet), token: client.token },
    { path: `/api/client/${c}/agents`, ...lim(LIMITS.fleet), token: t.adminToken },
    { path: `/api/client/${c}/agents/decisions`, ...lim(LIMITS.fleet), token: t.adminToken },
    { path: `/api/client/${c}/agents/history`, ...lim(LIMITS.fleet), token: client.token },
    { path: `/api/client/${c}/instances`, ...lim(LIMITS.fleet), token: client.token },
    { path: `/api/client/${c}/replicas`, ...lim(LIMITS.fleet), token: t.adminToken },
    { path: `/api/client/${c}/switch-history`, ...lim(LIMITS.history), token: t.adminToken },
    { path: `/api/client/${c}/switches`, ...lim(LIMITS.history), token: client.token },
    { path: "/api/client/instances/i-pg0/logs", ...lim(LIMITS.history), token: t.adminToken },
    { path: "/api/notifications", ...lim(LIMITS.notifications), token: client.token },
    { path: "/api/admin/instances", ...lim(LIMITS.admin), token: t.adminToken, key: "instances" },
    { path: "/api/admin/agents", ...lim(LIMITS.admin), token: t.adminToken, key: "agents" },
    { path: "/api/admin/activity", max: 500, dflt: 50, token: t.adminToken },
    {
      path: "/api/admin/agents/health-summary",
      ...lim(LIMITS.admin),
      token: t.adminToken,
      key: "agents",
    },
  ];
  for (const k of cases) {
    const sep = k.path.includes("?") ? "&" : "?";
    const dflt = await call(t, "GET", k.path, { token: k.token });
    assert.equal(dflt.status, 200, k.path);
    assert.equal(listLength(dflt.body, k.key), k.dflt, `${k.path} default`);
    const max = await call(t, "GET", `${k.path}${sep}limit=${k.max}`, { token: k.token });
    assert.equal(listLength(max.body, k.key), k.max, `${k.path} limit=max`);
    const over = await call(t, "GET", `${k.path}${sep}limit=${k.max + 1}`, { token: k.token });
    assert.equal(over.status, 400, `${k.path} limit=max+1`);
    const last = await call(t, "GET", `${k.path}${sep}limit=${k.max}&offset=${k.max}`, {
      token: k.token,
    });
    assert.ok(listLength(last.body, k.key) >= 1, `${k.path} offset pages on`);
  }

  // Exports: at most `limit` rows per file (header + rows).
  const csv = await call<string>(t, "GET", `/api/client/${c}/export/switch-history`, {
    token: client.token,
  });
  assert.equal(csv.body.trimEnd().split("\r\n").length, exportMax + 1);
  assert.equal(
    (await call(t, "GET", `/api/client/${c}/export/switch-history?limit=${exportMax + 1}`, {
      token: client.token,
    })).status,
    400,
  );
  const global = await call<string>(t, "GET", "/api/admin/export/global-stats", {
    token: t.adminToken,
  });
  assert.equal(global.body.trimEnd().split("\r\n").length, exportMax + 1);

  // Search: at most `limit` hits per category.
  const s = await call(t, "GET", "/api/admin/search?q=pg-&limit=100", { token: t.adminToken });
  assert.equal(s.body.clients.length, 100);
  assert.equal(s.body.agents.length, 100);
  assert.equal(
    (await call(t, "GET", "/api/admin/search?q=pg-&limit=101", { token: t.adminToken })).status,
    400,
  );
  // Pool statistics: every list bounded by `limit` (at most 500).
  const p = await call(t, "GET", "/api/admin/pools/statistics?limit=500", { token: t.adminToken });
  assert.equal(p.body.byRegion.length, 500);
  assert.equal(p.body.byInstanceType.length, 500);
  assert.equal(p.body.overall.totalPools, 501);
});

function lim(l: { defaultLimit: number; maxLimit: number }): { max: number; dflt: number } {
  return { max: l.maxLimit, dflt: l.defaultLimit };
}
