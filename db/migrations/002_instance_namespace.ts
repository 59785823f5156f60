/**
 * Instance ids per client (issue 13): `instances` was keyed by the EC2 instance id alone, so the
 * first client to register an id owned it and every other client was refused. The key becomes
 * (client_id, id); every row is kept (ids were unique, so the pairs are too). The same release
 * adds instance_segments.open_instance_id and uk_segments_one_open, derived from schema.sql.
 */
import type { Db } from "../client.ts";
import type { Migration } from "./mod.ts";

async function primaryKeyColumns(db: Db, table: string): Promise<string[]> {
  const r = await db.execute<{ c: string }>(
    "SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
    [table],
  );
  return r.rows.map((x) => x.c.toLowerCase());
}

async function after(db: Db, log: (msg: string) => void): Promise<void> {
  const pk = await primaryKeyColumns(db, "instances");
  if (pk.length === 1 && pk[0] === "id") {
    await db.execute("ALTER TABLE instances DROP PRIMARY KEY, ADD PRIMARY KEY (client_id, id)");
    log("instances: primary key is now (client_id, id)");
  }
}

/** 002: instance ids live in each client's namespace. */
export const instanceNamespace: Migration = {
  version: "002_instance_namespace",
  description: "instances keyed by (client_id, id); one open segment per instance enforced",
  after,
};
