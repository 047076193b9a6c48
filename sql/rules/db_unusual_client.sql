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
-- Fires on the connection itself. Only CONNECT events are kept in state, for the lookback.
SELECT
    account,
    CONCAT(db_user, '@', db_client_host) AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT(db_user, ' connected from ', db_client_host, ', a host it has not used in ${lookback_days} days (',
           CAST(user_connections - 1 AS STRING), ' earlier connections from other hosts)') AS summary,
    JSON_OBJECT('db_user' VALUE db_user, 'db_client_host' VALUE db_client_host, 'db_name' VALUE db_name,
                'earlier_connections' VALUE user_connections - 1) AS details
FROM (
    SELECT *,
           COUNT(*) OVER (PARTITION BY account, db_user ORDER BY event_time
                          RANGE BETWEEN INTERVAL '${lookback_days}' DAY PRECEDING AND CURRENT ROW) AS user_connections
    FROM (
        SELECT *,
               -- The pair's first connection in the lookback; connections that share that timestamp all count as first.
               MIN(event_time) OVER (PARTITION BY account, db_user, db_client_host ORDER BY event_time
                              RANGE BETWEEN INTERVAL '${lookback_days}' DAY PRECEDING AND CURRENT ROW) AS pair_first
        FROM logs
        WHERE log_type IN ('mysql_audit', 'postgres_audit') AND db_operation = 'CONNECT'
          AND db_user IS NOT NULL AND db_client_host IS NOT NULL
    )
)
WHERE pair_first = event_time AND user_connections > ${min_history}
