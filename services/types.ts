/**
 * The dependencies every flow (and every HTTP handler) receives: the database, configuration,
 * clock, logger and the process-wide services built once by createServices (services/mod.ts).
 * routes/_app.ts re-exports these types for the HTTP layer.
 */
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Clock, Logger } from "../core/log.ts";
import type { TokenKeys } from "../core/tokens.ts";
import type { AuthCache } from "../core/auth_cache.ts";
import type { RateLimiter } from "../core/rate_limit.ts";
import type { NormalizedPricing } from "../core/pricing_report.ts";
import type { HealthBuffer } from "./health_buffer.ts";
import type { HeartbeatMemo } from "./heartbeat.ts";
import type { JobDef } from "../jobs/_runner.ts";

/** A client (tenant) resolved from its token. */
export interface ClientPrincipal {
  kind: "client";
  clientId: string;
  clientName: string;
  clientEmail: string;
  /** SHA-256 of the presented token: the auth cache key, never the token itself. */
  tokenHash: string;
}

/** Background work started after a response (awaited on shutdown and in tests). */
export interface Background {
  run(name: string, task: () => Promise<unknown>): void;
  drain(): Promise<void>;
}

/** A stored pricing report, handed to the decision engine after the agent got its answer. */
export interface PricingReportEvent extends NormalizedPricing {
  agentId: string;
  clientId: string;
  receivedAt: Date;
}

/** The decision engine's entry point for pricing reports. */
export type PricingReportHook = (deps: AppDeps, event: PricingReportEvent) => Promise<void>;

/** Process-wide state shared by all requests of one app instance (built by createServices). */
export interface AppServices {
  keys: TokenKeys;
  authCache: AuthCache<ClientPrincipal>;
  validateLimiter: RateLimiter;
  background: Background;
  instanceName: string;
  /** Per-agent heartbeat aggregates, flushed to agent_health_metrics (no heartbeat round trip). */
  healthBuffer: HealthBuffer;
  /** The heartbeat write-behind memo (services/heartbeat.ts); absorbs only while its flusher runs. */
  heartbeats: HeartbeatMemo;
  /** The scheduled jobs (jobs/mod.ts JOBS), for the admin system-health verdict. */
  jobs: readonly Pick<JobDef, "name" | "periodSeconds" | "offsetSeconds">[];
  /** Last auth_failed event per key (ms): one event per minute per code and route. */
  authFailures: Map<string, number>;
  /**
   * The decision engine run after every stored pricing report; null only when createServices was
   * asked for `{ engine: false }` explicitly.
   */
  onPricingReport: PricingReportHook | null;
}

/** Everything a flow or handler may use: injected, never imported as a singleton. */
export interface AppDeps {
  db: Db;
  config: Config;
  clock: Clock;
  log: Logger;
  services: AppServices;
}
