-- Events per minute by log type, service and level: the cheap table for dashboards and for
-- baselines (one row per group and minute instead of one per event).
SELECT
    window_start,
    window_end,
    log_type,
    service,
    level,
    COUNT(*) AS event_count
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, log_type, service, level
