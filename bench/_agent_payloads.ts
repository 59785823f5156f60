/**
 * What a simulated agent v4.0.0 sends (CONTRACT E01-E04, E06), built here so the bench's hot loop
 * depends on nothing but the contract: the register body, the heartbeat, the two polls and the
 * pricing report with one pool per AZ of the region (6).
 * @module
 */

/** The four periodic calls of a running agent and their v4.0.0 intervals. */
export const AGENT_KINDS = [
  { kind: "heartbeat", intervalS: 30, routeKey: "POST /api/agents/{id}/heartbeat" },
  { kind: "pending_commands", intervalS: 15, routeKey: "GET /api/agents/{id}/pending-commands" },
  { kind: "config", intervalS: 60, routeKey: "GET /api/agents/{id}/config" },
  { kind: "pricing_report", intervalS: 300, routeKey: "POST /api/agents/{id}/pricing-report" },
] as const;

/** One of the periodic calls. */
export type AgentKind = (typeof AGENT_KINDS)[number]["kind"];

/** A simulated agent. */
export interface FleetAgent {
  index: number;
  token: string;
  logicalId: string;
  instanceId: string;
  instanceType: string;
  az: string;
  mode: "spot" | "ondemand";
  agentId: string | null;
  heartbeat: string | null;
  headers: Record<string, string>;
}

const REGION = "us-east-1";
const AZS = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"];
/** Instance types and their on-demand $/h in us-east-1. */
const TYPES: [string, number][] = [
  ["t3.medium", 0.0416],
  ["t3.large", 0.0832],
  ["t3a.medium", 0.0376],
  ["m5.large", 0.096],
  ["m5.xlarge", 0.192],
  ["m6i.large", 0.096],
  ["c5.large", 0.085],
  ["c5.xlarge", 0.17],
  ["c6i.large", 0.085],
  ["r5.large", 0.126],
  ["r6i.large", 0.126],
  ["m5.2xlarge", 0.384],
];
// Spot price of each AZ as a share of on-demand: the agent's own pool is never far from the
// cheapest, so a well-behaved engine stays put (the bench measures serving, not switching).
const AZ_FACTOR = [0.31, 0.32, 0.33, 0.315, 0.325, 0.335];

/** Builds `n` agents spread over the clients' tokens, types and AZs (10 % on-demand). */
export function buildFleet(n: number, tokens: string[]): FleetAgent[] {
  const run = crypto.randomUUID().replace(/-/g, "").slice(0, 8);
  return Array.from({ length: n }, (_, i) => {
    const token = tokens[i % tokens.length];
    return {
      index: i,
      token,
      logicalId: `bench-${run}-${i}`,
      // Random like EC2's, so inserts do not all land at the end of the primary key.
      instanceId: `i-0${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`,
      instanceType: TYPES[i % TYPES.length][0],
      az: AZS[Math.floor(i / TYPES.length) % AZS.length],
      mode: i % 10 === 9 ? "ondemand" : "spot",
      agentId: null,
      heartbeat: null,
      headers: {
        "Authorization": `Bearer ${token}`,
        "Content-Type": "application/json",
        "User-Agent": "python-requests/2.31.0",
      },
    };
  });
}

/** The E01 body exactly as agent v4.0.0 sends it (public_ip null without a public address). */
export function registerBody(a: FleetAgent): string {
  return JSON.stringify({
    client_token: a.token,
    logical_agent_id: a.logicalId,
    instance_id: a.instanceId,
    instance_type: a.instanceType,
    region: REGION,
    az: a.az,
    ami_id: "ami-0abcdef1234567890",
    mode: a.mode,
    hostname: `ip-10-0-${(a.index >> 8) & 255}-${a.index & 255}`,
    agent_version: "4.0.0",
    private_ip: `10.0.${(a.index >> 8) & 255}.${a.index & 255}`,
    public_ip: a.index % 3 === 0 ? null : `54.1.${(a.index >> 8) & 255}.${a.index & 255}`,
  });
}

function heartbeatBody(a: FleetAgent): string {
  return JSON.stringify({
    status: "online",
    monitored_instances: [a.instanceId],
    instance_id: a.instanceId,
    instance_type: a.instanceType,
    mode: a.mode,
    az: a.az,
  });
}

/** The E06 body: instance + pricing with 6 pools, collected_at naive UTC with microseconds. */
export function pricingBody(a: FleetAgent, now: Date): string {
  const od = TYPES.find((t) => t[0] === a.instanceType)![1];
  const pools = AZS.map((az, i) => ({
    pool_id: `${a.instanceType}.${az}`,
    instance_type: a.instanceType,
    az,
    price: Math.round(od * AZ_FACTOR[i] * 1e6) / 1e6,
  }));
  const own = a.mode === "spot" ? pools.find((p) => p.az === a.az)! : null;
  const cheapest = pools.reduce((m, p) => (p.price < m.price ? p : m));
  return JSON.stringify({
    instance: {
      instance_id: a.instanceId,
      instance_type: a.instanceType,
      region: REGION,
      az: a.az,
      mode: a.mode,
      pool_id: own ? own.pool_id : null,
    },
    pricing: {
      on_demand_price: od,
      current_spot_price: own ? own.price : null,
      cheapest_pool: own ? { pool_id: cheapest.pool_id, price: cheapest.price } : null,
      spot_pools: pools,
      collected_at: `${now.toISOString().slice(0, -1)}000`,
    },
  });
}

/** URL and fetch options of one periodic call of a registered agent. */
export function requestFor(
  base: string,
  a: FleetAgent,
  kind: AgentKind,
): { url: string; init: RequestInit } {
  const root = `${base}/api/agents/${a.agentId}`;
  switch (kind) {
    case "heartbeat":
      a.heartbeat ??= heartbeatBody(a);
      return {
        url: `${root}/heartbeat`,
        init: { method: "POST", headers: a.headers, body: a.heartbeat },
      };
    case "pending_commands":
      return { url: `${root}/pending-commands`, init: { method: "GET", headers: a.headers } };
    case "config":
      return { url: `${root}/config`, init: { method: "GET", headers: a.headers } };
    case "pricing_report":
      return {
        url: `${root}/pricing-report`,
        init: { method: "POST", headers: a.headers, body: pricingBody(a, new Date()) },
      };
  }
}
