/**
 * Fixtures of the interruption and replica tests: a registered simulated agent on spot with a
 * pricing report for four AZs of its type, a real local webhook receiver, and row readers.
 */
import type { TestContext } from "./_support.ts";
import { AgentSim } from "./agent_sim.ts";
import type { SimPool } from "./agent_sim.ts";

/** The pools of the fixtures: us-east-1a is the agent's; 1b is the cheapest elsewhere. */
export const POOLS: SimPool[] = [
  { pool_id: "t3.medium.us-east-1a", instance_type: "t3.medium", az: "us-east-1a", price: 0.0125 },
  { pool_id: "t3.medium.us-east-1b", instance_type: "t3.medium", az: "us-east-1b", price: 0.0130 },
  { pool_id: "t3.medium.us-east-1c", instance_type: "t3.medium", az: "us-east-1c", price: 0.0140 },
  { pool_id: "t3.medium.us-east-1d", instance_type: "t3.medium", az: "us-east-1d", price: 0.0150 },
];

/** A registered spot agent in t3.medium.us-east-1a that reported prices. */
export async function spotAgent(
  ctx: TestContext,
  opts: { instanceId?: string; logical?: string; client?: { id: string; token: string } } = {},
): Promise<{ client: { id: string; token: string }; sim: AgentSim; agentId: string }> {
  const client = opts.client ?? await ctx.createClient();
  const sim = AgentSim.forApp(ctx.app, {
    token: client.token,
    instanceId: opts.instanceId ?? "i-0a1b2c3d4e5f60001",
    instanceType: "t3.medium",
    az: "us-east-1a",
    mode: "spot",
    logicalAgentId: opts.logical ?? "web-1",
    now: ctx.clock,
  });
  const reg = await sim.register();
  if (!reg.ok || !sim.agentId) {
    throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  }
  const pr = await sim.pricingReport({ onDemand: 0.0416, pools: POOLS });
  if (!pr.ok) throw new Error(`pricing report failed: ${pr.status} ${JSON.stringify(pr.body)}`);
  return { client, sim, agentId: sim.agentId };
}

/** A real local HTTP server recording webhook posts; answers 500 to the first `failFirst`. */
export function webhookReceiver(failFirst = 0): {
  url: string;
  posts: unknown[];
  close: () => Promise<void>;
} {
  const posts: unknown[] = [];
  let calls = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    calls++;
    const body = await req.json();
    if (calls <= failFirst) return new Response("busy", { status: 500 });
    posts.push(body);
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hooks/T000/B000/secret`,
    posts,
    close: () => server.shutdown(),
  };
}

/** Rows of a query as plain objects. */
export async function rows<T = Record<string, unknown>>(
  ctx: TestContext,
  sql: string,
  args: unknown[] = [],
): Promise<T[]> {
  return (await ctx.db.execute<T>(sql, args)).rows;
}

/** Sets a pool's mirrored risk (as the pool risk job would). */
export async function setPoolRisk(
  ctx: TestContext,
  poolId: string,
  score: number,
  recommendation: "safe" | "caution" | "avoid",
): Promise<void> {
  await ctx.db.execute(
    "UPDATE spot_pools SET risk_score = ?, risk_recommendation = ?, risk_analyzed_at = ? WHERE id = ?",
    [score, recommendation, ctx.clock(), poolId],
  );
}
