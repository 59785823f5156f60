/**
 * CSV exports (RFC 4180): CRLF line ends, a header row, every cell that contains a quote, comma,
 * CR or LF quoted with inner quotes doubled. Spreadsheet formula injection is neutralised: a text
 * cell starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading single quote (OWASP "CSV
 * injection"), so a hostile instance name never runs as a formula in Excel or LibreOffice. Numbers
 * are written as numbers (a negative saving stays `-1.5`, it is not a formula).
 */

/** One CSV cell value. */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** Escapes one cell. */
export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return "";
  let s: string;
  if (typeof v === "number") s = Number.isFinite(v) ? String(v) : "";
  else if (typeof v === "boolean") s = v ? "true" : "false";
  else s = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Builds a whole CSV document: the header row, then one line per row, CRLF separated. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header.map(csvCell).join(",")];
  for (const r of rows) lines.push(r.map(csvCell).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** Headers of a CSV attachment named `filename` (ASCII letters, digits, `._-` only). */
export function csvHeaders(filename: string): Record<string, string> {
  const safe = filename.replace(/[^A-Za-z0-9._-]/g, "_");
  return {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${safe}"`,
    "Cache-Control": "no-store",
  };
}
