-- id: db_privilege_change
-- title: Database privileges changed
-- severity: high
-- description: A successful GRANT, REVOKE, CREATE/ALTER/DROP/RENAME USER (or ROLE) or SET PASSWORD
--   in a MySQL-family or PostgreSQL audit log. Privilege changes outside a change window are a classic step of
--   persistence after a database account is compromised.
-- runbook: docs/RULES.md#db_privilege_change
-- dedup: 1h
-- tags: T1098, T1078.004
-- enabled: true
--
-- Fires on the audit event itself, as soon as it is parsed.
SELECT
    account,
    CONCAT(COALESCE(db_user, '?'), '@', COALESCE(db_client_host, '?')) AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT('privilege change by ', COALESCE(db_user, '?'), ' from ', COALESCE(db_client_host, '?'),
           ': ', SUBSTRING(db_query FROM 1 FOR 200)) AS summary,
    JSON_OBJECT(
        'db_user' VALUE db_user,
        'db_client_host' VALUE db_client_host,
        'db_name' VALUE db_name,
        'db_query' VALUE db_query,
        'log_group' VALUE log_group,
        'event_id' VALUE event_id) AS details
FROM logs
WHERE log_type IN ('mysql_audit', 'postgres_audit')
  AND db_query IS NOT NULL
  AND COALESCE(db_retcode, 0) = 0
  AND SQL_VERB(db_query) IN ('GRANT', 'REVOKE', 'CREATE USER', 'ALTER USER', 'DROP USER', 'RENAME USER', 'SET PASSWORD')
