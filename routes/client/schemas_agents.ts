/** Zod schemas of the client agent routes (CONTRACT E30–E36). */
import { z } from "@hono/zod-openapi";
import { Timestamp } from "./schemas.ts";
import { dialects, listResponse, withBothKeySets } from "../_dialect.ts";
import { intInput } from "../_schemas.ts";

const nstr = z.string().nullable();

/**
 * E30 item in both dialects (`terminateWaitSeconds` for the client, `…Minutes` for the admin); the
 * admin's items carry the client's snake_case keys too.
 */
export const Agent = withBothKeySets(dialects({
  id: z.string(),
  logicalAgentId: z.string(),
  hostname: nstr,
  instanceId: nstr,
  instanceType: nstr,
  region: nstr,
  az: nstr,
  currentMode: z.string(),
  currentPoolId: nstr,
  status: z.string().describe(
    "online | offline | disabled | switching ...; online only while heartbeats are fresh",
  ),
  lastHeartbeatAt: Timestamp.nullable(),
  enabled: z.boolean(),
  autoSwitchEnabled: z.boolean(),
  autoTerminateEnabled: z.boolean(),
  manualReplicaEnabled: z.boolean(),
  replicaCount: z.number().int().describe("Active replicas of the agent"),
  instanceCount: z.number().int().describe("Active instances of the agent"),
  terminateWaitSeconds: z.number().int(),
  terminateWaitMinutes: z.number(),
  agentVersion: nstr,
}, {
  adminOnly: ["terminateWaitMinutes"],
  clientOnly: ["terminateWaitSeconds"],
  adminNames: { lastHeartbeatAt: "lastHeartbeat" },
}));

/** E30 response: `{agents}` for a client token, a bare array for the admin credential. */
export const AgentsResponse = listResponse("agents", Agent);

/** E32 item in both dialects (the admin's items carry both key sets). */
export const AgentHistory = withBothKeySets(dialects({
  id: z.string(),
  logicalAgentId: z.string(),
  hostname: nstr,
  instanceId: nstr,
  instanceType: nstr,
  region: nstr,
  az: nstr,
  currentMode: z.string(),
  status: z.string(),
  enabled: z.boolean(),
  autoSwitchEnabled: z.boolean(),
  manualReplicaEnabled: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastHeartbeatAt: Timestamp.nullable(),
  installedAt: Timestamp.nullable(),
  terminatedAt: Timestamp.nullable(),
  deletedAt: Timestamp.nullable(),
}, { adminNames: { lastHeartbeatAt: "lastHeartbeat" } }));

/** E32 response. */
export const AgentHistoryResponse = listResponse("agents", AgentHistory);

const PricePoint = z.object({
  time: Timestamp,
  onDemandPrice: z.number(),
  spotPrice: z.number(),
});

/** How long ago something happened, for display. */
export const Elapsed = z.object({
  value: z.number().int(),
  unit: z.enum(["minutes", "hours", "days"]),
  minutes: z.number().int(),
  formatted: z.string().describe('e.g. "5 minutes"; the admin dashboard appends " ago"'),
});

/** E31 item (the admin dashboard's models tab). */
export const AgentDecisions = z.object({
  agentId: z.string(),
  agentName: z.string(),
  status: z.string(),
  currentMode: z.string(),
  currentPoolId: nstr,
  isHealthy: z.boolean(),
  lastHeartbeat: z.string().describe('relative text, e.g. "3 min ago", or "never"'),
  lastHeartbeatAt: Timestamp.nullable(),
  lastDecision: z.object({
    type: z.enum(["stay", "switch_spot", "switch_ondemand"]),
    action: z.string(),
    time: Timestamp,
    reason: nstr,
    elapsed: Elapsed,
  }).nullable(),
  decisionHistory: z.array(z.object({
    type: z.enum(["stay", "switch_spot", "switch_ondemand"]),
    action: z.string(),
    riskScore: z.number().nullable(),
    expectedSavings: z.number().nullable(),
    currentMode: nstr,
    reason: nstr,
    time: Timestamp,
  })),
  recentActivity: z.object({
    pricingReports: z.array(PricePoint),
    systemEvents: z.array(z.object({
      type: z.string(),
      severity: z.string(),
      message: nstr,
      time: Timestamp,
    })),
    healthStatus: z.object({
      overall: z.enum(["healthy", "unhealthy"]),
      heartbeat: z.enum(["fresh", "stale", "never"]),
      activity: z.enum(["active", "idle"]),
      recentReportsCount: z.number().int(),
      decisionCount: z.number().int(),
    }),
  }),
  pricingHealth: z.object({
    status: z.enum(["healthy", "stale", "missing"]),
    recentReportsCount: z.number().int().describe("Pricing reports in the last 10 minutes"),
    lastReportAt: Timestamp.nullable(),
    recentReports: z.array(PricePoint),
  }),
});

/** E31 response: `{agents}` for a client token (same items), a bare array for the admin. */
export const DecisionsResponse = z.union([
  z.object({ agents: z.array(AgentDecisions), limit: z.number().int(), offset: z.number().int() }),
  z.array(AgentDecisions),
]);

/** E33 body: empty flips, `{enabled}` sets. */
export const ToggleBody = z.object({ enabled: z.boolean().optional() });

/** E33 response. */
export const ToggleResponse = z.object({
  success: z.literal(true),
  agent_id: z.string(),
  enabled: z.boolean(),
  changed: z.boolean(),
});

/** E34 body (the client dashboard's settings modal). */
export const SettingsBody = z.object({
  auto_switch_enabled: z.boolean().optional(),
  auto_terminate_enabled: z.boolean().optional(),
  manual_replica_enabled: z.boolean().optional(),
  replica_enabled: z.boolean().optional(),
  replica_count: intInput(0, 10).optional().describe(
    "Accepted and ignored: manual replica mode keeps exactly one standby per primary",
  ),
  terminate_wait_seconds: intInput(0, 86400).optional(),
});

/** E34/E35 response: the resulting settings in both key sets. */
export const Settings = withBothKeySets(dialects({
  success: z.literal(true),
  agentId: z.string(),
  autoSwitchEnabled: z.boolean(),
  autoTerminateEnabled: z.boolean(),
  manualReplicaEnabled: z.boolean(),
  replicaCount: z.number().int(),
  terminateWaitSeconds: z.number().int(),
  terminateWaitMinutes: z.number(),
  changed: z.array(z.string()).describe("Settings that actually changed"),
  terminatedReplicaIds: z.array(z.string()),
}, {
  adminOnly: ["terminateWaitMinutes"],
  clientOnly: ["agentId", "replicaCount", "terminateWaitSeconds", "terminatedReplicaIds"],
}));

/** E35 body (the admin dashboard's config modal sends all four camelCase keys). */
export const ConfigBody = z.object({
  terminateWaitMinutes: intInput(0, 1440).optional(),
  terminate_wait_minutes: intInput(0, 1440).optional(),
  autoSwitchEnabled: z.boolean().optional(),
  manualReplicaEnabled: z.boolean().optional(),
  autoTerminateEnabled: z.boolean().optional(),
});

/** E36 response. */
export const DeleteAgentResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  agent_id: z.string(),
  terminated_replica_ids: z.array(z.string()),
  cancelled_commands: z.number().int(),
});
