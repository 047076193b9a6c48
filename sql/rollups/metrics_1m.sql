-- Events per minute by account, log type, service and level: the cheap table for dashboards and
-- for baselines (one row per group and minute instead of one per event). By account, because two
-- accounts often run a service of the same name (prod and staging): one count for both would
-- hide one's outage in the other's traffic.
SELECT
    window_start,
    window_end,
    account,
    log_type,
    service,
    level,
    COUNT(*) AS event_count
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, account, log_type, service, level
