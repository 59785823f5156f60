-- The seed's stored procedures and scheduled events, for self-hosted MySQL/MariaDB only
-- (PlanetScale refuses stored routines and events; there the Deno.cron jobs do this work, and
-- enabling both is harmless because every write is an idempotent upsert).
-- Applied by `deno task migrate --routines`. Statements are separated by a line holding only `//`
-- (the HTTP protocol runs one statement per call, so there is no DELIMITER).
-- sp_calculate_daily_savings keeps the seed's simple formula (switch savings_impact x 24); the
-- portable ledger (jobs/daily_savings.ts) integrates time per mode and pool instead and also
-- writes the cost columns. The event scheduler must be enabled by the DBA (event_scheduler=ON).

DROP PROCEDURE IF EXISTS sp_calculate_daily_savings
//
CREATE PROCEDURE sp_calculate_daily_savings(IN p_date DATE)
BEGIN
    INSERT INTO savings_snapshots (client_id, snapshot_date, daily_savings, switch_count)
    SELECT
        c.id,
        p_date,
        COALESCE(SUM(s.savings_impact * 24), 0) AS daily_savings,
        COUNT(s.id) AS switch_count
    FROM clients c
    LEFT JOIN switches s ON c.id = s.client_id
        AND DATE(s.initiated_at) = p_date
    GROUP BY c.id
    ON DUPLICATE KEY UPDATE
        daily_savings = VALUES(daily_savings),
        switch_count = VALUES(switch_count),
        updated_at = NOW();
END
//
DROP PROCEDURE IF EXISTS sp_cleanup_old_metrics
//
CREATE PROCEDURE sp_cleanup_old_metrics(IN days_to_keep INT)
BEGIN
    DELETE FROM agent_health_metrics
    WHERE metric_time < DATE_SUB(NOW(), INTERVAL days_to_keep DAY);

    DELETE FROM pool_risk_analysis
    WHERE analysis_time < DATE_SUB(NOW(), INTERVAL days_to_keep DAY);

    DELETE FROM replica_cost_log
    WHERE log_time < DATE_SUB(NOW(), INTERVAL days_to_keep DAY);
END
//
CREATE EVENT IF NOT EXISTS evt_calculate_daily_savings
ON SCHEDULE EVERY 1 DAY
STARTS (TIMESTAMP(CURRENT_DATE) + INTERVAL 1 DAY)
DO CALL sp_calculate_daily_savings(DATE_SUB(CURRENT_DATE, INTERVAL 1 DAY))
//
CREATE EVENT IF NOT EXISTS evt_cleanup_old_metrics
ON SCHEDULE EVERY 1 WEEK
STARTS (TIMESTAMP(CURRENT_DATE) + INTERVAL 1 WEEK)
DO CALL sp_cleanup_old_metrics(30)
//
