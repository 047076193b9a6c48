-- id: app_error_rate
-- title: Error rate above threshold in a service
-- severity: high
-- description: The share of ERROR and FATAL events of one service within a one-minute window
--   reached the threshold, with enough events in the window for the ratio to mean something.
-- runbook: docs/RULES.md#app_error_rate
-- dedup: 15m
-- tags: reliability, availability
-- enabled: true
-- param.window_minutes: 1
-- param.min_events: 20
-- param.max_error_ratio: 0.2
--
-- Fires when the window closes (window end + the watermark delay).
SELECT
    account,
    service AS group_key,
    window_start,
    window_end,
    COUNT(*) AS event_count,
    CONCAT(service, ': ', CAST(SUM(CASE WHEN level IN ('ERROR', 'FATAL') THEN 1 ELSE 0 END) AS STRING),
           ' of ', CAST(COUNT(*) AS STRING), ' events were errors') AS summary,
    JSON_OBJECT(
        'service' VALUE service,
        'errors' VALUE SUM(CASE WHEN level IN ('ERROR', 'FATAL') THEN 1 ELSE 0 END),
        'events' VALUE COUNT(*),
        'threshold' VALUE ${max_error_ratio}) AS details
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(event_time), INTERVAL '${window_minutes}' MINUTE))
WHERE log_type = 'app' AND service IS NOT NULL
GROUP BY account, service, window_start, window_end
HAVING COUNT(*) >= ${min_events}
   AND SUM(CASE WHEN level IN ('ERROR', 'FATAL') THEN 1 ELSE 0 END) >= ${max_error_ratio} * COUNT(*)
