/** createServices: the process-wide services of one app instance, built from the configuration. */
import type { Config } from "../config.ts";
import { ConfigError } from "../config.ts";
import type { Clock, Logger } from "../core/log.ts";
import type { Db } from "../db/client.ts";
import { parseSigningKeys } from "../core/tokens.ts";
import type { TokenKeys } from "../core/tokens.ts";
import { createAuthCache } from "../core/auth_cache.ts";
import { createRateLimiter } from "../core/rate_limit.ts";
import { createBackground } from "./background.ts";
import { createHealthBuffer } from "./health_buffer.ts";
import { createHeartbeatMemo } from "./heartbeat.ts";
import { JOBS } from "../jobs/mod.ts";
import { evaluateAfterPricingReport } from "./decision_evaluation.ts";
import type { AppDeps, AppServices, ClientPrincipal } from "./types.ts";

/** Token keys from TOKEN_SIGNING_KEYS (the first key signs, all verify). */
export function tokenKeysFromConfig(config: Config): TokenKeys {
  if (!config.TOKEN_SIGNING_KEYS) {
    throw new ConfigError(
      "invalid configuration:\n  TOKEN_SIGNING_KEYS: required (kid:base64url-secret of >= 32 bytes)",
    );
  }
  let keys;
  try {
    keys = parseSigningKeys(config.TOKEN_SIGNING_KEYS);
  } catch (err) {
    throw new ConfigError(
      `invalid configuration:\n  TOKEN_SIGNING_KEYS: ${err instanceof Error ? err.message : err}`,
    );
  }
  return {
    signing: keys[0]!,
    accepted: keys,
    issuer: config.TOKEN_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    clockToleranceSeconds: config.TOKEN_CLOCK_TOLERANCE,
  };
}

/** Options of createServices; production passes none. */
export interface ServiceOptions {
  /** Name of this instance in job_runs claims (default INSTANCE_NAME, else host-pid). */
  instanceName?: string;
  /**
   * false turns the decision engine off (no evaluation after pricing reports). Only tests that
   * check what happens without the engine say so; everything else runs the production engine.
   */
  engine?: boolean;
}

/**
 * Builds the dependencies of one app instance: token keys, auth cache, rate limiter, background
 * queue, health buffer and the decision-engine hook run after every pricing report. main.ts,
 * the tests and the bench all build their app from this, so `createApp(createServices(...))` is
 * the production app.
 */
export function createServices(
  config: Config,
  db: Db,
  clock: Clock,
  log: Logger,
  opts: ServiceOptions = {},
): AppDeps {
  const services: AppServices = {
    keys: tokenKeysFromConfig(config),
    authCache: createAuthCache<ClientPrincipal>({
      // AUTH_CACHE_TTL=0 disables caching: entries expire after 1 ms, i.e. before any reuse.
      ttlMs: Math.max(1, config.AUTH_CACHE_TTL * 1000),
      maxEntries: 100_000,
    }),
    validateLimiter: createRateLimiter({
      limit: config.VALIDATE_RATE_LIMIT,
      windowMs: 60_000,
      maxKeys: 50_000,
    }),
    background: createBackground(log),
    instanceName: opts.instanceName ?? config.INSTANCE_NAME ?? `${Deno.hostname()}-${Deno.pid}`,
    healthBuffer: createHealthBuffer({ flushSeconds: config.HEALTH_METRICS_FLUSH_SECONDS }),
    heartbeats: createHeartbeatMemo({ windowSeconds: config.HEARTBEAT_WRITE_BEHIND_SECONDS }),
    authFailures: new Map(),
    jobs: JOBS,
    // The decision engine runs after every stored pricing report, off the agent's request path.
    onPricingReport: opts.engine === false ? null : evaluateAfterPricingReport,
  };
  return { db, config, clock, log, services };
}
