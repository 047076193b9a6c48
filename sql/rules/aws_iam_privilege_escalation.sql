-- id: aws_iam_privilege_escalation
-- title: IAM change that grants more privileges
-- severity: high
-- description: An IAM call that widens what a principal may do: an administrator or wildcard
--   policy attached or written inline, a new default policy version, a login profile for a user,
--   a user added to a group, or a role's trust policy changed. Alone each can be routine; they
--   are how a foothold becomes an administrator.
-- runbook: docs/RULES.md#aws_iam_privilege_escalation
-- dedup: 1h
-- tags: T1098, T1078.004
-- enabled: true
--
-- Fires on the CloudTrail event itself (successful calls only), as soon as it is parsed.
SELECT
    account,
    COALESCE(aws_principal_arn, '?') AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT(aws_event_name, ' by ', COALESCE(aws_principal_arn, '?'), ': ',
           SUBSTRING(COALESCE(attributes['request_parameters'], '') FROM 1 FOR 200)) AS summary,
    JSON_OBJECT('event_name' VALUE aws_event_name, 'principal' VALUE aws_principal_arn, 'account' VALUE account,
                'request_parameters' VALUE attributes['request_parameters'], 'event_id' VALUE event_id) AS details
FROM logs
WHERE log_type = 'cloudtrail'
  AND aws_event_source = 'iam.amazonaws.com'
  AND aws_error_code IS NULL
  AND (
      (aws_event_name IN ('AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy')
          AND attributes['request_parameters'] LIKE '%AdministratorAccess%')
      OR (aws_event_name IN ('PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy', 'CreatePolicyVersion')
          -- "Action": "*" or "Action": [..., "*"], also inside the policy document's escaped JSON string.
          -- Bounded: IAM policy documents are at most 10,240 characters, and the search backtracks
          -- from every "Action" it finds, so unbounded text could take quadratic time.
          AND REGEXP(SUBSTRING(attributes['request_parameters'] FROM 1 FOR 20000), 'Action\\?"\s*:\s*(\[[^\]]*)?\\?"\*\\?"'))
      OR aws_event_name IN ('SetDefaultPolicyVersion', 'CreateLoginProfile', 'UpdateLoginProfile', 'AddUserToGroup',
                            'UpdateAssumeRolePolicy')
  )
