-- id: aws_console_login_without_mfa
-- title: Console sign-in without MFA
-- severity: high
-- description: A successful AWS console sign-in that did not use MFA. Every human principal
--   should have MFA; a sign-in without it is a policy gap or a password that leaked.
-- runbook: docs/RULES.md#aws_console_login_without_mfa
-- dedup: 1h
-- tags: T1078, T1556.006
-- enabled: true
--
-- Fires on the ConsoleLogin event itself, as soon as it is parsed.
SELECT
    account,
    COALESCE(aws_principal_arn, attributes['user_name'], '?') AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT('console sign-in without MFA by ', COALESCE(aws_principal_arn, attributes['user_name'], '?'), ' from ',
           COALESCE(aws_source_ip, '?')) AS summary,
    JSON_OBJECT('principal' VALUE aws_principal_arn, 'principal_type' VALUE aws_principal_type,
                'source_ip' VALUE aws_source_ip, 'user_agent' VALUE attributes['user_agent'],
                'event_id' VALUE event_id) AS details
FROM logs
WHERE log_type = 'cloudtrail'
  AND aws_event_name = 'ConsoleLogin'
  AND attributes['console_login'] = 'Success'
  AND aws_mfa = FALSE
