/**
 * The fields of the API's answers that the console reads, as zod schemas (extra keys pass
 * through untouched). Parsing at this boundary means a changed API fails loudly in the console's
 * tests instead of rendering `undefined`.
 */
import { z } from "zod";

const nstr = z.string().nullable();
const nnum = z.number().nullable();

/** GET /api/client/{id}. */
export const Overview = z.object({
  name: z.string(),
  total_agents: z.number(),
  online_agents: z.number(),
  active_instances: z.number(),
  spot_instances: z.number(),
  total_switches: z.number(),
  switches_today: z.number(),
  total_savings: z.number(),
  monthly_savings: z.number(),
  weekly_savings: z.number(),
  today_savings: z.number(),
  lastSync: nstr,
});

/** GET /api/client/{id}/savings. */
export const Savings = z.object({
  total_savings: z.number(),
  monthly_savings: z.number(),
  today_savings: z.number(),
  average_savings_percent: z.number(),
  last_settled_day: nstr,
  live_days: z.array(z.string()),
});

/** One agent of GET /api/client/{id}/agents. */
export const AgentItem = z.object({
  id: z.string(),
  hostname: nstr,
  logical_agent_id: nstr,
  instance_id: nstr,
  instance_type: nstr,
  region: nstr,
  az: nstr,
  current_mode: z.string(),
  current_pool_id: nstr,
  status: z.string(),
  last_heartbeat_at: nstr,
  enabled: z.boolean(),
  auto_switch_enabled: z.boolean(),
  auto_terminate_enabled: z.boolean(),
  manual_replica_enabled: z.boolean(),
  terminate_wait_seconds: z.number(),
});

/** GET /api/client/{id}/agents. */
export const Agents = z.object({ agents: z.array(AgentItem) });

/** One decision of the decisions view. */
export const Decision = z.object({
  type: z.string(),
  action: z.string(),
  riskScore: nnum,
  expectedSavings: nnum,
  currentMode: nstr,
  reason: nstr,
  time: z.string(),
});

/** GET /api/client/{id}/agents/decisions. */
export const AgentDecisions = z.object({
  agents: z.array(z.object({
    agentId: z.string(),
    decisionHistory: z.array(Decision),
  })),
});

/** GET /api/agents/{agent_id}. */
export const AgentDetail = AgentItem.extend({
  client_id: z.string(),
  online: z.boolean(),
  agent_version: nstr,
  pending_command: z.unknown(),
});

/** One switch of GET /api/client/{id}/switches. */
export const SwitchItem = z.object({
  id: z.string(),
  agent_id: nstr,
  initiated_at: z.string(),
  old_instance_id: nstr,
  old_mode: nstr,
  old_pool_id: nstr,
  old_az: nstr,
  new_instance_id: nstr,
  new_mode: nstr,
  new_pool_id: nstr,
  new_az: nstr,
  trigger_type: nstr,
  savings_impact: nnum,
  downtime_seconds: nnum,
  success: z.boolean().nullable(),
});

/** GET /api/client/{id}/switches. */
export const Switches = z.object({ switches: z.array(SwitchItem), total: z.number() });

/** GET /api/client/instances/{id}/available-options. */
export const Options = z.object({
  currentMode: z.string(),
  currentPoolId: nstr,
  pools: z.array(z.object({ id: z.string(), name: z.string(), az: z.string(), price: z.number() })),
});

/** GET /api/client/instances/{id}/price-history. */
export const PriceHistory = z.object({
  data: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.null()]))),
  pools: z.array(z.object({ id: z.string(), key: z.string() })),
  onDemandPrice: z.number(),
});

/** GET /api/notifications. */
export const Notifications = z.array(z.object({
  id: z.string(),
  message: z.string(),
  severity: z.string(),
  isRead: z.boolean(),
  type: nstr,
  agentId: nstr,
  time: z.string(),
}));

/** GET /api/admin/clients. */
export const AdminClients = z.array(z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  status: z.string(),
  agentsOnline: z.number(),
  agentsTotal: z.number(),
  instances: z.number(),
  totalSavings: z.number(),
  lastSync: nstr,
  createdAt: z.string(),
}));

/** POST /api/admin/clients/create (the token is shown once). */
export const Created = z.object({
  client: z.object({ id: z.string(), name: z.string(), email: z.string(), token: z.string() }),
});

/** POST /api/admin/clients/{id}/regenerate-token (the token is shown once). */
export const Regenerated = z.object({ token: z.string() });

/** GET /api/admin/agents. */
export const AdminAgents = z.object({
  agents: z.array(z.object({
    id: z.string(),
    logicalAgentId: nstr,
    hostname: nstr,
    clientName: z.string(),
    instanceId: nstr,
    instanceType: nstr,
    region: nstr,
    currentMode: z.string(),
    currentPoolId: nstr,
    status: z.string(),
    enabled: z.boolean(),
    lastHeartbeatAt: nstr,
  })),
  total: z.number(),
});

/** GET /api/admin/system-health. */
export const SystemHealth = z.object({
  status: z.string(),
  reasons: z.array(z.string()),
  timestamp: z.string(),
  databaseStatus: z.object({
    reachable: z.boolean(),
    latencyMs: nnum,
    schemaVersion: nstr,
    error: nstr,
  }),
  jobs: z.array(z.object({
    name: z.string(),
    periodSeconds: nnum,
    state: z.string(),
    lastRun: z.object({
      startedAt: z.string(),
      finishedAt: nstr,
      status: z.string(),
      rowsTouched: nnum,
      error: nstr,
    }).nullable(),
    nextDueAt: nstr,
    overdue: z.boolean(),
  })),
  agents: z.object({
    online: z.number(),
    stale: z.number(),
    offline: z.number(),
    disabled: z.number(),
    total: z.number(),
  }),
  commands: z.object({
    pending: z.number(),
    delivered: z.number(),
    expired: z.number(),
    expiredLast24h: z.number(),
  }),
});

/** GET /api/admin/activity. */
export const Activity = z.array(z.object({
  eventType: z.string(),
  severity: z.string(),
  text: z.string(),
  clientId: nstr,
  time: z.string(),
}));
