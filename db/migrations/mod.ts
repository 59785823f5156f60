/**
 * The ordered list of data migrations. Column and index additions are derived from schema.sql by
 * db/migrate.ts; a migration here holds only what cannot be derived (renames, data rewrites).
 */
import type { Db } from "../client.ts";
import { predecessorUpgrade } from "./001_predecessor_upgrade.ts";
import { instanceNamespace } from "./002_instance_namespace.ts";

/** One migration: `before` runs ahead of the schema reconciliation, `after` behind it. */
export interface Migration {
  version: string;
  description: string;
  before?: (db: Db, log: (msg: string) => void) => Promise<void>;
  after?: (db: Db, log: (msg: string) => void) => Promise<void>;
}

/** Every migration in the order it must run; the last version is the schema version. */
export const MIGRATIONS: Migration[] = [predecessorUpgrade, instanceNamespace];
