/**
 * Replays a price trace through the decision engine and prints what it would have done.
 *
 *   deno task replay --trace FILE.csv [--policy key=value,...] [--config key=value,...]
 *                    [--start-pool POOL_ID] [--instance-type TYPE] [--interrupt-above-ondemand]
 *                    [--json]
 *
 * --policy overrides DecisionPolicy fields and --config the agent's AgentConfig fields (camelCase
 * or snake_case keys, e.g. `--policy hysteresis_factor=3 --config min_savings_percent=20`).
 * --start-pool starts on spot in that pool instead of on-demand. --json prints one JSON object.
 * After the engine's own replay it prints the comparison of core/replay_compare.ts: the engine beside
 * the baselines and the hindsight optimum, all scored by one cost model on the trace re-sent every
 * 300 s. --instance-type picks one type of a mixed trace; --interrupt-above-ondemand terminates a spot
 * instance whose pool rises above on-demand (the bid-era rule).
 * Exit status: 0 done, 1 bad trace or option value, 2 usage error.
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { decisionPolicySchema } from "../core/decision_policy.ts";
import { parseTraceCsv, replay, type ReplayResult, TraceParseError } from "../core/replay.ts";
import { compareAll, type Comparison } from "../core/replay_compare.ts";

const USAGE = "usage: deno task replay --trace FILE.csv [--policy k=v,...] [--config k=v,...] " +
  "[--start-pool POOL_ID] [--instance-type TYPE] [--interrupt-above-ondemand] [--json]";

const configSchema = z.object({
  autoSwitchEnabled: z.enum(["true", "false"]).transform((v) => v === "true"),
  minSavingsPercent: z.coerce.number().finite().nonnegative(),
  riskThreshold: z.coerce.number().finite().min(0).max(1),
  maxSwitchesPerDay: z.coerce.number().int().nonnegative(),
  maxSwitchesPerWeek: z.coerce.number().int().nonnegative(),
  minPoolDurationHours: z.coerce.number().finite().nonnegative(),
}).strict().partial();

/** Runs the CLI with its arguments; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        trace: { type: "string" },
        policy: { type: "string", multiple: true },
        config: { type: "string", multiple: true },
        "start-pool": { type: "string" },
        "instance-type": { type: "string" },
        "interrupt-above-ondemand": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.trace) {
    console.error(`--trace is required\n${USAGE}`);
    return 2;
  }
  try {
    const policy = validate(
      "--policy",
      decisionPolicySchema,
      numbers(keyValues(values.policy ?? [])),
    );
    const config = validate("--config", configSchema, keyValues(values.config ?? []));
    const trace = parseTraceCsv(await Deno.readTextFile(values.trace));
    const startPool = values["start-pool"] ?? null;
    const instanceType = values["instance-type"];
    const comparison = compareAll(trace.points, trace.interruptions, {
      policy,
      config,
      instanceType,
      interruptAboveOnDemand: values["interrupt-above-ondemand"],
    });
    const points = trace.points.filter((p) => p.instanceType === comparison.instance_type);
    const result = replay(points, {
      policy,
      config,
      interruptions: trace.interruptions,
      startMode: startPool ? "spot" : "ondemand",
      startPool,
    });
    for (const p of comparison.policies) delete p.plan;
    console.log(
      values.json
        ? JSON.stringify({ ...result, comparison })
        : `${summary(values.trace, result)}\n\n${table(comparison)}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof OptionError) {
      console.error(err.message);
    } else if (err instanceof TraceParseError) {
      console.error(`${values.trace}: ${err.message}`);
    } else {
      console.error((err as Error).message);
    }
    return 1;
  }
}

class OptionError extends Error {}

// Parses with the schema; a failure names the flag and the fields so the user can fix the command.
function validate<T extends z.ZodType>(flag: string, schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "key"}: ${i.message}`);
  throw new OptionError(`invalid ${flag}: ${issues.join("; ")}`);
}

function numbers(raw: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === "" ? NaN : Number(v)]));
}

// "a=1,b_c=2" (repeatable) → { a: "1", bC: "2" }; snake_case keys become the camelCase fields.
function keyValues(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of items.flatMap((i) => i.split(",")).filter((p) => p.trim() !== "")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new OptionError(`expected key=value, got '${pair}'`);
    const key = pair.slice(0, eq).trim().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[key] = pair.slice(eq + 1).trim();
  }
  return out;
}

function summary(file: string, r: ReplayResult): string {
  const lines = [`Replay of ${file}: ${r.evaluations} evaluations over ${r.hours} h`, "", "Moves:"];
  for (const d of r.decisions) {
    lines.push(`  ${d.time}  ${d.action.padEnd(18)} → ${d.target.padEnd(24)} ${d.reason_code}`);
  }
  if (r.decisions.length === 0) lines.push("  (none)");
  lines.push(
    "",
    `Cost:        $${r.total_cost.toFixed(4)} (overlap $${r.overlap_cost.toFixed(4)}) vs ` +
      `on-demand $${r.ondemand_cost.toFixed(4)}`,
    `Savings:     ${r.savings_pct.toFixed(2)} %`,
    `Moves:       ${r.moves} (flaps ${r.flaps}, interruptions ${r.interruptions})`,
    "",
    "Hours by pool:",
    ...Object.entries(r.hours_by_pool).map(([k, h]) => `  ${k.padEnd(24)} ${h.toFixed(2)}`),
    "",
    "Stays by reason:",
    ...Object.entries(r.stays_by_reason).sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `  ${k.padEnd(24)} ${n}`),
  );
  return lines.join("\n");
}

/** The comparison as a Markdown table (as recorded in bench/RESULTS.md). */
export function table(c: Comparison): string {
  const head =
    "| policy | savings % | % of optimum | moves | flaps | interruptions | h on-demand | $ |";
  const rows = c.policies.map((p) =>
    `| ${p.policy} | ${p.savings_pct.toFixed(2)} | ${p.pct_of_optimum?.toFixed(1) ?? "-"} | ` +
    `${p.moves} | ${p.flaps} | ${p.interruptions} | ${p.hours_ondemand.toFixed(2)} | ` +
    `${p.total_cost.toFixed(4)} |`
  );
  return [
    `Policies on ${c.instance_type}, ${c.hours} h (${c.steps} steps of 300 s):`,
    "",
    head,
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
