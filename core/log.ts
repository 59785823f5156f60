/**
 * Structured logging: one JSON object per line. The sink is injected so tests can capture lines
 * (and prove that no secret is ever logged).
 */

/** Severity levels in increasing order. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra structured fields of a log line. */
export type LogFields = Record<string, unknown>;

/** The logger every module receives through its dependencies. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. a request id). */
  child(fields: LogFields): Logger;
  /** True when lines of `level` are written (lets hot paths skip building their fields). */
  enabled(level: LogLevel): boolean;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Builds a logger writing JSON lines at or above `level` to `sink` (console.log by default). */
export function createLogger(
  opts: { level?: LogLevel; sink?: (line: string) => void; now?: () => Date; base?: LogFields } =
    {},
): Logger {
  const min = ORDER[opts.level ?? "info"];
  const sink = opts.sink ?? ((line: string) => console.log(line));
  const now = opts.now ?? (() => new Date());
  return make(opts.base ?? {});

  // Children share the level, sink and clock; only their base fields differ (a request makes two
  // children, so they must be cheap: no fields are merged until a line is actually written).
  function make(base: LogFields): Logger {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (ORDER[level] < min) return;
      sink(
        JSON.stringify({ ts: now().toISOString(), level, msg, ...base, ...fields }, errorReplacer),
      );
    };
    return {
      debug: (m, f) => write("debug", m, f),
      info: (m, f) => write("info", m, f),
      warn: (m, f) => write("warn", m, f),
      error: (m, f) => write("error", m, f),
      child: (fields) => make({ ...base, ...fields }),
      enabled: (level) => ORDER[level] >= min,
    };
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** A clock: the one way code learns the time, so tests can fix it. */
export type Clock = () => Date;

/** The real clock. */
export function systemClock(): Date {
  return new Date();
}
