/**
 * Closes what unfinished switches leave open: pending commands past their TTL and delivered
 * commands nobody completed within COMMAND_DELIVERY_TIMEOUT become `expired` (one system event
 * each), and the open segment of a switched-away instance that fell silent is ended at its last
 * heartbeat (so the overlap it costs in the savings ledger stops).
 */
import type { JobDef, JobDeps, JobResult } from "./_runner.ts";
import { expireCommands } from "../db/commands.ts";
import { closeStaleSupersededSegments } from "../db/segments.ts";

/** Runs one pass at `now`. */
export async function run(deps: JobDeps, now: Date): Promise<JobResult> {
  const expired = await expireCommands(deps.db, {
    now,
    deliveryTimeoutSeconds: deps.config.COMMAND_DELIVERY_TIMEOUT,
  });
  const segments = await closeStaleSupersededSegments(deps.db, {
    now,
    timeoutSeconds: deps.config.AGENT_HEARTBEAT_TIMEOUT,
  });
  return { rowsTouched: expired + segments, summary: { expired, segments_closed: segments } };
}

/** The job: every 5 minutes. */
export const expireCommandsJob: JobDef = {
  name: "expire_commands",
  periodSeconds: () => 300,
  leaseSeconds: 240,
  run,
};
