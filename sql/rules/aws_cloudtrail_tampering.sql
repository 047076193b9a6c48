-- id: aws_cloudtrail_tampering
-- title: CloudTrail logging stopped or changed
-- severity: critical
-- description: A trail was stopped, deleted, or had its settings or event selectors changed:
--   the classic first move of an intruder who wants the rest of their actions unrecorded.
-- runbook: docs/RULES.md#aws_cloudtrail_tampering
-- dedup: 15m
-- tags: T1562.008
-- enabled: true
--
-- Fires on the CloudTrail event itself (successful calls only), as soon as it is parsed.
SELECT
    account,
    COALESCE(aws_principal_arn, aws_principal_type, '?') AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT(aws_event_name, ' by ', COALESCE(aws_principal_arn, aws_principal_type, '?'), ' from ',
           COALESCE(aws_source_ip, '?')) AS summary,
    JSON_OBJECT('event_name' VALUE aws_event_name, 'principal' VALUE aws_principal_arn, 'account' VALUE account,
                'region' VALUE region, 'request_parameters' VALUE attributes['request_parameters'],
                'event_id' VALUE event_id) AS details
FROM logs
WHERE log_type = 'cloudtrail'
  AND aws_event_source = 'cloudtrail.amazonaws.com'
  AND aws_event_name IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors')
  AND aws_error_code IS NULL
