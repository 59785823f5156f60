/** Builds the process-wide services of one app instance from the configuration. */
import type { Config } from "../config.ts";
import { ConfigError } from "../config.ts";
import type { Logger } from "../core/log.ts";
import { parseSigningKeys } from "../core/tokens.ts";
import type { TokenKeys } from "../core/tokens.ts";
import { createAuthCache } from "../core/auth_cache.ts";
import { createRateLimiter } from "../routes/_middleware/rate_limit.ts";
import { createBackground } from "./background.ts";
import { createHealthBuffer } from "./health_buffer.ts";
import type { AppServices, ClientPrincipal } from "../routes/_app.ts";

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

/** Creates the services (keys, auth cache, rate limiter, background runner). */
export function createServices(config: Config, log: Logger, instanceName?: string): AppServices {
  return {
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
    instanceName: instanceName ?? config.INSTANCE_NAME ?? `${Deno.hostname()}-${Deno.pid}`,
    healthBuffer: createHealthBuffer({ flushSeconds: config.HEALTH_METRICS_FLUSH_SECONDS }),
  };
}
