-- id: aws_security_group_open_world
-- title: Security group opened to the whole internet
-- severity: high
-- description: A security group rule was added or changed to accept traffic from any address
--   (0.0.0.0/0 or ::/0). Databases, admin ports and internal services end up reachable by anyone.
-- runbook: docs/RULES.md#aws_security_group_open_world
-- dedup: 1h
-- tags: T1562.007
-- enabled: true
--
-- Fires on the CloudTrail event itself (successful calls only), as soon as it is parsed.
SELECT
    account,
    COALESCE(aws_principal_arn, '?') AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT(aws_event_name, ' opened a security group to any address, by ', COALESCE(aws_principal_arn, '?')) AS summary,
    JSON_OBJECT('event_name' VALUE aws_event_name, 'principal' VALUE aws_principal_arn, 'account' VALUE account,
                'region' VALUE region, 'request_parameters' VALUE attributes['request_parameters'],
                'event_id' VALUE event_id) AS details
FROM logs
WHERE log_type = 'cloudtrail'
  AND aws_event_name IN ('AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules', 'AuthorizeSecurityGroupEgress')
  AND aws_error_code IS NULL
  AND (attributes['request_parameters'] LIKE '%"0.0.0.0/0"%' OR attributes['request_parameters'] LIKE '%"::/0"%')
