/**
 * The reusable field validators of the API (README "Input rules"): timestamps MySQL can store,
 * well-formed bounded text, identifiers, decimal-only numeric query parameters and the agent's
 * mode names. Route schemas use these instead of bare `z.string()` / `z.coerce.number()`.
 */
import { z } from "@hono/zod-openapi";
import { parseAgentTime } from "../core/agent_time.ts";
import { isIdentifier, isPlausibleAgentTime, isStorableTime } from "../core/text.ts";
import { BadRequestError } from "./_errors.ts";

const TIME_RANGE = "between 1970-01-01T00:00:01Z and 2038-01-19T03:14:07Z";

/**
 * An ISO-8601 timestamp as the agent writes it (zone optional = UTC, CONTRACT T-35) that every
 * time column can hold. Stays a string; read it with parseAgentTime. Whether an agent's event
 * time is also plausible against the server's clock is checked where it is stored
 * (`plausibleAgentTime`). `allowEmpty`: "" passes (read as absent).
 */
export function agentTime(opts: { allowEmpty?: boolean } = {}): z.ZodString {
  return z.string().max(64).refine((v) => {
    if (v === "" && opts.allowEmpty) return true;
    const d = parseAgentTime(v);
    return d !== null && isStorableTime(d);
  }, { message: `must be an ISO-8601 timestamp ${TIME_RANGE}` });
}

/** Free text of at most `max` UTF-16 units without lone surrogates (over-long is a 400). */
export function wellFormedText(max: number): z.ZodString {
  return z.string().max(max).refine((v) => v.isWellFormed(), {
    message: "must be well-formed Unicode (no lone surrogates)",
  });
}

/**
 * An identifier (instance, AMI, pool, replica ids, logical agent ids): 1..max characters, no
 * control, bidi-override, zero-width or replacement characters, no surrounding whitespace.
 */
export function identifier(max: number): z.ZodString {
  return z.string().min(1).max(max).refine(isIdentifier, {
    message: "must not contain control, bidi-override or zero-width characters",
  });
}

/**
 * A numeric query parameter: decimal digits only (`0x10`, `1e3`, `-1`, `1.5` and an empty value
 * are a 400), within [min, max]; `def` when absent.
 */
export function decimalInt(
  min: number,
  max: number,
  def: number,
): z.ZodDefault<z.ZodType<number, string>>;
/** The same without a default: absent stays undefined. */
export function decimalInt(min: number, max: number): z.ZodOptional<z.ZodType<number, string>>;
export function decimalInt(
  min: number,
  max: number,
  def?: number,
): z.ZodDefault<z.ZodType<number, string>> | z.ZodOptional<z.ZodType<number, string>> {
  const base = z.string().regex(/^[0-9]{1,12}$/, { message: "must be a decimal integer" })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max)) as unknown as z.ZodType<number, string>;
  const doc = { type: "integer" as const, minimum: min, maximum: max };
  return def === undefined
    ? base.optional().openapi(doc)
    : base.default(def).openapi({ ...doc, default: def });
}

/** The agent's mode names (register, heartbeat): spot, on-demand spellings, unknown; else 400. */
export const AGENT_MODES = ["spot", "ondemand", "on-demand", "on_demand", "unknown", "none", ""];

/** `mode` as the agent sends it (case-insensitive, CONTRACT E01/E02); null means not known. */
export function agentMode(): z.ZodString {
  return z.string().max(16).refine((v) => AGENT_MODES.includes(v.trim().toLowerCase()), {
    message: "must be spot, ondemand or unknown",
  });
}

/**
 * An agent-reported event time (already validated by `agentTime()`) as a Date, or null when
 * absent; 400 `time_out_of_window` when it lies more than 30 days before or 1 day after `now`.
 */
export function plausibleAgentTime(
  value: string | null | undefined,
  now: Date,
  field: string,
): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = parseAgentTime(value);
  if (d === null || !isStorableTime(d)) {
    throw new BadRequestError(
      `${field} must be an ISO-8601 timestamp ${TIME_RANGE}`,
      "invalid_time",
    );
  }
  if (!isPlausibleAgentTime(d, now)) {
    throw new BadRequestError(
      `${field} must lie between 30 days before and 1 day after the server's clock`,
      "time_out_of_window",
      { field },
    );
  }
  return d;
}
