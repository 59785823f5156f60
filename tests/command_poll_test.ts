/**
 * db/command_delivery.ts pollCommand packs the open command into one JSON column: the record it
 * gives must equal the one read from the commands row itself (every field, datetimes in the same
 * ISO form), for pending and delivered commands, and only for the agent's own client.
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import { AgentSim } from "./agent_sim.ts";
import { getOpenCommand, markDelivered, pollCommand, queueSwitchCommand } from "../db/commands.ts";

Deno.test("command poll: the packed command equals the row's record; other clients and idle agents see none", async () => {
  const t = await testContext("command_poll");
  const a = await t.createClient();
  const b = await t.createClient();
  const sim = (token: string, n: number) =>
    AgentSim.webAgent(t.app, { token, n, tag: "poll", now: t.clock });
  const agent = sim(a.token, 1);
  const idle = sim(a.token, 2);
  const foreign = sim(b.token, 3);
  for (const s of [agent, idle, foreign]) assert.equal((await s.register()).status, 200);
  const agentId = agent.agentId!;

  const empty = await pollCommand(t.db, { clientId: a.id, agentId: idle.agentId! });
  assert.deepEqual(empty, {
    agentStatus: "online",
    agentEnabled: true,
    agentInstanceId: "i-0poll000000002",
    command: null,
  });

  await queueSwitchCommand(t.db, {
    clientId: a.id,
    agentId,
    targetMode: "spot",
    targetPoolId: "t3.medium.us-east-1b",
    priority: 75,
    createdBy: "manual",
    triggerType: "manual",
    reason: `quotes ' " \\ and ünïcødé 🚀`,
    now: t.clock(),
    pendingTtlSeconds: t.config.COMMAND_PENDING_TTL,
  });
  const pending = await pollCommand(t.db, { clientId: a.id, agentId });
  const row = await getOpenCommand(t.db, agentId);
  assert.ok(row && pending?.command);
  assert.deepEqual(pending.command, row);
  assert.equal(pending.command.status, "pending");
  assert.match(pending.command.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.equal(pending.command.priority, 75);
  assert.equal(pending.command.success, null);

  assert.ok(
    await markDelivered(t.db, {
      commandId: row.id,
      instanceId: "i-0poll000000001",
      ip: "10.0.0.1",
      now: new Date(t.clock().getTime() + 1234),
      deliveryTimeoutSeconds: 300,
    }),
  );
  const delivered = await pollCommand(t.db, { clientId: a.id, agentId });
  const deliveredRow = await getOpenCommand(t.db, agentId);
  assert.deepEqual(delivered?.command, deliveredRow);
  assert.equal(delivered?.command?.status, "delivered");
  assert.ok(delivered?.command?.deliveredAt?.endsWith("Z"));
  assert.ok(delivered?.command?.expiresAt);

  // The other client's credentials never reach the agent or its command.
  assert.equal(await pollCommand(t.db, { clientId: b.id, agentId }), null);
  const own = await pollCommand(t.db, { clientId: b.id, agentId: foreign.agentId! });
  assert.equal(own?.command, null);
});
