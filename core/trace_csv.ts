/**
 * The price-trace CSV read by the replay (`deno task replay --trace FILE.csv`). Pure: text in.
 *
 * Format: a header row naming the columns (any order, names case-insensitive), then one row per pool
 * observation. Required columns: `time,pool_id,instance_type,az,region,spot_price,ondemand_price`.
 * Optional column `event`: empty for a price row, or `interruption` for an interruption observed in
 * `pool_id` at `time` (its price cells may be empty and are ignored). Times are ISO-8601 with a zone
 * (`Z` or `±hh:mm`): a naive time is ambiguous and refused. Prices are $/hour, finite and > 0.
 * `pool_id` must be `<instance_type>.<az>` (CONTRACT T-05). Blank lines and lines starting with `#`
 * are skipped. Cells are plain: no quoting, so no commas inside a cell.
 * @module
 */

/** One price observation of one pool, with the on-demand price of its instance type. */
export interface TracePoint {
  time: Date;
  poolId: string;
  instanceType: string;
  az: string;
  region: string;
  spotPrice: number;
  onDemandPrice: number;
}

/** An interruption observed in a pool. */
export interface TraceInterruption {
  at: Date;
  poolId: string;
}

/** A trace, as parsed. */
export interface ParsedTrace {
  points: TracePoint[];
  interruptions: TraceInterruption[];
}

/** A malformed trace; `line` is 1-based in the input text. */
export class TraceParseError extends Error {
  /** The 1-based line of the input the error is about. */
  readonly line: number;
  /** Builds the error with its line number in the message. */
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "TraceParseError";
    this.line = line;
  }
}

const REQUIRED = [
  "time",
  "pool_id",
  "instance_type",
  "az",
  "region",
  "spot_price",
  "ondemand_price",
] as const;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses the trace CSV; throws TraceParseError naming the line and the cell at fault. */
export function parseTraceCsv(text: string): ParsedTrace {
  const lines = text.split(/\r?\n/);
  let headerAt = -1;
  for (let i = 0; i < lines.length && headerAt < 0; i++) {
    if (!skip(lines[i])) headerAt = i;
  }
  if (headerAt < 0) throw new TraceParseError(1, "empty trace: expected a header row");
  const header = lines[headerAt].split(",").map((h) => h.trim().toLowerCase());
  const col = new Map(header.map((h, i) => [h, i]));
  const missing = REQUIRED.filter((c) => !col.has(c));
  if (missing.length) {
    throw new TraceParseError(headerAt + 1, `header lacks column(s) ${missing.join(", ")}`);
  }
  const points: TracePoint[] = [];
  const interruptions: TraceInterruption[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    if (skip(lines[i])) continue;
    const line = i + 1;
    const cells = lines[i].split(",").map((c) => c.trim());
    if (cells.length !== header.length) {
      throw new TraceParseError(line, `${cells.length} cells, header has ${header.length}`);
    }
    const get = (name: string): string => cells[col.get(name) ?? -1] ?? "";
    const time = parseTime(get("time"), line);
    const poolId = get("pool_id");
    const event = get("event").toLowerCase();
    if (event === "interruption") {
      if (!poolId.includes(".")) throw new TraceParseError(line, `pool_id '${poolId}' is invalid`);
      interruptions.push({ at: time, poolId });
      continue;
    }
    if (event !== "") {
      throw new TraceParseError(
        line,
        `event '${event}' is unknown (expected empty or interruption)`,
      );
    }
    const instanceType = get("instance_type");
    const az = get("az");
    if (poolId !== `${instanceType}.${az}`) {
      throw new TraceParseError(line, `pool_id '${poolId}' is not '<instance_type>.<az>'`);
    }
    points.push({
      time,
      poolId,
      instanceType,
      az,
      region: get("region"),
      spotPrice: parsePrice(get("spot_price"), { line, name: "spot_price" }),
      onDemandPrice: parsePrice(get("ondemand_price"), { line, name: "ondemand_price" }),
    });
  }
  if (points.length === 0) {
    throw new TraceParseError(headerAt + 1, "no price rows after the header");
  }
  return { points, interruptions };
}

function skip(line: string): boolean {
  const t = line.trim();
  return t === "" || t.startsWith("#");
}

function parseTime(cell: string, line: number): Date {
  const ms = ISO_WITH_ZONE.test(cell) ? Date.parse(cell) : NaN;
  if (Number.isNaN(ms)) {
    throw new TraceParseError(
      line,
      `time '${cell}' is not ISO-8601 with a zone (e.g. 2025-01-01T00:00:00Z)`,
    );
  }
  return new Date(ms);
}

function parsePrice(cell: string, at: { line: number; name: string }): number {
  const value = cell === "" ? NaN : Number(cell);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new TraceParseError(at.line, `${at.name} '${cell}' is not a positive number`);
  }
  return value;
}
