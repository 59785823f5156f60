/**
 * Every STALE_AGENT_CHECK_INTERVAL: agents silent for longer than AGENT_HEARTBEAT_TIMEOUT (and not
 * already offline or deleted, `disabled` ones included) go offline with one event and one
 * notification each, and their open segment closes at the last heartbeat. Dashboards do not wait
 * for this job: they derive "online" at read time (db/stale_agents.ts `onlineAgentPredicate`).
 */
import type { JobDef, JobDeps, JobResult } from "./_runner.ts";
import { markStaleAgentsOffline } from "../db/stale_agents.ts";

/** Runs the stale-agent check at `now`. */
export async function runStaleAgents(
  deps: JobDeps,
  now: Date,
  opts: { batchSize?: number } = {},
): Promise<JobResult> {
  const transitions = await markStaleAgentsOffline(deps.db, {
    now,
    timeoutSeconds: deps.config.AGENT_HEARTBEAT_TIMEOUT,
    batchSize: opts.batchSize,
  });
  if (transitions.length > 0) {
    deps.log.info("agents marked offline", {
      count: transitions.length,
      agentIds: transitions.slice(0, 50).map((t) => t.agentId),
    });
  }
  return {
    rowsTouched: transitions.length,
    summary: { markedOffline: transitions.length },
  };
}

/** The job definition registered in jobs/mod.ts. */
export const staleAgentsJob: JobDef = {
  name: "stale_agents",
  periodSeconds: (config) => config.STALE_AGENT_CHECK_INTERVAL,
  leaseSeconds: 300,
  run: (deps, now) => runStaleAgents(deps, now),
};
