/**
 * Every environment variable the server reads, parsed once by one zod schema. Nothing else in the
 * code reads the environment. A bad value stops start-up with a message naming the variable.
 */
import { z } from "zod";
import { decisionPolicyProblem } from "./core/decision_wire.ts";
import { parseTrustedProxies } from "./core/client_address.ts";
import { type DecisionPolicy, resolveDecisionPolicy } from "./core/decision_policy.ts";

const bool = (dflt: boolean) =>
  z.enum(["true", "false", "1", "0", "yes", "no"]).default(dflt ? "true" : "false").transform((
    v,
  ) => v === "true" || v === "1" || v === "yes");
const int = (dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(dflt);
const dec = (dflt: number, min = 0, max = Number.MAX_VALUE) =>
  z.coerce.number().min(min).max(max).default(dflt);
const optionalString = z.string().trim().min(1).optional();

/** The schema of the environment: names, defaults and limits. */
export const configSchema = z.object({
  // Serving
  DATABASE_URL: z.string().url().optional(),
  PORT: int(8000, 0, 65535),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Comma-separated origins allowed by CORS, or `*` (bearer tokens, no cookies: see README). */
  CORS_ORIGINS: z.string().default("*"),
  MAX_BODY_BYTES: int(256 * 1024, 1024, 16 * 1024 * 1024),
  /** A request body must arrive within this many ms once its route authenticated it (408). */
  BODY_READ_TIMEOUT_MS: int(15_000, 100, 300_000),
  /**
   * Which hops may set the client address (rate limits, logs): `none` (default: the socket's
   * peer, X-Forwarded-For ignored), a count of reverse proxies in front of the server, or a
   * comma-separated list of their CIDRs. See README "Client addresses".
   */
  TRUSTED_PROXIES: z.string().default("none").superRefine((v, ctx) => {
    try {
      parseTrustedProxies(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  }),
  DB_TIMEOUT_MS: int(8000, 100, 60000),
  CRON_ENABLED: bool(true),
  /**
   * Apply schema.sql and the migrations at start (always in `deno task dev`). Off by default in
   * production: PlanetScale production branches refuse direct DDL (deploy requests), and many
   * instances starting at once should not all run DDL. `deno task migrate` does it once.
   */
  MIGRATE_ON_START: bool(false),
  /** Name of this instance in job_runs and logs (defaults to hostname + pid). */
  INSTANCE_NAME: optionalString,

  // Credentials
  /** `kid:base64url-secret[,kid:secret...]`; the first signs, all verify. */
  TOKEN_SIGNING_KEYS: optionalString,
  TOKEN_ISSUER: z.string().default("spot-optimizer"),
  TOKEN_AUDIENCE: z.string().default("spot-optimizer-api"),
  TOKEN_CLOCK_TOLERANCE: int(30, 0, 3600),
  /** Lifetime of client tokens in seconds; unset = no expiry (agents run unattended for months). */
  CLIENT_TOKEN_TTL: z.coerce.number().int().positive().optional(),
  ADMIN_TOKEN: optionalString,
  /** Bearer token that may read GET /metrics (besides the admin credential). */
  METRICS_TOKEN: optionalString,
  ADMIN_TOKEN_TTL: int(12 * 3600, 60, 30 * 24 * 3600),
  /** Seconds a verified token is trusted in-process without a database round trip. */
  AUTH_CACHE_TTL: int(30, 0, 3600),
  /** Failed /api/client/validate attempts allowed per source address per minute. */
  VALIDATE_RATE_LIMIT: int(20, 1, 100000),

  // Seed: termination handling
  TERMINATION_REPLICA_AUTO_CREATE: bool(true),
  TERMINATION_NOTIFICATION_WEBHOOK: z.string().url().optional(),
  // Seed: cleanup settings
  AUTO_CLEANUP_ENABLED: bool(true),
  CLEANUP_SNAPSHOTS_DAYS: int(7, 0, 3650),
  CLEANUP_AMIS_DAYS: int(30, 0, 3650),
  // Seed: savings calculation
  SAVINGS_CALCULATION_HOUR: int(0, 0, 23),
  // Seed: agent health monitoring
  AGENT_HEARTBEAT_TIMEOUT: int(300, 30, 86400),
  STALE_AGENT_CHECK_INTERVAL: int(21600, 60, 7 * 86400),
  // Seed: pool risk analysis
  POOL_RISK_ANALYSIS_INTERVAL: int(900, 60, 86400),
  POOL_RISK_HIGH_THRESHOLD: dec(0.70, 0, 1),
  POOL_RISK_MEDIUM_THRESHOLD: dec(0.40, 0, 1),

  // Commands and metrics
  /** A delivered command that nobody completes expires after this many seconds. */
  COMMAND_DELIVERY_TIMEOUT: int(3600, 60, 7 * 86400),
  /** A command that no instance picked up expires after this many seconds. */
  COMMAND_PENDING_TTL: int(86400, 60, 30 * 86400),
  /**
   * pending-commands answers [] from memory for this many seconds after an empty answer (0 = off);
   * this process's own command inserts invalidate at once, another instance's are seen within it.
   */
  COMMAND_POLL_CACHE_SECONDS: int(35, 0, 300),
  /**
   * A heartbeat that repeats the agent's last verified beat is answered from memory and written
   * in one batched UPDATE every N seconds (0 = every beat is its own UPDATE); services/heartbeat.ts.
   */
  HEARTBEAT_WRITE_BEHIND_SECONDS: int(5, 0, 60),
  METRICS_RETENTION_DAYS: int(30, 1, 3650),
  /** Server-side heartbeat metrics are aggregated per agent and written every N seconds. */
  HEALTH_METRICS_FLUSH_SECONDS: int(300, 5, 86400),
  /**
   * JSON object overriding decision-engine policy fields (see README), parsed here once into the
   * complete policy the engine uses.
   */
  DECISION_POLICY: z.string().default("{}").transform((v, ctx): DecisionPolicy => {
    const problem = decisionPolicyProblem(v);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    return resolveDecisionPolicy(JSON.parse(v));
  }),
}).refine((c) => c.POOL_RISK_MEDIUM_THRESHOLD < c.POOL_RISK_HIGH_THRESHOLD, {
  message: "POOL_RISK_MEDIUM_THRESHOLD must be below POOL_RISK_HIGH_THRESHOLD",
  path: ["POOL_RISK_MEDIUM_THRESHOLD"],
});

/** The parsed configuration. */
export type Config = z.infer<typeof configSchema>;

/** Raised when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses an environment map (Deno.env.toObject() in main, a literal in tests). */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") cleaned[k] = v;
  const r = configSchema.safeParse(cleaned);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join(".") || "(config)"}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return r.data;
}
