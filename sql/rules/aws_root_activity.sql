-- id: aws_root_activity
-- title: AWS account root user activity
-- severity: high
-- description: The account's root user signed in or called an AWS API. Day-to-day work never needs
--   root; its use is either a rare, planned task or a compromised account.
-- runbook: docs/RULES.md#aws_root_activity
-- dedup: 1h
-- tags: T1078.004
-- enabled: true
--
-- Fires on the CloudTrail event itself, as soon as it is parsed.
SELECT
    account,
    COALESCE(account, '?') AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT('root user of account ', COALESCE(account, '?'), ' called ', aws_event_name, ' from ',
           COALESCE(aws_source_ip, '?'), CASE WHEN aws_error_code IS NULL THEN '' ELSE CONCAT(' (', aws_error_code, ')') END) AS summary,
    JSON_OBJECT('account' VALUE account, 'event_name' VALUE aws_event_name, 'event_source' VALUE aws_event_source,
                'source_ip' VALUE aws_source_ip, 'mfa' VALUE aws_mfa, 'error_code' VALUE aws_error_code,
                'event_id' VALUE event_id) AS details
FROM logs
WHERE log_type = 'cloudtrail'
  AND aws_principal_type = 'Root'
  AND COALESCE(attributes['event_type'], '') <> 'AwsServiceEvent'
