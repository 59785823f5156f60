/**
 * Every job of jobs/mod.ts registered with Deno.cron at module top level, as Deno Deploy requires
 * (crons registered later, e.g. inside an async main or after database calls, are never picked
 * up: STACK-NOTES section 5). main.ts imports this module first, so the registration runs before
 * anything else of main.ts and before Deno.serve. The schedules come from the environment read
 * here; the jobs' dependencies are built later by main.ts and handed over with `setCronDeps`.
 * Until then, and whenever CRON_ENABLED=false, a tick returns at once.
 */
import { ConfigError, parseConfig } from "./config.ts";
import type { JobDeps } from "./jobs/_runner.ts";
import { registerJobs } from "./jobs/mod.ts";

let current: JobDeps | null = null;
const abort = new AbortController();

/** Hands the jobs their dependencies (main.ts, once the database and services exist). */
export function setCronDeps(deps: JobDeps): void {
  current = deps;
}

/** Stops the cron handlers (graceful shutdown). */
export function stopCrons(): void {
  abort.abort();
}

function bootConfig() {
  try {
    return parseConfig(Deno.env.toObject());
  } catch (err) {
    // main.ts parses the same environment and exits 2 naming the bad variable.
    if (err instanceof ConfigError) return null;
    throw err;
  }
}

const config = bootConfig();

/** The jobs registered at start-up (empty when the environment is invalid). */
export const registeredJobs: readonly string[] = config
  ? registerJobs(config, () => current, { signal: abort.signal })
  : [];
