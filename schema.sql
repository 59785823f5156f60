-- spot-optimizer control plane: the whole portable schema for a fresh install.
--
-- Dialect: the subset that PlanetScale (Vitess, MySQL 8) accepts and MariaDB 10.11 runs
-- (STACK-NOTES.md section 4): no routines, triggers, events or foreign keys; ids are made by the
-- application; JSON columns are written with JSON.stringify; every table has a primary key.
-- Layout rules that db/migrate.ts relies on (it derives the in-place upgrade of an older database
-- from this file): one column or key per line, `CREATE TABLE IF NOT EXISTS name (` on one line,
-- statements end with `;` at the end of a line, comments are whole lines starting with `--`.
-- Table and column names of the predecessor (CONTRACT.md section 6) and of the seed are kept.

CREATE TABLE IF NOT EXISTS schema_migrations (
  version VARCHAR(64) NOT NULL,
  description VARCHAR(255) NULL,
  applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Tenants. The client token is never stored: JWTs carry `ver` = token_version; tokens of older
-- installations (opaque strings) survive only as their SHA-256 (token_hash).
CREATE TABLE IF NOT EXISTS clients (
  id CHAR(36) NOT NULL,
  name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NOT NULL,
  token_hash CHAR(64) NULL,
  token_fingerprint VARCHAR(16) NULL,
  token_version INT NOT NULL DEFAULT 1,
  token_rotated_at DATETIME(3) NULL,
  plan VARCHAR(50) NOT NULL DEFAULT 'standard',
  max_agents INT NULL,
  max_instances INT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'active',
  is_active TINYINT(1) NOT NULL DEFAULT 1,
  total_savings DECIMAL(15,4) NOT NULL DEFAULT 0,
  opening_savings DECIMAL(15,4) NOT NULL DEFAULT 0,
  downtime_weight DECIMAL(10,4) NULL,
  default_auto_terminate TINYINT(1) NOT NULL DEFAULT 1,
  default_terminate_wait_seconds INT NOT NULL DEFAULT 300,
  default_auto_switch_enabled TINYINT(1) NOT NULL DEFAULT 1,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  last_sync_at DATETIME(3) NULL,
  metadata JSON NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_clients_name (name),
  UNIQUE KEY uk_clients_email (email),
  UNIQUE KEY uk_clients_token_hash (token_hash),
  KEY idx_clients_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per logical agent; it survives instance switches (the instance_id columns follow the
-- instance that currently owns the row).
CREATE TABLE IF NOT EXISTS agents (
  id CHAR(36) NOT NULL,
  client_id CHAR(36) NOT NULL,
  logical_agent_id VARCHAR(255) NOT NULL,
  hostname VARCHAR(255) NULL,
  instance_id VARCHAR(64) NULL,
  instance_type VARCHAR(64) NULL,
  region VARCHAR(32) NULL,
  az VARCHAR(32) NULL,
  ami_id VARCHAR(64) NULL,
  private_ip VARCHAR(45) NULL,
  public_ip VARCHAR(45) NULL,
  current_mode VARCHAR(16) NOT NULL DEFAULT 'unknown',
  current_pool_id VARCHAR(128) NULL,
  pool_since DATETIME(3) NULL,
  agent_version VARCHAR(32) NULL,
  config_version INT NOT NULL DEFAULT 0,
  instance_count INT NOT NULL DEFAULT 0,
  status VARCHAR(20) NOT NULL DEFAULT 'offline',
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  last_heartbeat_at DATETIME(3) NULL,
  auto_switch_enabled TINYINT(1) NOT NULL DEFAULT 1,
  auto_terminate_enabled TINYINT(1) NOT NULL DEFAULT 1,
  terminate_wait_seconds INT NOT NULL DEFAULT 300,
  replica_enabled TINYINT(1) NOT NULL DEFAULT 0,
  replica_count INT NOT NULL DEFAULT 0,
  manual_replica_enabled TINYINT(1) NOT NULL DEFAULT 0,
  current_replica_id VARCHAR(255) NULL,
  last_decision_action VARCHAR(32) NULL,
  last_decision_code VARCHAR(64) NULL,
  last_decision_pool_id VARCHAR(128) NULL,
  last_decision_at DATETIME(3) NULL,
  installed_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  last_switch_at DATETIME(3) NULL,
  last_interruption_signal DATETIME(3) NULL,
  interruption_handled_count INT NOT NULL DEFAULT 0,
  last_failover_at DATETIME(3) NULL,
  terminated_at DATETIME(3) NULL,
  deleted_at DATETIME(3) NULL,
  last_termination_notice_at TIMESTAMP NULL,
  last_rebalance_recommendation_at TIMESTAMP NULL,
  emergency_replica_count INT DEFAULT 0,
  cleanup_enabled BOOLEAN DEFAULT true,
  last_cleanup_at TIMESTAMP NULL,
  metadata JSON NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_client_logical (client_id, logical_agent_id),
  KEY idx_agents_client_status (client_id, status),
  KEY idx_agents_status_heartbeat (status, last_heartbeat_at),
  KEY idx_agents_instance (instance_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per-agent thresholds for the decision engine (CONTRACT.md E01 defaults).
CREATE TABLE IF NOT EXISTS agent_configs (
  agent_id CHAR(36) NOT NULL,
  min_savings_percent DECIMAL(5,2) NOT NULL DEFAULT 15.00,
  risk_threshold DECIMAL(5,4) NOT NULL DEFAULT 0.3000,
  max_switches_per_week INT NOT NULL DEFAULT 10,
  max_switches_per_day INT NOT NULL DEFAULT 3,
  min_pool_duration_hours DECIMAL(6,2) NOT NULL DEFAULT 2.00,
  custom_config JSON NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (agent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Switch commands: pending -> delivered -> completed | failed | expired | superseded | cancelled.
-- open_agent_id is set only while a command is open, so uk_commands_one_open lets the database
-- itself refuse a second open command for one agent (agent_id is VARCHAR here: MariaDB refuses a
-- generated column over a CHAR column, whose value depends on sql_mode PAD_CHAR_TO_FULL_LENGTH).
CREATE TABLE IF NOT EXISTS commands (
  id VARCHAR(36) NOT NULL,
  client_id CHAR(36) NOT NULL,
  agent_id VARCHAR(36) NOT NULL,
  command_type VARCHAR(32) NOT NULL DEFAULT 'switch',
  target_mode VARCHAR(16) NOT NULL,
  target_pool_id VARCHAR(128) NULL,
  instance_id VARCHAR(64) NULL,
  priority INT NOT NULL DEFAULT 25,
  terminate_wait_seconds INT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'pending',
  success TINYINT(1) NULL,
  message VARCHAR(1024) NULL,
  execution_result JSON NULL,
  created_by VARCHAR(64) NULL,
  trigger_type VARCHAR(32) NULL,
  reason VARCHAR(512) NULL,
  delivered_at DATETIME(3) NULL,
  delivered_instance_id VARCHAR(64) NULL,
  delivered_ip VARCHAR(64) NULL,
  expires_at DATETIME(3) NULL,
  completion_source VARCHAR(32) NULL,
  open_agent_id VARCHAR(36) AS (CASE WHEN status IN ('pending', 'delivered') THEN agent_id ELSE NULL END) STORED,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  executed_at DATETIME(3) NULL,
  completed_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_commands_one_open (open_agent_id),
  KEY idx_commands_agent_status (agent_id, status, priority, created_at),
  KEY idx_commands_client_created (client_id, created_at),
  KEY idx_commands_status_expires (status, expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every EC2 instance ever seen. Instance ids live in each client's own namespace (PK = client_id,
-- EC2 instance id): a client can neither take over, detect nor lock out another's instance
-- (migration 002 moved the key of older databases).
CREATE TABLE IF NOT EXISTS instances (
  id VARCHAR(64) NOT NULL,
  client_id CHAR(36) NOT NULL,
  agent_id CHAR(36) NULL,
  instance_type VARCHAR(64) NOT NULL,
  region VARCHAR(32) NOT NULL,
  az VARCHAR(32) NOT NULL,
  ami_id VARCHAR(64) NULL,
  current_mode VARCHAR(16) NOT NULL DEFAULT 'ondemand',
  current_pool_id VARCHAR(128) NULL,
  spot_price DECIMAL(10,6) NULL,
  ondemand_price DECIMAL(10,6) NULL,
  baseline_ondemand_price DECIMAL(10,6) NULL,
  is_active TINYINT(1) NOT NULL DEFAULT 1,
  instance_status VARCHAR(20) NOT NULL DEFAULT 'running_primary',
  is_primary TINYINT(1) NOT NULL DEFAULT 1,
  installed_at DATETIME(3) NULL,
  last_switch_at DATETIME(3) NULL,
  last_interruption_signal DATETIME(3) NULL,
  interruption_handled_count INT NOT NULL DEFAULT 0,
  last_failover_at DATETIME(3) NULL,
  terminated_at DATETIME(3) NULL,
  termination_attempted_at DATETIME(3) NULL,
  termination_confirmed TINYINT(1) NOT NULL DEFAULT 0,
  last_heartbeat_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (client_id, id),
  KEY idx_instances_id (id),
  KEY idx_instances_client (client_id, is_active),
  KEY idx_instances_agent (agent_id),
  KEY idx_instances_status (instance_status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Time each instance spent in one mode and pool: the source of the savings ledger. A segment opens
-- when an instance registers or changes mode/pool and closes on a switch, termination or when its
-- agent is marked offline; superseded_at marks when a replacement took over (overlap = pure cost).
-- open_instance_id is set only while the segment is open, so uk_segments_one_open lets the
-- database keep one open segment per instance without a locking read (no gap locks).
CREATE TABLE IF NOT EXISTS instance_segments (
  id BIGINT NOT NULL AUTO_INCREMENT,
  client_id CHAR(36) NOT NULL,
  agent_id CHAR(36) NOT NULL,
  instance_id VARCHAR(64) NOT NULL,
  mode VARCHAR(16) NOT NULL,
  pool_id VARCHAR(128) NULL,
  instance_type VARCHAR(64) NOT NULL,
  region VARCHAR(32) NOT NULL,
  started_at DATETIME(3) NOT NULL,
  superseded_at DATETIME(3) NULL,
  ended_at DATETIME(3) NULL,
  end_reason VARCHAR(32) NULL,
  open_instance_id VARCHAR(64) AS (CASE WHEN ended_at IS NULL THEN instance_id ELSE NULL END) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY uk_segments_one_open (client_id, open_instance_id),
  KEY idx_segments_client_time (client_id, started_at),
  KEY idx_segments_instance_open (instance_id, ended_at),
  KEY idx_segments_agent (agent_id, ended_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Detailed switch history. uk_switches_new_instance makes a switch report and the registration
-- that infers the same switch write one row, whichever arrives first, and a retry nothing new.
CREATE TABLE IF NOT EXISTS switches (
  id CHAR(36) NOT NULL,
  client_id CHAR(36) NOT NULL,
  agent_id CHAR(36) NOT NULL,
  command_id VARCHAR(36) NULL,
  old_instance_id VARCHAR(64) NULL,
  old_instance_type VARCHAR(64) NULL,
  old_region VARCHAR(32) NULL,
  old_az VARCHAR(32) NULL,
  old_mode VARCHAR(16) NULL,
  old_pool_id VARCHAR(128) NULL,
  old_ami_id VARCHAR(64) NULL,
  new_instance_id VARCHAR(64) NOT NULL,
  new_instance_type VARCHAR(64) NULL,
  new_region VARCHAR(32) NULL,
  new_az VARCHAR(32) NULL,
  new_mode VARCHAR(16) NULL,
  new_pool_id VARCHAR(128) NULL,
  new_ami_id VARCHAR(64) NULL,
  on_demand_price DECIMAL(10,6) NULL,
  old_spot_price DECIMAL(10,6) NULL,
  new_spot_price DECIMAL(10,6) NULL,
  savings_impact DECIMAL(10,6) NULL,
  event_trigger VARCHAR(32) NULL,
  trigger_type VARCHAR(32) NULL,
  snapshot_used TINYINT(1) NOT NULL DEFAULT 0,
  snapshot_id VARCHAR(64) NULL,
  ami_id VARCHAR(64) NULL,
  initiated_at DATETIME(3) NULL,
  ami_created_at DATETIME(3) NULL,
  instance_launched_at DATETIME(3) NULL,
  instance_ready_at DATETIME(3) NULL,
  traffic_switched_at DATETIME(3) NULL,
  old_terminated_at DATETIME(3) NULL,
  total_duration_seconds INT NULL,
  downtime_seconds INT NULL,
  timing_data JSON NULL,
  success TINYINT(1) NOT NULL DEFAULT 1,
  error_message TEXT NULL,
  source VARCHAR(32) NOT NULL DEFAULT 'switch_report',
  reported_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_switches_new_instance (agent_id, new_instance_id),
  KEY idx_switches_client_time (client_id, initiated_at),
  KEY idx_switches_agent_time (agent_id, initiated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Short log of replica promotions (predecessor name).
CREATE TABLE IF NOT EXISTS instance_switches (
  id BIGINT NOT NULL AUTO_INCREMENT,
  agent_id CHAR(36) NULL,
  client_id CHAR(36) NULL,
  old_instance_id VARCHAR(64) NULL,
  new_instance_id VARCHAR(64) NULL,
  switch_reason VARCHAR(64) NULL,
  switched_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  success TINYINT(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (id),
  KEY idx_instance_switches_agent (agent_id, switched_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Standby instances. A row exists only for an instance an agent reported (no placeholders).
CREATE TABLE IF NOT EXISTS replica_instances (
  id VARCHAR(255) NOT NULL,
  agent_id CHAR(36) NOT NULL,
  client_id CHAR(36) NULL,
  instance_id VARCHAR(64) NULL,
  replica_type VARCHAR(32) NOT NULL DEFAULT 'manual',
  pool_id VARCHAR(128) NULL,
  instance_type VARCHAR(64) NULL,
  region VARCHAR(32) NULL,
  az VARCHAR(32) NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'launching',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  launched_at DATETIME(3) NULL,
  ready_at DATETIME(3) NULL,
  promoted_at DATETIME(3) NULL,
  terminated_at DATETIME(3) NULL,
  termination_attempted_at DATETIME(3) NULL,
  termination_confirmed TINYINT(1) NOT NULL DEFAULT 0,
  created_by VARCHAR(64) NULL,
  parent_instance_id VARCHAR(64) NULL,
  is_active TINYINT(1) NOT NULL DEFAULT 1,
  sync_status VARCHAR(20) NULL,
  sync_latency_ms INT NULL,
  last_sync_at DATETIME(3) NULL,
  sync_started_at DATETIME(3) NULL,
  sync_completed_at DATETIME(3) NULL,
  state_transfer_progress DECIMAL(5,2) NOT NULL DEFAULT 0,
  error_message TEXT NULL,
  hourly_cost DECIMAL(10,6) NULL,
  total_cost DECIMAL(15,4) NULL,
  interruption_signal_type VARCHAR(32) NULL,
  interruption_detected_at DATETIME(3) NULL,
  termination_time DATETIME(3) NULL,
  failover_completed_at DATETIME(3) NULL,
  termination_event_id INT NULL,
  tags JSON NULL,
  total_runtime_hours DECIMAL(10, 2) DEFAULT 0,
  accumulated_cost DECIMAL(15, 4) DEFAULT 0,
  ended_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  KEY idx_replicas_agent (agent_id, is_active),
  KEY idx_replicas_client (client_id, is_active),
  KEY idx_replicas_instance (instance_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Interruption signals (predecessor table, kept for installations that have it; new code records
-- the workflow in termination_events).
CREATE TABLE IF NOT EXISTS spot_interruption_events (
  id BIGINT NOT NULL AUTO_INCREMENT,
  instance_id VARCHAR(64) NOT NULL,
  agent_id CHAR(36) NULL,
  client_id CHAR(36) NULL,
  pool_id VARCHAR(128) NULL,
  signal_type VARCHAR(32) NOT NULL,
  detected_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  termination_time DATETIME(3) NULL,
  response_action VARCHAR(32) NULL,
  response_time_ms INT NULL,
  replica_id VARCHAR(255) NULL,
  replica_ready TINYINT(1) NULL,
  replica_ready_time_ms INT NULL,
  failover_completed TINYINT(1) NULL,
  failover_time_ms INT NULL,
  data_loss_seconds INT NULL,
  success TINYINT(1) NULL,
  error_message TEXT NULL,
  metadata JSON NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_sie_pool_time (pool_id, detected_at),
  KEY idx_sie_agent (agent_id, detected_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Spot pools: id = "<instance_type>.<az>" exactly as agents report it. risk_* mirror the latest
-- pool_risk_analysis row so the decision engine reads them without a view scan.
CREATE TABLE IF NOT EXISTS spot_pools (
  id VARCHAR(128) NOT NULL,
  pool_name VARCHAR(255) NULL,
  instance_type VARCHAR(64) NOT NULL,
  region VARCHAR(32) NOT NULL,
  az VARCHAR(32) NOT NULL,
  is_active TINYINT(1) NOT NULL DEFAULT 1,
  risk_score DECIMAL(5,4) NULL,
  risk_recommendation VARCHAR(16) NULL,
  risk_analyzed_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_spot_pools_type_region_az (instance_type, region, az),
  KEY idx_spot_pools_region_type (region, instance_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Spot price series, one row per pool per 5-minute bucket however many agents watch the pool.
CREATE TABLE IF NOT EXISTS spot_price_snapshots (
  id BIGINT NOT NULL AUTO_INCREMENT,
  pool_id VARCHAR(128) NOT NULL,
  bucket_start DATETIME NOT NULL,
  price DECIMAL(10,6) NOT NULL,
  captured_at DATETIME(3) NOT NULL,
  recorded_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_spot_price_bucket (pool_id, bucket_start),
  KEY idx_spot_price_captured (captured_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- On-demand price series per (region, instance type), one row per 5-minute bucket.
CREATE TABLE IF NOT EXISTS ondemand_price_snapshots (
  id BIGINT NOT NULL AUTO_INCREMENT,
  region VARCHAR(32) NOT NULL,
  instance_type VARCHAR(64) NOT NULL,
  bucket_start DATETIME NOT NULL,
  price DECIMAL(10,6) NOT NULL,
  captured_at DATETIME(3) NOT NULL,
  recorded_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  -- the agent's fallback estimate (3x mean spot, or 0.1) never replaces a real price
  is_estimate TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uk_ondemand_price_bucket (region, instance_type, bucket_start),
  KEY idx_ondemand_price_captured (captured_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Raw agent pricing reports; a retried report (same agent, same collected_at) is one row.
CREATE TABLE IF NOT EXISTS pricing_reports (
  id CHAR(36) NOT NULL,
  agent_id CHAR(36) NOT NULL,
  client_id CHAR(36) NULL,
  instance_id VARCHAR(64) NULL,
  instance_type VARCHAR(64) NULL,
  region VARCHAR(32) NULL,
  az VARCHAR(32) NULL,
  current_mode VARCHAR(16) NULL,
  current_pool_id VARCHAR(128) NULL,
  on_demand_price DECIMAL(10,6) NULL,
  current_spot_price DECIMAL(10,6) NULL,
  cheapest_pool_id VARCHAR(128) NULL,
  cheapest_pool_price DECIMAL(10,6) NULL,
  spot_pools JSON NULL,
  collected_at DATETIME(3) NOT NULL,
  received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  on_demand_estimated TINYINT(1) NOT NULL DEFAULT 0,
  report_shape VARCHAR(8) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_pricing_reports_agent_collected (agent_id, collected_at),
  KEY idx_pricing_reports_instance (instance_id, collected_at),
  KEY idx_pricing_reports_received (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- User-facing notifications (client_id NOT NULL: every notification belongs to one tenant).
CREATE TABLE IF NOT EXISTS notifications (
  id CHAR(36) NOT NULL,
  client_id CHAR(36) NOT NULL,
  agent_id CHAR(36) NULL,
  notification_type VARCHAR(50) NULL,
  title VARCHAR(255) NULL,
  message TEXT NOT NULL,
  severity VARCHAR(20) NOT NULL DEFAULT 'info',
  is_read TINYINT(1) NOT NULL DEFAULT 0,
  sent_email TINYINT(1) NOT NULL DEFAULT 0,
  sent_webhook TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_notifications_client (client_id, created_at),
  KEY idx_notifications_client_read (client_id, is_read)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Operational event log (auth failures, registrations, switches, jobs ...).
CREATE TABLE IF NOT EXISTS system_events (
  id BIGINT NOT NULL AUTO_INCREMENT,
  event_type VARCHAR(64) NOT NULL,
  severity VARCHAR(20) NOT NULL DEFAULT 'info',
  client_id CHAR(36) NULL,
  agent_id CHAR(36) NULL,
  instance_id VARCHAR(64) NULL,
  message TEXT NULL,
  metadata JSON NULL,
  request_id VARCHAR(128) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_system_events_created (created_at),
  KEY idx_system_events_client (client_id, created_at),
  KEY idx_system_events_agent (agent_id, created_at),
  KEY idx_system_events_type (event_type, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who changed what (admin and dashboard actions).
CREATE TABLE IF NOT EXISTS audit_logs (
  id BIGINT NOT NULL AUTO_INCREMENT,
  entity_type VARCHAR(64) NOT NULL,
  entity_id VARCHAR(255) NULL,
  action VARCHAR(64) NOT NULL,
  actor_type VARCHAR(32) NULL,
  actor_id VARCHAR(255) NULL,
  client_id CHAR(36) NULL,
  details JSON NULL,
  changes JSON NULL,
  ip_address VARCHAR(64) NULL,
  user_agent VARCHAR(512) NULL,
  request_id VARCHAR(128) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_audit_entity (entity_type, entity_id),
  KEY idx_audit_client (client_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Decision timeline (one row per evaluation that changed the outcome, or per queued command).
CREATE TABLE IF NOT EXISTS agent_decision_history (
  id BIGINT NOT NULL AUTO_INCREMENT,
  agent_id CHAR(36) NOT NULL,
  client_id CHAR(36) NOT NULL,
  decision_type VARCHAR(50) NOT NULL,
  recommended_action VARCHAR(50) NULL,
  recommended_mode VARCHAR(16) NULL,
  recommended_pool_id VARCHAR(128) NULL,
  risk_score DECIMAL(5,4) NULL,
  expected_savings DECIMAL(10,6) NULL,
  current_mode VARCHAR(16) NULL,
  current_pool_id VARCHAR(128) NULL,
  current_price DECIMAL(10,6) NULL,
  reason_code VARCHAR(64) NULL,
  reason TEXT NULL,
  inputs JSON NULL,
  command_id VARCHAR(36) NULL,
  record_reason VARCHAR(16) NULL,
  decision_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_decisions_agent_time (agent_id, decision_time),
  KEY idx_decisions_client_time (client_id, decision_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Scheduled-job slots: the instance whose INSERT IGNORE wins a (job, slot_start) does the work.
CREATE TABLE IF NOT EXISTS job_runs (
  job VARCHAR(64) NOT NULL,
  slot_start DATETIME NOT NULL,
  claimed_by VARCHAR(128) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'running',
  started_at DATETIME(3) NOT NULL,
  finished_at DATETIME(3) NULL,
  lease_until DATETIME(3) NULL,
  rows_touched INT NULL,
  attempts INT NOT NULL DEFAULT 1,
  error TEXT NULL,
  summary JSON NULL,
  PRIMARY KEY (job, slot_start),
  KEY idx_job_runs_started (job, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The seed's tables (columns and indexes as the seed gives them; additions marked).

CREATE TABLE IF NOT EXISTS cleanup_logs (
  id INT AUTO_INCREMENT PRIMARY KEY,
  agent_id VARCHAR(36),
  client_id VARCHAR(36),
  cleanup_type ENUM('snapshots', 'amis', 'full') NOT NULL,
  deleted_snapshots_count INT DEFAULT 0,
  deleted_amis_count INT DEFAULT 0,
  failed_count INT DEFAULT 0,
  details JSON,
  cutoff_date TIMESTAMP NULL,
  executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  -- additions: idempotency key of a retried report, and flags for reports outside policy
  report_key VARCHAR(64) NULL,
  cleanup_disabled TINYINT(1) NOT NULL DEFAULT 0,
  policy_violation TINYINT(1) NOT NULL DEFAULT 0,
  UNIQUE KEY uk_cleanup_report (agent_id, report_key),
  INDEX idx_agent_id (agent_id),
  INDEX idx_client_id (client_id),
  INDEX idx_executed_at (executed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS termination_events (
  id INT AUTO_INCREMENT PRIMARY KEY,
  agent_id VARCHAR(36) NOT NULL,
  instance_id VARCHAR(50) NOT NULL,
  event_type ENUM('termination_notice', 'rebalance_recommendation') NOT NULL,
  action_type VARCHAR(50),
  action_taken VARCHAR(255),
  emergency_replica_id VARCHAR(36),
  new_instance_id VARCHAR(50),
  detected_at TIMESTAMP NOT NULL,
  resolved_at TIMESTAMP NULL,
  status ENUM('detected', 'handling', 'resolved', 'failed') DEFAULT 'detected',
  error_message TEXT,
  metadata JSON,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  -- additions: tenant, pool, idempotency key of a repeated signal, and the notice-to-ready timeline
  client_id VARCHAR(36) NULL,
  pool_id VARCHAR(128) NULL,
  notice_key VARCHAR(64) NOT NULL DEFAULT '',
  termination_time DATETIME(3) NULL,
  signal_count INT NOT NULL DEFAULT 1,
  last_signal_at DATETIME(3) NULL,
  answered_at DATETIME(3) NULL,
  replica_requested_at DATETIME(3) NULL,
  replica_registered_at DATETIME(3) NULL,
  replica_ready_at DATETIME(3) NULL,
  promoted_at DATETIME(3) NULL,
  webhook_status VARCHAR(16) NULL,
  webhook_attempts INT NOT NULL DEFAULT 0,
  updated_at DATETIME(3) NULL,
  -- additions (interruptions issue): the answer given, why no replica, the rebalance command
  target_pool_id VARCHAR(128) NULL,
  no_replica_reason VARCHAR(32) NULL,
  command_id VARCHAR(36) NULL,
  webhook_sent_at DATETIME(3) NULL,
  UNIQUE KEY uk_termination_notice (agent_id, instance_id, event_type, notice_key),
  INDEX idx_agent_id (agent_id),
  INDEX idx_instance_id (instance_id),
  INDEX idx_event_type (event_type),
  INDEX idx_status (status),
  INDEX idx_detected_at (detected_at),
  INDEX idx_pool_detected (pool_id, detected_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS savings_snapshots (
  id INT AUTO_INCREMENT PRIMARY KEY,
  client_id VARCHAR(36) NOT NULL,
  snapshot_date DATE NOT NULL,
  total_savings DECIMAL(15, 4) DEFAULT 0,
  daily_savings DECIMAL(15, 4) DEFAULT 0,
  spot_hours DECIMAL(10, 2) DEFAULT 0,
  ondemand_hours DECIMAL(10, 2) DEFAULT 0,
  total_cost DECIMAL(15, 4) DEFAULT 0,
  would_be_cost DECIMAL(15, 4) DEFAULT 0,
  average_savings_percent DECIMAL(5, 2) DEFAULT 0,
  switch_count INT DEFAULT 0,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  -- additions: gross vs net (daily_savings is net of overlap and replica costs)
  gross_savings DECIMAL(15, 4) DEFAULT 0,
  overlap_hours DECIMAL(10, 2) DEFAULT 0,
  overlap_cost DECIMAL(15, 4) DEFAULT 0,
  replica_cost DECIMAL(15, 4) DEFAULT 0,
  unpriced_hours DECIMAL(10, 2) DEFAULT 0,
  UNIQUE KEY uk_client_date (client_id, snapshot_date),
  INDEX idx_snapshot_date (snapshot_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS agent_health_metrics (
  id INT AUTO_INCREMENT PRIMARY KEY,
  agent_id VARCHAR(36) NOT NULL,
  metric_time TIMESTAMP NOT NULL,
  heartbeat_latency_ms INT,
  command_execution_time_ms INT,
  pricing_fetch_success BOOLEAN,
  termination_check_success BOOLEAN,
  rebalance_check_success BOOLEAN,
  error_count INT DEFAULT 0,
  warning_count INT DEFAULT 0,
  metadata JSON,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  -- additions: tenant, who measured (agent or server), and the server's heartbeat aggregates
  client_id VARCHAR(36) NULL,
  source VARCHAR(16) NOT NULL DEFAULT 'agent',
  heartbeat_count INT NULL,
  max_heartbeat_gap_ms INT NULL,
  max_heartbeat_latency_ms INT NULL,
  UNIQUE KEY uk_health_metric (agent_id, source, metric_time),
  INDEX idx_agent_id (agent_id),
  INDEX idx_metric_time (metric_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS replica_cost_log (
  id INT AUTO_INCREMENT PRIMARY KEY,
  replica_id VARCHAR(36) NOT NULL,
  agent_id VARCHAR(36) NOT NULL,
  client_id VARCHAR(36) NOT NULL,
  instance_id VARCHAR(50),
  pool_id VARCHAR(100),
  hourly_cost DECIMAL(10, 6),
  log_time TIMESTAMP NOT NULL,
  duration_hours DECIMAL(5, 2) DEFAULT 1,
  total_cost DECIMAL(10, 4),
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  -- addition: one row per replica per hour, so a re-run of the same hour writes nothing new
  UNIQUE KEY uk_replica_hour (replica_id, log_time),
  INDEX idx_replica_id (replica_id),
  INDEX idx_agent_id (agent_id),
  INDEX idx_client_id (client_id),
  INDEX idx_log_time (log_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS pool_risk_analysis (
  id INT AUTO_INCREMENT PRIMARY KEY,
  pool_id VARCHAR(100) NOT NULL,
  instance_type VARCHAR(50) NOT NULL,
  region VARCHAR(20) NOT NULL,
  az VARCHAR(30) NOT NULL,
  analysis_time TIMESTAMP NOT NULL,
  risk_score DECIMAL(5, 4) DEFAULT 0,
  price_volatility DECIMAL(10, 6),
  avg_price_24h DECIMAL(10, 6),
  min_price_24h DECIMAL(10, 6),
  max_price_24h DECIMAL(10, 6),
  interruption_frequency INT DEFAULT 0,
  recommendation ENUM('safe', 'caution', 'avoid') DEFAULT 'safe',
  metadata JSON,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  -- addition: one analysis per pool per job slot, so a re-run of a slot overwrites it
  UNIQUE KEY uk_pool_analysis_time (pool_id, analysis_time),
  INDEX idx_pool_id (pool_id),
  INDEX idx_analysis_time (analysis_time),
  INDEX idx_risk_score (risk_score),
  INDEX idx_recommendation (recommendation)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The seed's views. Same names and columns. v_client_savings_summary differs from the seed's
-- text on purpose: the seed joined savings_snapshots and agents before grouping (every sum
-- multiplied by the agent count) and summed the cumulative total_savings column; here each side
-- is aggregated first and lifetime_savings is the latest cumulative total.

CREATE OR REPLACE VIEW v_client_savings_summary AS
SELECT
  c.id AS client_id,
  c.name AS client_name,
  COALESCE(ss.lifetime_savings, 0) AS lifetime_savings,
  COALESCE(ss.monthly_savings, 0) AS monthly_savings,
  COALESCE(ss.weekly_savings, 0) AS weekly_savings,
  COALESCE(ss.avg_savings_percent, 0) AS avg_savings_percent,
  COALESCE(ag.agent_count, 0) AS agent_count,
  COALESCE(ag.online_agents, 0) AS online_agents
FROM clients c
LEFT JOIN (
  SELECT
    s.client_id,
    COALESCE(SUM(s.daily_savings), 0) AS lifetime_savings,
    COALESCE(SUM(CASE WHEN s.snapshot_date >= DATE_SUB(CURDATE(), INTERVAL 30 DAY) THEN s.daily_savings ELSE 0 END), 0) AS monthly_savings,
    COALESCE(SUM(CASE WHEN s.snapshot_date >= DATE_SUB(CURDATE(), INTERVAL 7 DAY) THEN s.daily_savings ELSE 0 END), 0) AS weekly_savings,
    COALESCE(AVG(s.average_savings_percent), 0) AS avg_savings_percent
  FROM savings_snapshots s
  GROUP BY s.client_id
) ss ON ss.client_id = c.id
LEFT JOIN (
  SELECT
    a.client_id,
    COUNT(*) AS agent_count,
    SUM(CASE WHEN a.status = 'online' THEN 1 ELSE 0 END) AS online_agents
  FROM agents a
  WHERE a.status <> 'deleted'
  GROUP BY a.client_id
) ag ON ag.client_id = c.id;

CREATE OR REPLACE VIEW v_recent_termination_events AS
SELECT
  te.*,
  a.hostname,
  a.instance_type,
  c.name AS client_name
FROM termination_events te
JOIN agents a ON te.agent_id = a.id
JOIN clients c ON a.client_id = c.id
WHERE te.detected_at >= DATE_SUB(NOW(), INTERVAL 24 HOUR)
ORDER BY te.detected_at DESC;

CREATE OR REPLACE VIEW v_pool_risk_current AS
SELECT
  pool_id,
  instance_type,
  region,
  az,
  risk_score,
  price_volatility,
  avg_price_24h,
  recommendation,
  analysis_time
FROM pool_risk_analysis pra
WHERE analysis_time = (
  SELECT MAX(analysis_time)
  FROM pool_risk_analysis
  WHERE pool_id = pra.pool_id
);
