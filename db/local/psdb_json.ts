/**
 * MariaDB's JSON is an alias for LONGTEXT with a `CHECK (json_valid(col))` constraint and travels as
 * TEXT on the wire, so the driver would hand the app a string. This cache knows which columns are
 * JSON (from information_schema.CHECK_CONSTRAINTS) so the endpoint can report them as `JSON`,
 * as PlanetScale does.
 * @module
 */
import { type ColumnInfo, isBlobFamily } from "./psdb_encode.ts";

/** The one method of a mysql2 promise connection the cache needs. */
export interface Queryable {
  query(opts: { sql: string; values?: unknown[]; rowsAsArray?: boolean }): Promise<unknown>;
}

interface SchemaEntry {
  columns: Set<string>;
  loadedAt: number;
}

const CLAUSE = /^json_valid\(`((?:[^`]|``)+)`\)$/i;

/** Per-schema cache of JSON columns, refreshed after DDL and after a TTL (DDL from elsewhere). */
export class JsonColumns {
  #schemas = new Map<string, SchemaEntry>();
  #loading = new Map<string, Promise<void>>();
  #ttlMs: number;
  #onError: (schema: string, err: unknown) => void;

  /** ttlMs bounds staleness when another process changes the schema. */
  constructor(opts: { ttlMs?: number; onError?: (schema: string, err: unknown) => void } = {}) {
    this.#ttlMs = opts.ttlMs ?? 30_000;
    this.#onError = opts.onError ?? (() => {});
  }

  /** Forgets one schema (or all) so the next lookup reloads it, e.g. after DDL. */
  invalidate(schema?: string): void {
    if (schema === undefined) this.#schemas.clear();
    else this.#schemas.delete(schema);
  }

  /** True if this column may be a MariaDB JSON alias and needs a cache lookup. */
  static candidate(col: ColumnInfo): boolean {
    return col.extendedFormat !== "json" && isBlobFamily(col.columnType ?? col.type ?? 0) &&
      !!col.orgTable && !!col.orgName && !!col.schema;
  }

  /** Loads the schemas of the given columns that are missing or stale, using conn. */
  async ensure(conn: Queryable, cols: readonly ColumnInfo[]): Promise<void> {
    const now = Date.now();
    const wanted = new Set<string>();
    for (const col of cols) {
      if (!JsonColumns.candidate(col)) continue;
      const entry = this.#schemas.get(col.schema!);
      if (!entry || now - entry.loadedAt > this.#ttlMs) wanted.add(col.schema!);
    }
    for (const schema of wanted) await this.#load(conn, schema);
  }

  /** True if the column is JSON: MariaDB extended metadata says so, or its CHECK clause does. */
  isJson(col: ColumnInfo): boolean {
    if (col.extendedFormat === "json") return true;
    if (!JsonColumns.candidate(col)) return false;
    return this.#schemas.get(col.schema!)?.columns.has(`${col.orgTable}\0${col.orgName}`) ?? false;
  }

  #load(conn: Queryable, schema: string): Promise<void> {
    let p = this.#loading.get(schema);
    if (!p) {
      p = this.#fetch(conn, schema).finally(() => this.#loading.delete(schema));
      this.#loading.set(schema, p);
    }
    return p;
  }

  async #fetch(conn: Queryable, schema: string): Promise<void> {
    const columns = new Set<string>();
    try {
      const [rows] = await conn.query({
        sql: "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS " +
          "WHERE CONSTRAINT_SCHEMA = ? AND CHECK_CLAUSE LIKE 'json_valid(%'",
        values: [schema],
        rowsAsArray: true,
      }) as [unknown[][]];
      for (const [table, clause] of rows) {
        const m = CLAUSE.exec(String(clause));
        if (m) columns.add(`${String(table)}\0${m[1].replaceAll("``", "`")}`);
      }
    } catch (err) {
      // MySQL 8 has no TABLE_NAME there, and needs no fix-up: its JSON is a native wire type.
      this.#onError(schema, err);
    }
    this.#schemas.set(schema, { columns, loadedAt: Date.now() });
  }
}
