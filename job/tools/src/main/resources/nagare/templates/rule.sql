-- id: RULE_ID
-- title: Errors in one service (a starting point: edit me)
-- severity: medium
-- description: Ten or more ERROR or FATAL events of one service within five minutes. Written by
--   `nagare rules new`: change the filter, the window and the threshold, then the cases beside it.
-- runbook: Say here what the person on call checks first, and how to tell a false positive.
-- dedup: 15m
-- tags: reliability
-- enabled: true
-- param.window_minutes: 5
-- param.min_errors: 10
--
-- Returns one row per alert: account, group_key, window_start, window_end, event_count, summary
-- and details (JSON). Fires when the window closes (window end + the watermark delay).
SELECT
    account,
    service AS group_key,
    window_start,
    window_end,
    COUNT(*) AS event_count,
    CONCAT(service, ': ', CAST(COUNT(*) AS STRING), ' errors in ${window_minutes} minutes') AS summary,
    JSON_OBJECT('service' VALUE service, 'errors' VALUE COUNT(*)) AS details
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(event_time), INTERVAL '${window_minutes}' MINUTE))
WHERE log_type = 'app' AND service IS NOT NULL AND level IN ('ERROR', 'FATAL')
GROUP BY account, service, window_start, window_end
HAVING COUNT(*) >= ${min_errors}
