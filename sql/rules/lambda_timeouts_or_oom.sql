-- id: lambda_timeouts_or_oom
-- title: Lambda invocation timed out or ran out of memory
-- severity: medium
-- description: A Lambda invocation ended with a timeout, an out-of-memory error or another
--   runtime failure of its environment, or used all of its memory. These failures often leave no
--   application error line: the platform's REPORT record is the only trace.
-- runbook: docs/RULES.md#lambda_timeouts_or_oom
-- dedup: 30m
-- tags: reliability
-- enabled: true
--
-- Fires on the REPORT record (text or JSON log format) or the "Task timed out" line, as parsed.
SELECT
    account,
    service AS group_key,
    event_time AS window_start,
    event_time AS window_end,
    CAST(1 AS BIGINT) AS event_count,
    CONCAT(COALESCE(service, '?'), ': ',
           CASE
               WHEN attributes['lambda_status'] = 'timeout' OR message LIKE 'Task timed out%' THEN 'invocation timed out'
               WHEN attributes['lambda_error_type'] LIKE 'Runtime.OutOfMemory%' THEN 'out of memory'
               WHEN lambda_max_memory_mb >= lambda_memory_size_mb THEN 'used all of its memory'
               ELSE CONCAT('runtime failure ', COALESCE(attributes['lambda_error_type'], attributes['lambda_status']))
           END,
           COALESCE(CONCAT(' (request ', request_id, ')'), '')) AS summary,
    JSON_OBJECT(
        'function' VALUE service,
        'request_id' VALUE request_id,
        'status' VALUE attributes['lambda_status'],
        'error_type' VALUE attributes['lambda_error_type'],
        'duration_ms' VALUE lambda_duration_ms,
        'max_memory_mb' VALUE lambda_max_memory_mb,
        'memory_size_mb' VALUE lambda_memory_size_mb) AS details
FROM logs
WHERE log_type = 'lambda'
  AND (attributes['lambda_status'] IN ('timeout', 'error', 'failure')
       OR attributes['lambda_error_type'] IS NOT NULL
       OR message LIKE 'Task timed out after%'
       OR lambda_max_memory_mb >= lambda_memory_size_mb)
