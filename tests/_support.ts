/**
 * Test support: each test file gets its own database on the one private MariaDB that
 * `deno task test` starts, reached through the real driver and the real protocol endpoint (in
 * process). Nothing is faked but the clock.
 */
import { parseConfig } from "../config.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../core/log.ts";
import type { Clock } from "../core/log.ts";
import { signAdminToken, signClientToken } from "../core/tokens.ts";
import type { Db } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { startLocalStack } from "../db/local/stack.ts";
import type { LocalStack } from "../db/local/stack.ts";
import { createApp } from "../routes/mod.ts";
import { createServices } from "../services/mod.ts";
import type { AppDeps } from "../routes/_app.ts";
import { testBackend } from "./_mariadb.ts";

/** A settable clock for tests. */
export interface TestClock extends Clock {
  set(d: Date | string): void;
  advance(ms: number): void;
}

/** Creates a clock fixed at `start` until moved. */
export function testClock(start: Date | string = "2026-11-27T12:00:00.000Z"): TestClock {
  let now = new Date(start);
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (d) => {
    now = new Date(d);
  };
  clock.advance = (ms) => {
    now = new Date(now.getTime() + ms);
  };
  return clock;
}

let stack: LocalStack | null = null;

/** The worker's local stack (one endpoint in front of the test MariaDB). */
export async function testStack(): Promise<LocalStack> {
  if (!stack) stack = await startLocalStack({ backend: testBackend() });
  return stack;
}

/** Opens a fresh, migrated database named after the suite. */
export async function testDb(suite: string): Promise<Db> {
  const s = await testStack();
  const name = `t_${suite.replace(/\W/g, "_").slice(0, 40)}_${crypto.randomUUID().slice(0, 8)}`;
  const db = s.open(name);
  await migrate(db);
  return db;
}

/** A random signing-key spec for tests. */
export function testKeySpec(kid = "test"): string {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const b64 = btoa(String.fromCharCode(...secret)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
  return `${kid}:${b64}`;
}

/** Everything a test needs around one app instance. */
export interface TestContext {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  db: Db;
  clock: TestClock;
  config: Config;
  /** Every log line written by this app (JSON text). */
  logs: string[];
  adminToken: string;
  /** Inserts a client and returns its id and a signed client token. */
  createClient(name?: string): Promise<{ id: string; token: string }>;
  /** Sends a request with an optional bearer token and JSON body. */
  request(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
}

/** Builds an app on its own database with a test clock and captured logs. */
export async function testContext(
  suite: string,
  opts: {
    env?: Record<string, string>;
    clock?: TestClock;
    db?: Db;
    /** false: no decision engine after pricing reports (say so only when a test needs that). */
    engine?: boolean;
  } = {},
): Promise<TestContext> {
  const db = opts.db ?? await testDb(suite);
  const clock = opts.clock ?? testClock();
  const config = parseConfig({
    TOKEN_SIGNING_KEYS: testKeySpec(),
    ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
    LOG_LEVEL: "debug",
    CRON_ENABLED: "false",
    ...opts.env,
  });
  const logs: string[] = [];
  const log = createLogger({ level: "debug", sink: (l) => logs.push(l), now: clock });
  // The production services (decision engine included) unless the test turns the engine off.
  const deps = createServices(config, db, clock, log, {
    instanceName: `test-${suite}`,
    engine: opts.engine,
  });
  const { services } = deps;
  const app = createApp(deps);
  const adminToken = await signAdminToken(services.keys, {
    subject: "test-admin",
    now: clock(),
    ttlSeconds: 3600 * 24 * 365,
  });
  return {
    app,
    deps,
    db,
    clock,
    config,
    logs,
    adminToken,
    async createClient(name) {
      const id = crypto.randomUUID();
      const n = name ?? `client-${id.slice(0, 8)}`;
      await db.execute(
        "INSERT INTO clients (id, name, email, token_version) VALUES (?, ?, ?, 1)",
        [id, n, `${id.slice(0, 8)}@example.test`],
      );
      const token = await signClientToken(services.keys, {
        clientId: id,
        version: 1,
        now: clock(),
      });
      return { id, token };
    },
    request(method, path, ro = {}) {
      const headers: Record<string, string> = { ...ro.headers };
      if (ro.token) headers["Authorization"] = `Bearer ${ro.token}`;
      let body: string | undefined;
      if (ro.body !== undefined) {
        headers["Content-Type"] ??= "application/json";
        body = typeof ro.body === "string" ? ro.body : JSON.stringify(ro.body);
      }
      return Promise.resolve(app.request(path, { method, headers, body }));
    },
  };
}
