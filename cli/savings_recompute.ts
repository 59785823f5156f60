/**
 * `deno task savings:recompute --client <id|all> --from YYYY-MM-DD --to YYYY-MM-DD`: rebuilds the
 * savings ledger rows of a range of finished UTC days (idempotent upserts, oldest day first so each
 * cumulative total chains from the day before), re-chains the totals of later rows and derives
 * clients.total_savings again. Database as for the other CLIs (cli/_env.ts).
 * @module
 */
import { parseArgs } from "node:util";
import { systemClock } from "../core/log.ts";
import { daysBetween, previousUtcDay, utcDayBounds } from "../core/savings.ts";
import { listLedgerClientIds } from "../db/savings.ts";
import { settleDays } from "../jobs/daily_savings.ts";
import { loadCliConfig, openCliDeps, runCli } from "./_env.ts";

/** Longest range one invocation rebuilds (ten years of days). */
export const MAX_RECOMPUTE_DAYS = 3660;

/** A validated recompute request. */
export interface RecomputeRequest {
  client: string;
  days: string[];
}

/** Validates the arguments against `now`; throws RangeError (or TypeError) for the operator. */
export function parseRecomputeArgs(args: string[], now: Date): RecomputeRequest {
  const { values } = parseArgs({
    args,
    options: {
      client: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
    },
    strict: true,
  });
  const client = values.client?.trim();
  if (!client) throw new RangeError("--client <id|all> is required");
  if (!values.from || !values.to) throw new RangeError("--from and --to YYYY-MM-DD are required");
  utcDayBounds(values.from); // throws RangeError on an invalid day
  utcDayBounds(values.to);
  if (values.from > values.to) throw new RangeError("--from must not be after --to");
  const yesterday = previousUtcDay(now);
  if (values.to > yesterday) {
    throw new RangeError(`--to must be a finished UTC day (<= ${yesterday})`);
  }
  const days = daysBetween(values.from, values.to);
  if (days.length > MAX_RECOMPUTE_DAYS) {
    throw new RangeError(`at most ${MAX_RECOMPUTE_DAYS} days per run`);
  }
  return { client, days };
}

const USAGE =
  "usage: deno task savings:recompute --client <id|all> --from YYYY-MM-DD --to YYYY-MM-DD";

async function main(args: string[]): Promise<number> {
  const now = systemClock();
  const req = parseRecomputeArgs(args, now);
  const deps = await openCliDeps(await loadCliConfig(), "savings:recompute");
  try {
    const all = await listLedgerClientIds(deps.db);
    const clientIds = req.client === "all" ? all : all.filter((id) => id === req.client);
    if (clientIds.length === 0) {
      console.error(req.client === "all" ? "no clients yet" : `unknown client "${req.client}"`);
      return req.client === "all" ? 0 : 2;
    }
    const r = await settleDays(deps.db, { clientIds, days: req.days, now, log: deps.log });
    console.log(JSON.stringify({
      clients: clientIds.length,
      from: req.days[0],
      to: req.days[req.days.length - 1],
      ...r,
    }));
    return r.failedClients.length > 0 ? 1 : 0;
  } finally {
    await deps.close();
  }
}

if (import.meta.main) await runCli(main, { usage: USAGE });
