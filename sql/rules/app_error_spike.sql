-- id: app_error_spike
-- title: Errors far above the service's own baseline
-- severity: medium
-- description: A service logged many more errors in one minute than its own average of the
--   previous half hour. Catches a regression in a noisy service whose error ratio never looks
--   alarming, and a quiet service that suddenly fails.
-- runbook: docs/RULES.md#app_error_spike
-- dedup: 30m
-- tags: reliability
-- enabled: true
-- param.factor: 5
-- param.min_errors: 10
-- param.baseline_minutes: 30
-- param.min_baseline_minutes: 10
--
-- Fires when the minute closes (minute end + the watermark delay). A service needs
-- min_baseline_minutes of history before it can fire.
SELECT
    account,
    service AS group_key,
    window_start,
    window_end,
    errors AS event_count,
    CONCAT(service, ': ', CAST(errors AS STRING), ' errors in a minute, baseline ',
           CAST(CAST(baseline AS DECIMAL(10, 1)) AS STRING), ' per minute') AS summary,
    JSON_OBJECT('service' VALUE service, 'errors' VALUE errors, 'baseline_per_minute' VALUE baseline,
                'baseline_minutes' VALUE history, 'factor' VALUE ${factor}) AS details
FROM (
    SELECT account, service, window_start, window_end, errors,
           -- The average of the previous minutes only: the current minute must not raise its own bar.
           (SUM(errors) OVER w - errors) / CAST(GREATEST(COUNT(*) OVER w - 1, 1) AS DOUBLE) AS baseline,
           COUNT(*) OVER w - 1 AS history
    FROM (
        SELECT account, service, window_start, window_end, window_time,
               SUM(CASE WHEN level IN ('ERROR', 'FATAL') THEN 1 ELSE 0 END) AS errors
        FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))
        WHERE log_type = 'app' AND service IS NOT NULL
        GROUP BY account, service, window_start, window_end, window_time
    )
    WINDOW w AS (PARTITION BY account, service ORDER BY window_time
                 RANGE BETWEEN INTERVAL '${baseline_minutes}' MINUTE PRECEDING AND CURRENT ROW)
)
WHERE history >= ${min_baseline_minutes}
  AND errors >= ${min_errors}
  AND errors > ${factor} * baseline
