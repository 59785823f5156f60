/**
 * The schema-version check the server and every CLI but `deno task migrate` run before touching
 * the database: they never send DDL, they refuse and name the command that migrates.
 */
import type { Queryable } from "./client.ts";
import { currentSchemaVersion, LATEST_SCHEMA_VERSION } from "./migrate.ts";

/**
 * Null when the database is at the schema version this code needs, else why not, e.g.
 * "database schema is at 002, this server needs 003: run `deno task migrate` first". One statement.
 */
export async function schemaVersionProblem(
  db: Queryable,
  who = "this server",
): Promise<string | null> {
  const current = await currentSchemaVersion(db);
  if (current === LATEST_SCHEMA_VERSION) return null;
  return `database schema is at ${
    current ?? "nothing"
  }, ${who} needs ${LATEST_SCHEMA_VERSION}: run \`deno task migrate\` first`;
}
