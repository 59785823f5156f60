/**
 * Encoding of MySQL results and errors into the PlanetScale HTTP (psdb.v1alpha1) JSON shape that
 * @planetscale/database 1.20.2 decodes: Vitess type names, protojson zero-value omission, rows as
 * byte lengths plus base64 of the concatenated raw values.
 * @module
 */
import { Buffer } from "node:buffer";

/** A column description as the driver reads it (camelCase, zero values omitted). */
export interface PsdbField {
  name?: string;
  type?: string;
  table?: string;
  orgTable?: string;
  database?: string;
  orgName?: string;
  columnLength?: number;
  charset?: number;
  decimals?: number;
  flags?: number;
}

/** One row: byte length per column ("-1" for NULL) and the base64 of the concatenated values. */
export interface PsdbRow {
  lengths: string[];
  values?: string;
}

/** The `result` object of an Execute reply. */
export interface PsdbResult {
  rowsAffected?: string;
  insertId?: string;
  fields?: PsdbField[];
  rows?: PsdbRow[];
}

/** The subset of mysql2's column definition that the encoder reads. */
export interface ColumnInfo {
  name: string;
  columnType?: number;
  type?: number;
  flags: number | string[];
  characterSet?: number;
  columnLength?: number;
  decimals: number;
  schema?: string;
  table: string;
  orgTable: string;
  orgName: string;
  extendedFormat?: string;
}

// MySQL column flags that change the Vitess type (vitess go/sqltypes modifyType).
const UNSIGNED_FLAG = 32;
const BINARY_FLAG = 128;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;

// Wire type byte -> Vitess type name. NULL (6) has no entry: protojson omits a zero enum.
const BASE_TYPES: Record<number, string> = {
  0: "DECIMAL",
  1: "INT8",
  2: "INT16",
  3: "INT32",
  4: "FLOAT32",
  5: "FLOAT64",
  7: "TIMESTAMP",
  8: "INT64",
  9: "INT24",
  10: "DATE",
  11: "TIME",
  12: "DATETIME",
  13: "YEAR",
  14: "DATE",
  15: "VARCHAR",
  16: "BIT",
  17: "TIMESTAMP",
  18: "DATETIME",
  19: "TIME",
  245: "JSON",
  246: "DECIMAL",
  247: "ENUM",
  248: "SET",
  249: "TEXT",
  250: "TEXT",
  251: "TEXT",
  252: "TEXT",
  253: "VARCHAR",
  254: "CHAR",
  255: "GEOMETRY",
};

const UNSIGNED_TYPES: Record<string, string> = {
  INT8: "UINT8",
  INT16: "UINT16",
  INT24: "UINT24",
  INT32: "UINT32",
  INT64: "UINT64",
};

/** True for the BLOB/TEXT wire types, which is how MariaDB sends its JSON alias. */
export function isBlobFamily(columnType: number): boolean {
  return columnType >= 249 && columnType <= 252;
}

/** Maps a MySQL wire type and column flags to the Vitess type name (undefined for NULL). */
export function vitessType(columnType: number, flags: number): string | undefined {
  const base = BASE_TYPES[columnType];
  if (base === undefined) {
    // Unknown wire types do not exist in MySQL 8 or MariaDB 10.11; degrade to an opaque string.
    if (columnType === 6) return undefined;
    return flags & BINARY_FLAG ? "VARBINARY" : "VARCHAR";
  }
  if (flags & UNSIGNED_FLAG && base in UNSIGNED_TYPES) return UNSIGNED_TYPES[base];
  switch (base) {
    case "CHAR":
      if (flags & SET_FLAG) return "SET";
      if (flags & ENUM_FLAG) return "ENUM";
      return flags & BINARY_FLAG ? "BINARY" : "CHAR";
    case "VARCHAR":
      return flags & BINARY_FLAG ? "VARBINARY" : "VARCHAR";
    case "TEXT":
      return flags & BINARY_FLAG ? "BLOB" : "TEXT";
    default:
      return base;
  }
}

function numericFlags(flags: number | string[]): number {
  return typeof flags === "number" ? flags : 0;
}

/** Encodes one column; `json` marks MariaDB JSON columns that arrive as TEXT on the wire. */
export function encodeField(col: ColumnInfo, json: boolean): PsdbField {
  const flags = numericFlags(col.flags);
  const out: PsdbField = {};
  if (col.name) out.name = col.name;
  const type = json ? "JSON" : vitessType(col.columnType ?? col.type ?? 6, flags);
  if (type) out.type = type;
  if (col.table) out.table = col.table;
  if (col.orgTable) out.orgTable = col.orgTable;
  if (col.schema) out.database = col.schema;
  if (col.orgName) out.orgName = col.orgName;
  if (col.columnLength) out.columnLength = col.columnLength;
  if (col.characterSet) out.charset = col.characterSet;
  if (col.decimals) out.decimals = col.decimals;
  if (flags) out.flags = flags;
  return out;
}

/** Encodes raw rows (Buffer per value, null for NULL) as lengths + base64 values. */
export function encodeRows(rows: readonly (readonly (Uint8Array | null)[])[]): PsdbRow[] {
  const out = new Array<PsdbRow>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const lengths = new Array<string>(row.length);
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        lengths[i] = "-1";
      } else {
        lengths[i] = String(v.length);
        total += v.length;
        parts.push(v);
      }
    }
    out[r] = total === 0
      ? { lengths }
      : { lengths, values: Buffer.concat(parts, total).toString("base64") };
  }
  return out;
}

/** Encodes an OK packet's counters as decimal strings, omitting zeros like protojson does. */
export function encodeOk(affectedRows: unknown, insertId: unknown): PsdbResult {
  const out: PsdbResult = {};
  const affected = String(affectedRows ?? "0");
  const id = String(insertId ?? "0");
  if (affected !== "0") out.rowsAffected = affected;
  if (id !== "0") out.insertId = id;
  return out;
}

/** Vitess vtrpc code for a MySQL errno (vttablet convertErrorCode, the cases the app relies on). */
export function vitessErrorCode(errno: number): string {
  switch (errno) {
    case 1062:
      return "ALREADY_EXISTS";
    case 1146:
    case 1054:
      return "NOT_FOUND";
    case 1064:
    case 1048:
    case 1406:
    case 1264:
    case 1292:
      return "INVALID_ARGUMENT";
    case 1451:
    case 1452:
      return "FAILED_PRECONDITION";
    case 1205:
      return "DEADLINE_EXCEEDED";
    case 1213:
      return "ABORTED";
    default:
      return "UNKNOWN";
  }
}

/** A MySQL server error as mysql2 reports it. */
export interface SqlErrorLike {
  errno: number;
  sqlState?: string;
  sqlMessage?: string;
  message: string;
}

/** True if err carries a MySQL server errno (as opposed to a network or driver error). */
export function isSqlError(err: unknown): err is SqlErrorLike {
  return typeof err === "object" && err !== null &&
    typeof (err as SqlErrorLike).errno === "number" &&
    typeof (err as SqlErrorLike).sqlState === "string";
}

/** The `error` object for a MySQL error: "<msg> (errno N) (sqlstate XXXXX)" and the Vitess code. */
export function encodeSqlError(err: SqlErrorLike): { code: string; message: string } {
  const msg = err.sqlMessage ?? err.message;
  return {
    code: vitessErrorCode(err.errno),
    message: `${msg} (errno ${err.errno}) (sqlstate ${err.sqlState ?? "HY000"})`,
  };
}
