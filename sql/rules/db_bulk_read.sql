-- id: db_bulk_read
-- title: Whole sensitive table read
-- severity: high
-- description: A successful SELECT on a table listed as sensitive with neither WHERE nor LIMIT:
--   the whole table leaves the database, the shape of an exfiltration or an over-broad report.
-- runbook: docs/RULES.md#db_bulk_read
-- dedup: 1h
-- tags: T1005, T1530
-- enabled: true
-- param.sensitive_tables: customers|users|wallets|payment_cards|api_keys|kyc_documents
--
-- Fires on the audit event itself, as soon as it is parsed.
SELECT
    account,
    CONCAT(COALESCE(db_user, '?'), '@', COALESCE(db_client_host, '?')) AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT('unbounded read of a sensitive table by ', COALESCE(db_user, '?'), ': ', SUBSTRING(db_query FROM 1 FOR 200)) AS summary,
    JSON_OBJECT('db_user' VALUE db_user, 'db_client_host' VALUE db_client_host, 'db_name' VALUE db_name,
                'db_query' VALUE db_query) AS details
FROM logs
WHERE log_type IN ('mysql_audit', 'postgres_audit')
  AND db_query IS NOT NULL
  AND COALESCE(db_retcode, 0) = 0
  AND SQL_VERB(db_query) = 'SELECT'
  AND REGEXP(LOWER(db_query), '\bfrom\s+(`?[a-z0-9_]+`?\.)?`?(${sensitive_tables})`?(\s|$|;|,)')
  AND NOT REGEXP(LOWER(db_query), '\b(where|limit)\b')
