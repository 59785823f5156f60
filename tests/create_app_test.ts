/**
 * createApp(createServices(...)) is the production app: with nothing wired by hand, the decision
 * engine evaluates the agent after its pricing report (two tenants at once), and only an explicit
 * `{ engine: false }` turns it off.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { createLogger } from "../core/log.ts";
import { signClientToken } from "../core/tokens.ts";
import type { Db } from "../db/client.ts";
import { createApp } from "../routes/mod.ts";
import { createServices } from "../services/mod.ts";
import { testClock, testDb, testKeySpec } from "./_support.ts";

const db: Db = await testDb("create_app");
const clock = testClock();
const AZS = ["a", "b", "c"].map((l) => `us-east-1${l}`);

/** An app built the way main.ts builds it (no hook attached afterwards). */
function productionApp(opts: { engine?: boolean } = {}) {
  const config = parseConfig({
    TOKEN_SIGNING_KEYS: testKeySpec(),
    ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
    CRON_ENABLED: "false",
  });
  const log = createLogger({ level: "error", sink: () => {}, now: clock });
  const deps = createServices(config, db, clock, log, { ...opts, instanceName: "create-app" });
  return { deps, app: createApp(deps) };
}

/** A client with one registered agent that sends one v4.0.0 pricing report. */
async function agentReporting(
  p: ReturnType<typeof productionApp>,
  type: string,
): Promise<string> {
  const clientId = crypto.randomUUID();
  await db.execute(
    "INSERT INTO clients (id, name, email, token_version) VALUES (?, ?, ?, 1)",
    [clientId, `c-${clientId.slice(0, 8)}`, `${clientId.slice(0, 8)}@example.test`],
  );
  const token = await signClientToken(p.deps.services.keys, { clientId, version: 1, now: clock() });
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const instanceId = `i-0${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const reg = await p.app.request("/api/agents/register", {
    method: "POST",
    headers,
    body: JSON.stringify({
      logical_agent_id: `logical-${instanceId}`,
      instance_id: instanceId,
      instance_type: type,
      region: "us-east-1",
      az: AZS[0],
      mode: "ondemand",
      agent_version: "4.0.0",
    }),
  });
  assert.equal(reg.status, 200);
  const agentId = String((await reg.json()).agent_id);
  const rep = await p.app.request(`/api/agents/${agentId}/pricing-report`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      instance: { instance_id: instanceId, instance_type: type, region: "us-east-1", az: AZS[0] },
      pricing: {
        on_demand_price: 0.096,
        spot_pools: AZS.map((az, i) => ({
          pool_id: `${type}.${az}`,
          instance_type: type,
          az,
          price: 0.03 + i * 0.002,
        })),
        collected_at: clock().toISOString().slice(0, -1),
      },
    }),
  });
  assert.equal(rep.status, 200);
  return agentId;
}

async function historyRows(agentId: string): Promise<number> {
  const r = await db.execute<{ n: number }>(
    "SELECT COUNT(*) AS n FROM agent_decision_history WHERE agent_id = ?",
    [agentId],
  );
  return Number(r.rows[0]!.n);
}

Deno.test("createApp(createServices(...)) alone runs the decision engine after a pricing report", async () => {
  const p = productionApp();
  assert.ok(p.deps.services.onPricingReport, "the engine hook is built by createServices");
  const [a, b] = await Promise.all([
    agentReporting(p, "m5.large"),
    agentReporting(p, "c5.large"),
  ]);
  await p.deps.services.background.drain();
  // The first evaluation of an agent is always recorded: one history row per tenant's agent.
  assert.equal(await historyRows(a), 1);
  assert.equal(await historyRows(b), 1);
  const owners = await db.execute<{ agent_id: string; client_id: string }>(
    "SELECT h.agent_id, h.client_id FROM agent_decision_history h JOIN agents a ON a.id = h.agent_id AND a.client_id = h.client_id WHERE h.agent_id IN (?, ?)",
    [a, b],
  );
  assert.equal(owners.rows.length, 2, "each evaluation is recorded under its own client");
});

Deno.test("createServices({ engine: false }) is the only way to run without the engine", async () => {
  const p = productionApp({ engine: false });
  assert.equal(p.deps.services.onPricingReport, null);
  const a = await agentReporting(p, "r5.large");
  await p.deps.services.background.drain();
  assert.equal(await historyRows(a), 0);
});
