/**
 * Upgrades a database of the predecessor (SCHEMA v5.1, CONTRACT.md section 6) in place. On a
 * fresh install every step finds nothing to do. No row is deleted: replaced tables are renamed
 * `*_legacy` and their rows copied.
 */
import type { Db } from "../client.ts";
import type { Migration } from "./mod.ts";

/** Scheduled events of the predecessor; evt_update_total_savings reset all savings nightly. */
const PREDECESSOR_EVENTS = [
  "evt_daily_cleanup",
  "evt_mark_stale_agents",
  "evt_compute_monthly_savings",
  "evt_update_total_savings",
  "evt_calculate_daily_savings",
  "evt_cleanup_old_metrics",
];

async function hasTable(db: Db, table: string): Promise<boolean> {
  const r = await db.execute(
    "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    [table],
  );
  return r.rows.length > 0;
}

async function hasColumn(db: Db, table: string, column: string): Promise<boolean> {
  const r = await db.execute(
    "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
    [table, column],
  );
  return r.rows.length > 0;
}

async function before(db: Db, log: (msg: string) => void): Promise<void> {
  // Events and triggers exist only on self-hosted MySQL/MariaDB; PlanetScale refuses the
  // statements, which is fine: there is nothing to drop there.
  for (const ev of PREDECESSOR_EVENTS) {
    await db.execute(`DROP EVENT IF EXISTS ${ev}`).catch(() => {});
  }
  for (const tr of ["before_spot_pools_insert", "before_spot_pools_update"]) {
    await db.execute(`DROP TRIGGER IF EXISTS ${tr}`).catch(() => {});
  }
  // The portable schema has no foreign keys (PlanetScale); integrity is the application's.
  const fks = await db.execute<{ t: string; c: string }>(
    "SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS c FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
  );
  for (const fk of fks.rows) {
    await db.execute(`ALTER TABLE \`${fk.t}\` DROP FOREIGN KEY \`${fk.c}\``);
    log(`dropped foreign key ${fk.t}.${fk.c}`);
  }
  // commands.open_agent_id (generated) needs a VARCHAR agent_id on MariaDB.
  if (await hasTable(db, "commands") && !(await hasColumn(db, "commands", "open_agent_id"))) {
    await db.execute("ALTER TABLE commands MODIFY COLUMN agent_id VARCHAR(36) NOT NULL");
  }
  // Price series are now one row per pool and 5-minute bucket: keep the old rows beside.
  for (const t of ["spot_price_snapshots", "ondemand_price_snapshots"]) {
    if (await hasTable(db, t) && !(await hasColumn(db, t, "bucket_start"))) {
      await db.execute(`RENAME TABLE ${t} TO ${t}_legacy`);
      log(`renamed ${t} to ${t}_legacy`);
    }
  }
}

async function after(db: Db, log: (msg: string) => void): Promise<void> {
  if (await hasColumn(db, "clients", "client_token")) {
    // Same digest as core/tokens.ts hashOpaqueToken (SHA-256 of the UTF-8 text, hex).
    await db.execute(
      "UPDATE clients SET token_hash = SHA2(client_token, 256), token_fingerprint = LEFT(SHA2(client_token, 256), 12) WHERE client_token IS NOT NULL AND client_token <> '' AND token_hash IS NULL",
    );
    await db.execute("ALTER TABLE clients DROP COLUMN client_token");
    log("client tokens replaced by their SHA-256 hashes");
  }
  // Savings the predecessor accumulated stay as an opening balance of the ledger.
  await db.execute(
    "UPDATE clients SET opening_savings = total_savings WHERE opening_savings = 0 AND total_savings <> 0",
  );
  if (await hasTable(db, "spot_price_snapshots_legacy")) {
    await db.execute(
      "INSERT INTO spot_price_snapshots (pool_id, bucket_start, price, captured_at) SELECT l.pool_id, FROM_UNIXTIME(FLOOR(UNIX_TIMESTAMP(l.captured_at) / 300) * 300), l.price, l.captured_at FROM spot_price_snapshots_legacy l WHERE l.captured_at IS NOT NULL ON DUPLICATE KEY UPDATE price = IF(VALUES(captured_at) >= spot_price_snapshots.captured_at, VALUES(price), spot_price_snapshots.price), captured_at = GREATEST(spot_price_snapshots.captured_at, VALUES(captured_at))",
    );
  }
  if (await hasTable(db, "ondemand_price_snapshots_legacy")) {
    await db.execute(
      "INSERT INTO ondemand_price_snapshots (region, instance_type, bucket_start, price, captured_at) SELECT l.region, l.instance_type, FROM_UNIXTIME(FLOOR(UNIX_TIMESTAMP(l.captured_at) / 300) * 300), l.price, l.captured_at FROM ondemand_price_snapshots_legacy l WHERE l.captured_at IS NOT NULL ON DUPLICATE KEY UPDATE price = IF(VALUES(captured_at) >= ondemand_price_snapshots.captured_at, VALUES(price), ondemand_price_snapshots.price), captured_at = GREATEST(ondemand_price_snapshots.captured_at, VALUES(captured_at))",
    );
  }
  // Command lifecycle: `executing` becomes `delivered`; of several open commands of one agent
  // only the newest stays open (the others are superseded, as a new command would do).
  await db.execute("UPDATE commands SET status = 'delivered' WHERE status = 'executing'");
  await db.execute(
    "UPDATE commands c JOIN (SELECT agent_id, MAX(created_at) AS newest FROM commands WHERE status IN ('pending', 'delivered') GROUP BY agent_id HAVING COUNT(*) > 1) d ON d.agent_id = c.agent_id SET c.status = 'superseded', c.completion_source = 'migration' WHERE c.status IN ('pending', 'delivered') AND c.created_at < d.newest",
  );
  if (await hasTable(db, "pending_switch_commands")) {
    // The legacy queue had no writer; its rows are kept as closed commands (never re-delivered
    // after an upgrade) so a v3.2 agent's `executed` call with a decimal id still finds them.
    await db.execute(
      "INSERT IGNORE INTO commands (id, client_id, agent_id, command_type, target_mode, target_pool_id, instance_id, priority, terminate_wait_seconds, status, created_by, message, created_at, executed_at, completed_at, completion_source) SELECT CAST(p.id AS CHAR), p.client_id, p.agent_id, 'switch', p.target_mode, p.target_pool_id, p.instance_id, p.priority, p.terminate_wait_seconds, IF(p.executed_at IS NULL, 'expired', 'completed'), 'legacy_queue', 'imported from pending_switch_commands', p.created_at, p.executed_at, COALESCE(p.executed_at, p.created_at), 'migration' FROM pending_switch_commands p",
    );
  }
  // Tenancy columns that the predecessor did not have on these tables.
  for (const t of ["pricing_reports", "replica_instances", "spot_interruption_events"]) {
    await db.execute(
      `UPDATE ${t} x JOIN agents a ON a.id = x.agent_id SET x.client_id = a.client_id WHERE x.client_id IS NULL`,
    );
  }
  await db.execute(
    "UPDATE agents SET pool_since = COALESCE(last_switch_at, installed_at, created_at) WHERE pool_since IS NULL",
  );
}

/** 001: the predecessor's schema v5.1 -> this schema. */
export const predecessorUpgrade: Migration = {
  version: "001_predecessor_upgrade",
  description: "upgrade a predecessor (schema v5.1) database in place",
  before,
  after,
};
