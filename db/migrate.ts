/**
 * Brings a database to this version's schema: a fresh install gets schema.sql; an older database
 * (the predecessor's, or ours from an earlier release) is upgraded in place without losing a row.
 * Idempotent: running it twice leaves the same schema. One statement per call, no DELIMITER.
 *
 * Order: pre-steps of pending migrations -> CREATE TABLE IF NOT EXISTS -> add missing columns
 * (enum status columns widened to VARCHAR) -> data steps -> add missing indexes -> views.
 */
import type { Db, Queryable } from "./client.ts";
import { isDuplicateKey, sqlErrno } from "./client.ts";
import { definitionForExistingRows, parseTables, splitStatements } from "./schema_parse.ts";
import type { TableDef } from "./schema_parse.ts";
import { MIGRATIONS } from "./migrations/mod.ts";

/** Log sink used by the migrator. */
export type MigrateLog = (msg: string) => void;

/** What a migration run did. */
export interface MigrateResult {
  createdTables: string[];
  addedColumns: string[];
  addedIndexes: string[];
  applied: string[];
  schemaVersion: string;
  routines: boolean;
}

const SCHEMA_URL = new URL("../schema.sql", import.meta.url);
const ROUTINES_URL = new URL("./routines.sql", import.meta.url);

/** The schema version this code needs (the last migration). */
export const LATEST_SCHEMA_VERSION: string = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? "";

/** The newest migration recorded in the database, or null when none (or no table). */
export async function currentSchemaVersion(db: Queryable): Promise<string | null> {
  try {
    const r = await db.execute<{ v: string | null }>(
      "SELECT MAX(version) AS v FROM schema_migrations",
    );
    return r.rows[0]?.v ?? null;
  } catch (err) {
    if (sqlErrno(err) === 1146) return null; // no schema_migrations table yet
    throw err;
  }
}

/** Reads schema.sql (bundled next to this module). */
export async function readSchema(): Promise<string> {
  return await Deno.readTextFile(SCHEMA_URL);
}

/** Applies the schema, the migrations and optionally db/routines.sql. */
export async function migrate(
  db: Db,
  opts: { routines?: boolean; log?: MigrateLog } = {},
): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const statements = splitStatements(await readSchema());
  const tables = parseTables(statements);
  const result: MigrateResult = {
    createdTables: [],
    addedColumns: [],
    addedIndexes: [],
    applied: [],
    schemaVersion: "",
    routines: false,
  };

  await db.execute(tables.find((t) => t.name === "schema_migrations")!.statement);
  const done = new Set(
    (await db.execute<{ version: string }>("SELECT version FROM schema_migrations")).rows
      .map((r) => r.version),
  );
  const pending = MIGRATIONS.filter((m) => !done.has(m.version));

  for (const m of pending) if (m.before) await m.before(db, log);

  const existing = await liveTables(db);
  for (const t of tables) {
    if (!existing.has(t.name)) {
      await db.execute(t.statement);
      result.createdTables.push(t.name);
    }
  }
  for (const t of tables) {
    if (existing.has(t.name)) await addMissingColumns(db, t, result, log);
  }

  for (const m of pending) if (m.after) await m.after(db, log);

  for (const t of tables) await addMissingIndexes(db, t, result, log);

  for (const stmt of statements) {
    if (/^CREATE OR REPLACE VIEW/i.test(stmt)) await db.execute(stmt);
  }

  for (const m of pending) {
    await db.execute(
      "INSERT IGNORE INTO schema_migrations (version, description) VALUES (?, ?)",
      [m.version, m.description],
    );
    result.applied.push(m.version);
    log(`migration ${m.version} applied`);
  }
  result.schemaVersion = LATEST_SCHEMA_VERSION;

  if (opts.routines) {
    await applyRoutines(db);
    result.routines = true;
    log("routines applied");
  }
  return result;
}

/** Applies db/routines.sql (procedures and events; self-hosted MySQL/MariaDB only). */
export async function applyRoutines(db: Db): Promise<void> {
  const sql = await Deno.readTextFile(ROUTINES_URL);
  for (const stmt of splitStatements(sql, "//")) await db.execute(stmt);
}

async function liveTables(db: Db): Promise<Set<string>> {
  const r = await db.execute<{ name: string }>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
  );
  return new Set(r.rows.map((x) => x.name));
}

async function addMissingColumns(
  db: Db,
  t: TableDef,
  result: MigrateResult,
  log: MigrateLog,
): Promise<void> {
  const live = await db.execute<{ name: string; data_type: string }>(
    "SELECT COLUMN_NAME AS name, DATA_TYPE AS data_type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    [t.name],
  );
  const types = new Map(live.rows.map((c) => [c.name.toLowerCase(), c.data_type.toLowerCase()]));
  const hasRows = (await db.execute(`SELECT 1 FROM ${t.name} LIMIT 1`)).rows.length > 0;
  for (const col of t.columns) {
    const liveType = types.get(col.name.toLowerCase());
    if (liveType === undefined) {
      if (/PRIMARY KEY/i.test(col.definition)) continue;
      const def = hasRows ? definitionForExistingRows(col.definition) : col.definition;
      await db.execute(`ALTER TABLE ${t.name} ADD COLUMN ${col.name} ${def}`);
      result.addedColumns.push(`${t.name}.${col.name}`);
      log(`added column ${t.name}.${col.name}`);
    } else if (liveType === "enum" && /^VARCHAR/i.test(col.definition)) {
      // Predecessor status columns were ENUMs; ours are VARCHAR so new states need no DDL.
      await db.execute(`ALTER TABLE ${t.name} MODIFY COLUMN ${col.name} ${col.definition}`);
      log(`widened ${t.name}.${col.name} from ENUM to VARCHAR`);
    }
  }
}

async function addMissingIndexes(
  db: Db,
  t: TableDef,
  result: MigrateResult,
  log: MigrateLog,
): Promise<void> {
  if (t.keys.length === 0) return;
  const live = await db.execute<{ name: string }>(
    "SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    [t.name],
  );
  const names = new Set(live.rows.map((r) => r.name.toLowerCase()));
  for (const k of t.keys) {
    if (names.has(k.name.toLowerCase())) continue;
    try {
      await db.execute(`ALTER TABLE ${t.name} ADD ${k.definition}`);
      result.addedIndexes.push(`${t.name}.${k.name}`);
    } catch (err) {
      if (!k.unique || !isDuplicateKey(err)) throw err;
      // Old rows violate a uniqueness the new code relies on for idempotency: keep every row,
      // index the columns without uniqueness and say so (the operator may deduplicate later).
      const plain = k.definition.replace(/^UNIQUE KEY/, "KEY");
      await db.execute(`ALTER TABLE ${t.name} ADD ${plain}`);
      result.addedIndexes.push(`${t.name}.${k.name} (not unique: duplicate rows exist)`);
      log(`WARNING: ${t.name}.${k.name} added without UNIQUE because old rows repeat its key`);
    }
  }
}
