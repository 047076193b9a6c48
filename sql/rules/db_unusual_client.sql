-- id: db_unusual_client
-- title: Database user connected from an unusual host
-- severity: medium
-- description: A database user with an established history connected from a client host it has
--   not used within the lookback: stolen credentials used from elsewhere, or a new service sharing
--   an account. Users without history do not fire (nothing is unusual yet).
-- runbook: docs/RULES.md#db_unusual_client
-- dedup: 1d
-- tags: T1078
-- enabled: true
-- param.lookback_days: 7
-- state-ttl: 8d
-- param.min_history: 20
--
-- Fires on the connection itself. Constant cost per event: each (user, host) pair keeps only its
-- last two connection times and each user a count (OVER windows from UNBOUNDED PRECEDING keep one
-- accumulator per key; a RANGE over the lookback would rescan the lookback's events on every
-- timer, and a bounded ROWS frame lists its state on every event). A pair with no earlier
-- connection, or whose previous one is older than the lookback, is unusual. State of a pair or
-- user idle for the state TTL is dropped.
SELECT
    account,
    CONCAT(db_user, '@', db_client_host) AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT(db_user, ' connected from ', db_client_host, ', a host it has not used in ${lookback_days} days (',
           CAST(user_connections - 1 AS STRING), ' earlier connections)') AS summary,
    JSON_OBJECT('db_user' VALUE db_user, 'db_client_host' VALUE db_client_host, 'db_name' VALUE db_name,
                'earlier_connections' VALUE user_connections - 1) AS details
FROM (
    -- Only the columns the rule reads: every column selected here is shuffled and kept in the
    -- window's state for each event (SELECT * would carry messages and queries).
    SELECT account, db_user, db_client_host, db_name, event_time, pair_previous,
           COUNT(*) OVER (PARTITION BY account, db_user ORDER BY event_time
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS user_connections
    FROM (
        SELECT account, db_user, db_client_host, db_name, event_time,
               -- The pair's connection before this one, null for its first. Rows that share a
               -- timestamp are steps of their own (ROWS), so only one of them is the first.
               PREVIOUS_TIME(CAST(event_time AS TIMESTAMP(3))) OVER (PARTITION BY account, db_user, db_client_host
                              ORDER BY event_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS pair_previous
        FROM logs
        WHERE log_type IN ('mysql_audit', 'postgres_audit') AND db_operation = 'CONNECT'
          AND db_user IS NOT NULL AND db_client_host IS NOT NULL
    )
)
WHERE (pair_previous IS NULL OR pair_previous < CAST(event_time AS TIMESTAMP(3)) - INTERVAL '${lookback_days}' DAY)
  AND user_connections > ${min_history}
