/** Test fixtures for the dashboard suites: rows inserted directly, as the agent routes would. */
import type { Queryable } from "../db/client.ts";
import type { TestContext } from "./_support.ts";

/** Inserts an agent; returns its id. */
export async function addAgent(
  db: Queryable,
  a: {
    clientId: string;
    logical?: string;
    status?: string;
    lastHeartbeatAt?: Date | null;
    instanceId?: string | null;
    instanceType?: string;
    region?: string;
    az?: string;
    mode?: string;
    poolId?: string | null;
    enabled?: boolean;
    autoSwitch?: boolean;
    manualReplica?: boolean;
    hostname?: string;
  },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.execute(
    "INSERT INTO agents (id, client_id, logical_agent_id, hostname, instance_id, instance_type, region, az, current_mode, current_pool_id, status, enabled, last_heartbeat_at, auto_switch_enabled, manual_replica_enabled, agent_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '4.0.0')",
    [
      id,
      a.clientId,
      a.logical ?? `agent-${id.slice(0, 8)}`,
      a.hostname ?? `host-${id.slice(0, 4)}`,
      a.instanceId ?? null,
      a.instanceType ?? "t3.medium",
      a.region ?? "us-east-1",
      a.az ?? "us-east-1a",
      a.mode ?? "spot",
      a.poolId === undefined ? "t3.medium.us-east-1a" : a.poolId,
      a.status ?? "online",
      a.enabled === false ? 0 : 1,
      a.lastHeartbeatAt === undefined ? null : a.lastHeartbeatAt,
      a.autoSwitch === false ? 0 : 1,
      a.manualReplica ? 1 : 0,
    ],
  );
  return id;
}

/** Inserts an instance row. */
export async function addInstance(
  db: Queryable,
  i: {
    id: string;
    clientId: string;
    agentId?: string | null;
    instanceType?: string;
    region?: string;
    az?: string;
    mode?: string;
    poolId?: string | null;
    spotPrice?: number | null;
    ondemandPrice?: number | null;
    status?: string;
    isActive?: boolean;
    isPrimary?: boolean;
    createdAt?: Date;
  },
): Promise<void> {
  await db.execute(
    "INSERT INTO instances (id, client_id, agent_id, instance_type, region, az, current_mode, current_pool_id, spot_price, ondemand_price, baseline_ondemand_price, is_active, instance_status, is_primary, installed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [
      i.id,
      i.clientId,
      i.agentId ?? null,
      i.instanceType ?? "t3.medium",
      i.region ?? "us-east-1",
      i.az ?? "us-east-1a",
      i.mode ?? "spot",
      i.poolId === undefined ? "t3.medium.us-east-1a" : i.poolId,
      i.spotPrice ?? null,
      i.ondemandPrice ?? null,
      i.ondemandPrice ?? null,
      i.isActive === false ? 0 : 1,
      i.status ?? "running_primary",
      i.isPrimary === false ? 0 : 1,
      i.createdAt ?? new Date("2026-11-20T00:00:00Z"),
      i.createdAt ?? new Date("2026-11-20T00:00:00Z"),
    ],
  );
}

/** Inserts a switch; returns its id. */
export async function addSwitch(
  db: Queryable,
  s: {
    clientId: string;
    agentId: string;
    oldInstanceId?: string | null;
    newInstanceId: string;
    oldMode?: string;
    newMode?: string;
    newPoolId?: string | null;
    savingsImpact?: number | null;
    trigger?: string;
    initiatedAt: Date;
    downtimeSeconds?: number | null;
    newSpotPrice?: number | null;
    onDemandPrice?: number | null;
  },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.execute(
    "INSERT INTO switches (id, client_id, agent_id, old_instance_id, new_instance_id, old_mode, new_mode, old_az, new_az, new_pool_id, savings_impact, trigger_type, initiated_at, downtime_seconds, new_spot_price, on_demand_price, new_instance_type) VALUES (?, ?, ?, ?, ?, ?, ?, 'us-east-1a', 'us-east-1b', ?, ?, ?, ?, ?, ?, ?, 't3.medium')",
    [
      id,
      s.clientId,
      s.agentId,
      s.oldInstanceId ?? null,
      s.newInstanceId,
      s.oldMode ?? "ondemand",
      s.newMode ?? "spot",
      s.newPoolId ?? null,
      s.savingsImpact ?? null,
      s.trigger ?? "manual",
      s.initiatedAt,
      s.downtimeSeconds ?? null,
      s.newSpotPrice ?? null,
      s.onDemandPrice ?? null,
    ],
  );
  return id;
}

/** Inserts a replica; returns its id. */
export async function addReplica(
  db: Queryable,
  r: {
    agentId: string;
    clientId: string;
    instanceId: string;
    type?: string;
    status?: string;
    poolId?: string | null;
    hourlyCost?: number | null;
  },
): Promise<string> {
  const id = crypto.randomUUID();
  await db.execute(
    "INSERT INTO replica_instances (id, agent_id, client_id, instance_id, replica_type, pool_id, instance_type, region, az, status, hourly_cost, state_transfer_progress, created_by) VALUES (?, ?, ?, ?, ?, ?, 't3.medium', 'us-east-1', 'us-east-1b', ?, ?, 42.5, 'test')",
    [
      id,
      r.agentId,
      r.clientId,
      r.instanceId,
      r.type ?? "manual",
      r.poolId === undefined ? "t3.medium.us-east-1b" : r.poolId,
      r.status ?? "ready",
      r.hourlyCost ?? 0.0123,
    ],
  );
  return id;
}

/** Inserts spot pools (id = `<type>.<az>`). */
export async function addPools(
  db: Queryable,
  pools: { type: string; region: string; az: string }[],
): Promise<void> {
  for (const p of pools) {
    await db.execute(
      "INSERT INTO spot_pools (id, instance_type, region, az) VALUES (?, ?, ?, ?)",
      [`${p.type}.${p.az}`, p.type, p.region, p.az],
    );
  }
}

/** Inserts one spot price snapshot. */
export async function addSpotPrice(
  db: Queryable,
  poolId: string,
  at: Date,
  price: number,
): Promise<void> {
  await db.execute(
    "INSERT INTO spot_price_snapshots (pool_id, bucket_start, price, captured_at) VALUES (?, ?, ?, ?)",
    [poolId, at, price, at],
  );
}

/** Inserts one on-demand price snapshot. */
export async function addOnDemandPrice(
  db: Queryable,
  o: { region: string; type: string; at: Date; price: number },
): Promise<void> {
  await db.execute(
    "INSERT INTO ondemand_price_snapshots (region, instance_type, bucket_start, price, captured_at) VALUES (?, ?, ?, ?, ?)",
    [o.region, o.type, o.at, o.price, o.at],
  );
}

/** The clock of the dashboard suites (testContext's default). */
export const NOW = new Date("2026-11-27T12:00:00.000Z");
/** `ms` before NOW. */
export const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
/** One minute in ms. */
export const MIN = 60_000;
/** One hour in ms. */
export const HOUR = 60 * MIN;

/** A client with two agents (one fresh, one whose heartbeat is stale), three instances, switches. */
export async function fleet(
  t: TestContext,
): Promise<{
  client: { id: string; token: string };
  other: { id: string; token: string };
  a1: string;
  a2: string;
}> {
  const client = await t.createClient();
  const other = await t.createClient();
  const a1 = await addAgent(t.db, {
    clientId: client.id,
    logical: "web-1",
    lastHeartbeatAt: ago(MIN),
    instanceId: "i-spot1",
  });
  const a2 = await addAgent(t.db, {
    clientId: client.id,
    logical: "web-2",
    lastHeartbeatAt: ago(2 * HOUR),
    instanceId: "i-od1",
    mode: "ondemand",
    poolId: null,
  });
  await addInstance(t.db, {
    id: "i-spot1",
    clientId: client.id,
    agentId: a1,
    spotPrice: 0.0125,
    ondemandPrice: 0.0416,
  });
  await addInstance(t.db, {
    id: "i-od1",
    clientId: client.id,
    agentId: a2,
    mode: "ondemand",
    poolId: null,
    ondemandPrice: 0.0416,
  });
  await addInstance(t.db, {
    id: "i-old1",
    clientId: client.id,
    agentId: a1,
    status: "terminated",
    isActive: false,
    createdAt: new Date("2026-11-01T00:00:00Z"),
  });
  await addSwitch(t.db, {
    clientId: client.id,
    agentId: a1,
    oldInstanceId: "i-old1",
    newInstanceId: "i-spot1",
    savingsImpact: 0.0291,
    initiatedAt: ago(2 * HOUR),
    downtimeSeconds: 10,
  });
  await addSwitch(t.db, {
    clientId: client.id,
    agentId: a1,
    oldInstanceId: "i-x",
    newInstanceId: "i-old1",
    oldMode: "spot",
    newMode: "spot",
    savingsImpact: -0.001,
    initiatedAt: ago(3 * 24 * HOUR),
    downtimeSeconds: 30,
    trigger: "model",
  });
  return { client, other, a1, a2 };
}
/** Pools and prices around the fleet's t3.medium in us-east-1. */
export async function prices(t: TestContext): Promise<void> {
  await addPools(t.db, [
    { type: "t3.medium", region: "us-east-1", az: "us-east-1a" },
    { type: "t3.medium", region: "us-east-1", az: "us-east-1b" },
    { type: "t3.medium", region: "us-east-1", az: "us-east-1c" },
    { type: "t3.large", region: "us-east-1", az: "us-east-1a" },
  ]);
  for (let h = 0; h < 3; h++) {
    await addSpotPrice(t.db, "t3.medium.us-east-1a", ago(h * HOUR + 5 * MIN), 0.0125 + h * 0.001);
    await addSpotPrice(t.db, "t3.medium.us-east-1b", ago(h * HOUR + 5 * MIN), 0.0110);
    await addOnDemandPrice(t.db, {
      region: "us-east-1",
      type: "t3.medium",
      at: ago(h * HOUR + 5 * MIN),
      price: 0.0416,
    });
  }
}
