-- id: login_sequence_pattern
-- title: Failed logins followed by a successful one
-- severity: critical
-- description: The same database user from the same client host failed to log in several times in
--   a row and then logged in successfully: a guessed or stuffed password that worked.
-- runbook: docs/RULES.md#db_bruteforce_then_success
-- dedup: 1h
-- tags: T1110.001, T1078
-- enabled: true
-- param.failures: 5
-- param.minutes: 10
--
-- db_bruteforce_then_success as it was written with MATCH_RECOGNIZE, before it moved to an OVER
-- window with SUCCESS_AFTER_FAILURES: `rules validate` warns about the pattern operator's cost, and
-- the bundled rule's first four cases (the ones that do not count a run longer than the window)
-- pass on both forms.
SELECT
    account,
    CONCAT(COALESCE(db_user, '?'), '@', COALESCE(db_client_host, '?')) AS group_key,
    first_failure AS window_start,
    success_time AS window_end,
    failures + 1 AS event_count,
    CONCAT(COALESCE(db_user, '?'), ' logged in from ', COALESCE(db_client_host, '?'), ' after ',
           CAST(failures AS STRING), ' failed attempts') AS summary,
    JSON_OBJECT('db_user' VALUE db_user, 'db_client_host' VALUE db_client_host, 'failures' VALUE failures,
                'first_failure' VALUE CAST(first_failure AS STRING), 'success' VALUE CAST(success_time AS STRING)) AS details
FROM (
    -- Only the columns the pattern reads: the matcher keeps every selected column of each event
    -- in its state until the pattern completes or times out.
    SELECT account, db_user, db_client_host, db_operation, event_time FROM logs
    WHERE log_type IN ('mysql_audit', 'postgres_audit') AND db_operation IN ('FAILED_CONNECT', 'CONNECT')
)
MATCH_RECOGNIZE (
    PARTITION BY account, db_user, db_client_host
    -- Failures before a success that shares their timestamp: ties must not hide the sequence.
    ORDER BY event_time, db_operation DESC
    MEASURES
        FIRST(F.event_time) AS first_failure,
        COUNT(F.event_time) AS failures,
        S.event_time AS success_time
    ONE ROW PER MATCH
    AFTER MATCH SKIP PAST LAST ROW
    PATTERN (F{${failures},} S) WITHIN INTERVAL '${minutes}' MINUTE
    DEFINE
        F AS F.db_operation = 'FAILED_CONNECT',
        S AS S.db_operation = 'CONNECT'
)
