/**
 * `deno task migrate [--routines]`: applies schema.sql and the migrations to DATABASE_URL (or the
 * local stack under .data/ when unset); `--routines` also applies db/routines.sql (self-hosted
 * MySQL/MariaDB only: PlanetScale refuses stored routines and events). Needs no signing keys. The
 * only command that changes the schema.
 */
import { parseArgs } from "node:util";
import { parseConfig } from "../config.ts";
import { createLogger } from "../core/log.ts";
import { migrate } from "../db/migrate.ts";
import { openCliDb, runCli } from "./_env.ts";

const USAGE = "usage: deno task migrate [--routines]\n" +
  "  applies schema.sql and db/migrations/ to DATABASE_URL (unset: the local stack under .data/)\n" +
  "  --routines  also applies db/routines.sql (self-hosted MySQL/MariaDB only)";

/** Runs the migrate command with its CLI arguments; returns the exit code. */
export async function runMigrateCli(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { routines: { type: "boolean", default: false } },
    strict: true,
  });
  const config = parseConfig(Deno.env.toObject());
  const log = createLogger({ level: config.LOG_LEVEL, sink: (l) => console.error(l) });
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
    return 0;
  } finally {
    await close();
  }
}

if (import.meta.main) await runCli(runMigrateCli, { usage: USAGE });
