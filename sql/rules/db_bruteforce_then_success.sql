-- id: db_bruteforce_then_success
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
-- Fires on the successful login that completes the sequence. Constant cost per event: each user
-- and host keeps its current run of failures (its length, first time and last ${failures} times)
-- in an OVER window from UNBOUNDED PRECEDING, which sorts by event time with one timer per key.
-- (MATCH_RECOGNIZE finds the same sequences, but its operator sets a timer per timestamp and,
-- on RocksDB, seeks through every earlier row's tombstone on each: a third of the job's CPU on a
-- long run.) A failure in the same millisecond as the success counts before it, as the pattern's
-- ORDER BY event_time, db_operation DESC did; each such failure reports the grown run, and the
-- one-millisecond window below keeps the largest. The count covers the whole run of failures,
-- which may have started before the window.
WITH sequences AS (
    SELECT * FROM (
        -- Only the columns the window reads: an OVER window keeps every selected column of each
        -- event in its state until the watermark passes it.
        SELECT account, db_user, db_client_host, event_time,
               SUCCESS_AFTER_FAILURES(db_operation = 'FAILED_CONNECT', CAST(event_time AS TIMESTAMP(3)),
                                      ${failures}, ${minutes} * 60)
                   OVER (PARTITION BY account, db_user, db_client_host ORDER BY event_time
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sequence
        FROM logs
        WHERE log_type IN ('mysql_audit', 'postgres_audit') AND db_operation IN ('FAILED_CONNECT', 'CONNECT')
    )
    WHERE sequence IS NOT NULL
)
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
    SELECT account, db_user, db_client_host,
           MAX(sequence.failures) AS failures,
           MIN(sequence.first_failure) AS first_failure,
           MAX(sequence.success_time) AS success_time
    FROM TABLE(TUMBLE(TABLE sequences, DESCRIPTOR(event_time), INTERVAL '0.001' SECOND))
    GROUP BY account, db_user, db_client_host, window_start, window_end
)
