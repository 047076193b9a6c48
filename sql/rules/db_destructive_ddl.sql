-- id: db_destructive_ddl
-- title: Destructive DDL on a database
-- severity: high
-- description: A successful DROP TABLE/DATABASE/SCHEMA, TRUNCATE or ALTER TABLE by a user that is
--   not an allow-listed migration user. Temporary tables are excepted. Outside a migration this is
--   either a mistake about to cost data or an attacker destroying evidence or data (ransom).
-- runbook: docs/RULES.md#db_destructive_ddl
-- dedup: 1h
-- tags: T1485, T1490
-- enabled: true
-- param.migration_users: 'flyway', 'liquibase', 'migrations'
--
-- Fires on the audit event itself, as soon as it is parsed.
SELECT
    account,
    CONCAT(COALESCE(db_user, '?'), '@', COALESCE(db_client_host, '?')) AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT(SQL_VERB(db_query), ' by ', COALESCE(db_user, '?'), ' from ', COALESCE(db_client_host, '?'), ': ',
           SUBSTRING(db_query FROM 1 FOR 200)) AS summary,
    JSON_OBJECT(
        'db_user' VALUE db_user,
        'db_client_host' VALUE db_client_host,
        'db_name' VALUE db_name,
        'db_query' VALUE db_query,
        'log_group' VALUE log_group) AS details
FROM logs
WHERE log_type IN ('mysql_audit', 'postgres_audit')
  AND db_query IS NOT NULL
  AND COALESCE(db_retcode, 0) = 0
  AND SQL_VERB(db_query) IN ('DROP TABLE', 'DROP DATABASE', 'DROP SCHEMA', 'TRUNCATE', 'ALTER TABLE')
  -- Possessive (*+): a plain group repetition recurses once per comment, and a query of a
  -- thousand comments would overflow the stack of the task that evaluates it.
  AND NOT REGEXP(db_query, '(?i)^\s*(?:/\*.*?\*/\s*)*+DROP\s+TEMPORARY\s')
  AND COALESCE(db_user, '') NOT IN (${migration_users})
