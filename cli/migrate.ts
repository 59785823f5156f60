/**
 * `deno task migrate [--routines]`: applies schema.sql and the migrations to DATABASE_URL (or the
 * local stack under .data/ when unset); `--routines` also applies db/routines.sql (self-hosted
 * MySQL/MariaDB only: PlanetScale refuses stored routines and events). Needs no signing keys.
 */
import { parseArgs } from "node:util";
import { ConfigError, parseConfig } from "../config.ts";
import { createLogger } from "../core/log.ts";
import { migrate } from "../db/migrate.ts";

/** Runs the migrate command with its CLI arguments. */
export async function runMigrateCli(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { routines: { type: "boolean", default: false } },
    strict: true,
  });
  let config;
  try {
    config = parseConfig(Deno.env.toObject());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      Deno.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: config.LOG_LEVEL, sink: (l) => console.error(l) });
  const { openCliDb } = await import("./_env.ts");
  const { db, close } = await openCliDb(config, log);
  try {
    const r = await migrate(db, { routines: values.routines, log: (m) => log.info(m) });
    console.log(JSON.stringify({
      schema_version: r.schemaVersion,
      created_tables: r.createdTables.length,
      added_columns: r.addedColumns,
      added_indexes: r.addedIndexes,
      applied: r.applied,
      routines: r.routines,
    }));
  } finally {
    await close();
  }
}

if (import.meta.main) await runMigrateCli(Deno.args);
