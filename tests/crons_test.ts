/**
 * Crons as Deno Deploy needs them: every job of jobs/mod.ts is registered with Deno.cron at the
 * entry module's top level, before Deno.serve (main.ts run as a subprocess, Deno.cron and
 * Deno.serve replaced by spies); CRON_ENABLED=false keeps the registration and makes every tick
 * return at once.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../config.ts";
import { createLogger } from "../core/log.ts";
import type { Db } from "../db/client.ts";
import { JOBS, registerJobs } from "../jobs/mod.ts";
import { serveTestDb } from "./_served_db.ts";
import { testClock, testKeySpec } from "./_support.ts";

const ROOT = new URL("../", import.meta.url);

async function runMain(env: Record<string, string>): Promise<{ calls: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--preload", "tests/fixtures/cron_spy.ts", "main.ts"],
    cwd: ROOT,
    env: { TOKEN_SIGNING_KEYS: testKeySpec(), PORT: "0", LOG_LEVEL: "error", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

Deno.test("crons: main.ts registers every job of jobs/mod.ts at top level, before Deno.serve", async () => {
  const served = await serveTestDb("crons_main");
  try {
    for (const enabled of ["true", "false"]) {
      const { calls } = await runMain({
        DATABASE_URL: served.url,
        CRON_ENABLED: enabled,
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
      });
      const names = JOBS.map((j) => `cron:${j.name}`);
      // All jobs first, then main() (its schema check), then the server: registration waits
      // neither for the database nor for main(), and happens with CRON_ENABLED=false too.
      assert.deepEqual(calls, [...names, "db", "serve"], `CRON_ENABLED=${enabled}`);
    }
  } finally {
    await served.close();
  }
});

Deno.test("crons: a tick returns at once before main.ts hands over its deps, and with CRON_ENABLED=false", async () => {
  const handlers = new Map<string, () => Promise<void>>();
  const cron = (name: string, _s: string, _o: unknown, h: () => Promise<void>) => {
    handlers.set(name, h);
  };
  let touched = 0;
  const db = new Proxy({}, {
    get() {
      touched++;
      throw new Error("the database must not be touched");
    },
  }) as Db;
  const log = createLogger({ level: "error", sink: () => {} });
  const off = parseConfig({ CRON_ENABLED: "false" });
  let deps: Parameters<typeof registerJobs>[1] extends () => infer D ? D : never = null;
  const names = registerJobs(off, () => deps, { cron });
  assert.deepEqual(names, JOBS.map((j) => j.name));
  assert.deepEqual([...handlers.keys()], names);
  for (const h of handlers.values()) await h(); // no deps yet
  deps = { db, config: off, clock: testClock(), log, instanceName: "t" };
  for (const h of handlers.values()) await h(); // deps, but CRON_ENABLED=false
  assert.equal(touched, 0);
});
