-- id: aws_access_denied_burst
-- title: Burst of access-denied errors from one principal
-- severity: medium
-- description: One principal got many AccessDenied / UnauthorizedOperation errors within a few
--   minutes: someone enumerating what stolen credentials can do, or a deployment missing a
--   permission.
-- runbook: docs/RULES.md#aws_access_denied_burst
-- dedup: 30m
-- tags: T1087, T1526
-- enabled: true
-- param.threshold: 10
-- param.minutes: 5
--
-- Fires on every error at or past the threshold within the sliding period (events that share a
-- timestamp share one count, so the count can jump past the threshold); one incident pages once.
SELECT
    account,
    aws_principal_arn AS group_key,
    event_time - INTERVAL '${minutes}' MINUTE AS window_start,
    event_time AS window_end,
    denied AS event_count,
    CONCAT(CAST(denied AS STRING), ' access-denied errors in ${minutes} minutes for ', aws_principal_arn,
           ', last on ', aws_event_name) AS summary,
    JSON_OBJECT('principal' VALUE aws_principal_arn, 'denied' VALUE denied, 'last_event' VALUE aws_event_name,
                'source_ip' VALUE aws_source_ip) AS details
FROM (
    -- Only the columns the rule reads: every column selected here is shuffled and kept in the
    -- window's state for each event (SELECT * would carry messages and queries).
    SELECT account, aws_principal_arn, aws_event_name, aws_source_ip, event_time,
           COUNT(*) OVER (PARTITION BY account, aws_principal_arn ORDER BY event_time
                          RANGE BETWEEN INTERVAL '${minutes}' MINUTE PRECEDING AND CURRENT ROW) AS denied
    FROM logs
    WHERE log_type = 'cloudtrail' AND aws_principal_arn IS NOT NULL
      AND (aws_error_code IN ('AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation')
           OR aws_error_code LIKE '%AccessDenied%')
)
WHERE denied >= ${threshold}
