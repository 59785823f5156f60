/** Zod schemas of the admin routes (CONTRACT E58, E61–E68). */
import { z } from "@hono/zod-openapi";
import { Timestamp } from "../client/schemas.ts";

const nstr = z.string().nullable();

/** Credential note of the admin routes. */
export const ADMIN_AUTH =
  "Credential: the admin credential (`Authorization: Bearer <ADMIN_TOKEN or admin JWT>`); the admin dashboard must now send it (the predecessor's admin API was open, B-02).";

/** E58 response. */
export const StatsResponse = z.object({
  totalAccounts: z.number().int(),
  activeAccounts: z.number().int(),
  agentsOnline: z.number().int(),
  agentsTotal: z.number().int(),
  poolsCovered: z.number().int(),
  totalSavings: z.number().describe(
    "Σ opening balances + Σ settled ledger days + Σ unsettled days (yesterday until settled, today so far): the sum of the client views (never join-inflated, B-17)",
  ),
  totalSwitches: z.number().int(),
  totalDowntimeSeconds: z.number(),
  manualSwitches: z.number().int(),
  modelSwitches: z.number().int().describe("Every switch not triggered manually"),
  activeInstances: z.number().int(),
  backendHealth: z.string(),
  decisionEngineLoaded: z.boolean(),
  mlModelsLoaded: z.boolean(),
});

/** E61 item. */
export const AdminInstance = z.object({
  id: z.string(),
  instanceId: z.string(),
  clientId: z.string(),
  clientName: z.string(),
  agentId: nstr,
  region: z.string(),
  az: z.string(),
  instanceType: z.string(),
  currentMode: z.string(),
  currentPoolId: nstr,
  spotPrice: z.number(),
  ondemandPrice: z.number(),
  isActive: z.boolean(),
  instanceStatus: z.string(),
  installedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  logicalAgentId: nstr,
  agentStatus: nstr,
});

/** E61 response. */
export const AdminInstancesResponse = z.object({
  instances: z.array(AdminInstance),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  filters: z.object({ status: nstr, mode: nstr, region: nstr, search: nstr }),
});

/** E62 item. */
export const AdminAgent = z.object({
  id: z.string(),
  logicalAgentId: z.string(),
  hostname: nstr,
  clientId: z.string(),
  clientName: z.string(),
  instanceId: nstr,
  instanceType: nstr,
  region: nstr,
  az: nstr,
  currentMode: z.string(),
  currentPoolId: nstr,
  status: z.string(),
  enabled: z.boolean(),
  autoSwitchEnabled: z.boolean(),
  version: nstr,
  lastHeartbeatAt: Timestamp.nullable(),
  createdAt: Timestamp,
});

/** E62 response. */
export const AdminAgentsResponse = z.object({
  agents: z.array(AdminAgent),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  filters: z.object({ status: nstr }),
});

/** E63 item. */
export const ActivityItem = z.object({
  id: z.number().int(),
  type: z.enum(["switch", "agent", "event"]),
  text: z.string(),
  time: Timestamp,
  eventType: z.string(),
  severity: z.string(),
  clientId: nstr,
});

/** E65 response (the admin dashboard's field names, T-21, plus the stored ones). */
export const SearchResponse = z.object({
  clients: z.array(z.object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    isActive: z.boolean(),
    createdAt: Timestamp,
  })),
  instances: z.array(z.object({
    instanceId: z.string(),
    id: z.string(),
    instanceType: z.string(),
    availabilityZone: z.string(),
    region: z.string(),
    status: z.string(),
    isActive: z.boolean(),
    clientId: z.string(),
    clientName: z.string(),
  })),
  agents: z.array(z.object({
    id: z.string(),
    name: z.string(),
    hostname: nstr,
    instanceId: nstr,
    status: z.string(),
    isActive: z.boolean(),
    lastHeartbeat: Timestamp.nullable(),
    clientId: z.string(),
    clientName: z.string(),
  })),
});

/** E66 response. */
export const PoolStatsResponse = z.object({
  overall: z.object({
    totalInstances: z.number().int(),
    totalPools: z.number().int(),
    totalRegions: z.number().int(),
    totalZones: z.number().int(),
    totalTypes: z.number().int(),
  }),
  byRegion: z.array(z.object({
    region: z.string(),
    pools: z.number().int(),
    zones: z.number().int(),
    types: z.number().int(),
    instances: z.number().int(),
  })),
  byInstanceType: z.array(z.object({
    instanceType: z.string(),
    pools: z.number().int(),
    regions: z.number().int(),
    instances: z.number().int(),
  })),
  interruptions: z.array(z.object({
    poolId: z.string(),
    terminationNotices: z.number().int(),
    rebalanceRecommendations: z.number().int(),
    riskScore: z.number().nullable(),
  })),
});

const Health = z.enum(["healthy", "degraded", "stale"]);

/** E67 response. */
export const HealthSummaryResponse = z.object({
  totalAgents: z.number().int(),
  activeAgents: z.number().int().describe("Enabled agents"),
  healthyAgents: z.number().int(),
  warningAgents: z.number().int().describe("= degraded"),
  criticalAgents: z.number().int().describe("= stale"),
  counts: z.object({
    healthy: z.number().int(),
    degraded: z.number().int(),
    stale: z.number().int(),
  }),
  healthPercentage: z.number(),
  averageHeartbeatDelay: z.number().describe("Seconds since the last heartbeat, averaged"),
  thresholds: z.object({
    staleAfterSeconds: z.number().int(),
    lateAfterSeconds: z.number().int(),
    metricsWindowSeconds: z.number().int(),
    maxHeartbeatGapMs: z.number().int(),
    maxHeartbeatLatencyMs: z.number().int(),
  }),
  agents: z.array(z.object({
    agentId: z.string(),
    agentName: z.string(),
    clientId: z.string(),
    clientName: z.string(),
    status: z.string(),
    health: Health,
    reasons: z.array(z.string()),
    lastHeartbeat: Timestamp.nullable(),
    heartbeatAgeSeconds: z.number().nullable(),
    metrics: z.object({
      samples: z.number().int(),
      errors: z.number().int(),
      warnings: z.number().int(),
      avgHeartbeatLatencyMs: z.number().nullable(),
      maxHeartbeatGapMs: z.number().nullable(),
    }),
  })),
  clientBreakdown: z.array(z.object({
    clientId: z.string(),
    clientName: z.string(),
    healthy: z.number().int(),
    degraded: z.number().int(),
    stale: z.number().int(),
    total: z.number().int(),
  })),
  limit: z.number().int(),
  offset: z.number().int(),
});

const JobRun = z.object({
  slotStart: Timestamp,
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  status: z.string(),
  rowsTouched: z.number().nullable(),
  error: nstr,
  leaseUntil: Timestamp.nullable(),
  claimedBy: z.string(),
});

/** E64 response. */
export const SystemHealthResponse = z.object({
  status: z.enum(["ok", "degraded", "down"]),
  reasons: z.array(z.string()),
  timestamp: Timestamp,
  version: z.string(),
  apiStatus: z.string(),
  database: z.enum(["Connected", "Disconnected"]),
  decisionEngine: z.string(),
  connectionPool: z.string(),
  databaseStatus: z.object({
    reachable: z.boolean(),
    latencyMs: z.number().nullable(),
    schemaVersion: nstr,
    error: nstr,
  }),
  decisionEngineStatus: z.object({
    loaded: z.literal(true),
    type: z.literal("builtin"),
    version: z.string(),
    filesUploaded: z.literal(0),
    files: z.array(z.string()).max(0),
  }),
  modelStatus: z.object({
    loaded: z.literal(false),
    name: z.null(),
    version: z.null(),
    filesUploaded: z.literal(0),
    activeModels: z.array(z.string()).max(0),
    files: z.array(z.string()).max(0),
  }),
  jobs: z.array(z.object({
    name: z.string(),
    periodSeconds: z.number().nullable(),
    state: z.enum(["ok", "error", "running", "died", "never_run"]),
    lastRun: JobRun.nullable(),
    nextDueAt: Timestamp.nullable(),
    overdue: z.boolean(),
  })),
  agents: z.object({
    online: z.number().int(),
    stale: z.number().int(),
    offline: z.number().int(),
    disabled: z.number().int(),
    other: z.number().int(),
    total: z.number().int(),
    heartbeatTimeoutSeconds: z.number().int(),
  }).nullable(),
  commands: z.object({
    pending: z.number().int(),
    delivered: z.number().int(),
    expired: z.number().int(),
    expiredLast24h: z.number().int(),
  }).nullable(),
});
