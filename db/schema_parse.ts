/**
 * Reads schema.sql as data: its statements, and for every table its columns and keys. The
 * in-place upgrade of an older database is derived from this, so the schema is written once.
 */

/** One column of a CREATE TABLE, as written. */
export interface ColumnDef {
  name: string;
  definition: string;
}

/** One index of a CREATE TABLE, as written (`UNIQUE KEY uk (a, b)`). */
export interface KeyDef {
  name: string;
  unique: boolean;
  definition: string;
}

/** One table of schema.sql. */
export interface TableDef {
  name: string;
  columns: ColumnDef[];
  keys: KeyDef[];
  statement: string;
}

/**
 * Splits a SQL file into statements: whole-line `--` comments are dropped and a statement ends
 * with `;` at the end of a line (or with a line holding only `separator`, for routines.sql).
 */
export function splitStatements(sql: string, separator = ";"): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const raw of sql.split("\n")) {
    const line = raw.replace(/\s+$/, "");
    if (/^\s*--/.test(line) || (line === "" && current.length === 0)) continue;
    if (separator !== ";") {
      if (line.trim() === separator) {
        if (current.join("").trim()) out.push(current.join("\n").trim());
        current = [];
      } else current.push(line);
      continue;
    }
    current.push(line);
    if (line.endsWith(";")) {
      const stmt = current.join("\n").trim().replace(/;$/, "");
      if (stmt) out.push(stmt);
      current = [];
    }
  }
  const rest = current.join("\n").trim().replace(/;$/, "");
  if (rest) out.push(rest);
  return out;
}

const TABLE_RE = /^CREATE TABLE IF NOT EXISTS (\w+) \(/;

/** Parses the CREATE TABLE statements of a schema into table definitions. */
export function parseTables(statements: string[]): TableDef[] {
  const tables: TableDef[] = [];
  for (const stmt of statements) {
    const m = TABLE_RE.exec(stmt);
    if (!m) continue;
    const body = stmt.split("\n").slice(1, -1);
    const table: TableDef = { name: m[1]!, columns: [], keys: [], statement: stmt };
    for (const raw of body) {
      const line = raw.trim().replace(/,$/, "");
      if (!line || line.startsWith("--")) continue;
      const key = /^(PRIMARY KEY|UNIQUE KEY (\w+)|KEY (\w+)|INDEX (\w+))/.exec(line);
      if (key) {
        if (key[1] === "PRIMARY KEY") continue;
        table.keys.push({
          name: (key[2] ?? key[3] ?? key[4])!,
          unique: line.startsWith("UNIQUE"),
          definition: line,
        });
        continue;
      }
      const col = /^(\w+)\s+(.*)$/.exec(line);
      if (col) table.columns.push({ name: col[1]!, definition: col[2]! });
    }
    tables.push(table);
  }
  return tables;
}

/** The definition to use when adding a column to a table that already has rows. */
export function definitionForExistingRows(def: string): string {
  // A NOT NULL column without a default cannot be filled for old rows under strict mode, and a
  // generated column or inline primary key never is added this way.
  if (/\bNOT NULL\b/i.test(def) && !/\bDEFAULT\b/i.test(def) && !/\bAS \(/i.test(def)) {
    return def.replace(/\bNOT NULL\b/i, "NULL");
  }
  return def;
}
