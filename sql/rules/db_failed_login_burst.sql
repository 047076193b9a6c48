-- id: db_failed_login_burst
-- title: Burst of failed database logins from one client
-- severity: medium
-- description: Many failed logins (MySQL FAILED_CONNECT, PostgreSQL password/pg_hba failures) from
--   one client host within a few minutes: password guessing or spraying, or a service with a stale
--   password locking itself out.
-- runbook: docs/RULES.md#db_failed_login_burst
-- dedup: 30m
-- tags: T1110
-- enabled: true
-- param.threshold: 10
-- param.minutes: 5
--
-- Fires on every failed login at or past the threshold within the sliding period, not at the end
-- of a window (logins that share a timestamp share one count, so the count can jump past the
-- threshold); one incident pages once.
SELECT
    account,
    db_client_host AS group_key,
    event_time - INTERVAL '${minutes}' MINUTE AS window_start,
    event_time AS window_end,
    failures AS event_count,
    CONCAT(CAST(failures AS STRING), ' failed logins from ', db_client_host, ' in ${minutes} minutes, last as ',
           COALESCE(db_user, '?')) AS summary,
    JSON_OBJECT('db_client_host' VALUE db_client_host, 'failures' VALUE failures, 'last_user' VALUE db_user,
                'log_group' VALUE log_group) AS details
FROM (
    -- Only the columns the rule reads: every column selected here is shuffled and kept in the
    -- window's state for each event (SELECT * would carry messages and queries).
    SELECT account, db_client_host, db_user, log_group, event_time,
           COUNT(*) OVER (PARTITION BY account, db_client_host ORDER BY event_time
                          RANGE BETWEEN INTERVAL '${minutes}' MINUTE PRECEDING AND CURRENT ROW) AS failures
    FROM logs
    WHERE log_type IN ('mysql_audit', 'postgres_audit') AND db_operation = 'FAILED_CONNECT' AND db_client_host IS NOT NULL
)
WHERE failures >= ${threshold}
