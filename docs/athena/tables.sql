CREATE EXTERNAL TABLE IF NOT EXISTS nagare.logs (
  `event_time` timestamp,
  `ingest_time` timestamp,
  `event_id` string,
  `account` string,
  `region` string,
  `log_group` string,
  `log_stream` string,
  `service` string,
  `level` string,
  `message` string,
  `request_id` string,
  `trace_id` string,
  `attributes` map<string,string>,
  `db_user` string,
  `db_client_host` string,
  `db_operation` string,
  `db_name` string,
  `db_object` string,
  `db_query` string,
  `db_retcode` int,
  `db_connection_id` bigint,
  `aws_event_name` string,
  `aws_event_source` string,
  `aws_principal_arn` string,
  `aws_principal_type` string,
  `aws_source_ip` string,
  `aws_error_code` string,
  `aws_mfa` boolean,
  `lambda_duration_ms` double,
  `lambda_max_memory_mb` int,
  `lambda_memory_size_mb` int,
  `lambda_init_ms` double,
  `rejected_event_time` timestamp
)
PARTITIONED BY (`log_type` string, `dt` string, `hr` string)
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/nagare/logs/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.log_type.type' = 'enum',
  'projection.log_type.values' = 'app,lambda,mysql_audit,postgres_audit,cloudtrail,text',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'projection.hr.type' = 'integer',
  'projection.hr.range' = '0,23',
  'projection.hr.digits' = '2',
  'storage.location.template' = 's3://YOUR-BUCKET/nagare/logs/log_type=${log_type}/dt=${dt}/hr=${hr}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS nagare.alerts (
  `alert_id` string,
  `rule_id` string,
  `severity` string,
  `title` string,
  `account` string,
  `group_key` string,
  `window_start` timestamp,
  `window_end` timestamp,
  `event_count` bigint,
  `summary` string,
  `details` string,
  `runbook` string,
  `detected_at` timestamp
)
PARTITIONED BY (`dt` string)
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/nagare/alerts/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/nagare/alerts/dt=${dt}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS nagare.metrics_1m (
  `window_start` timestamp,
  `window_end` timestamp,
  `account` string,
  `log_type` string,
  `service` string,
  `level` string,
  `event_count` bigint
)
PARTITIONED BY (`dt` string)
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/nagare/metrics_1m/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/nagare/metrics_1m/dt=${dt}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS nagare.dead_letter (
  `ingest_time` timestamp,
  `stage` string,
  `reason` string,
  `log_group` string,
  `log_stream` string,
  `event_id` string,
  `raw_base64` string,
  `raw_size` int,
  `truncated` boolean
)
PARTITIONED BY (`dt` string)
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/nagare/dead_letter/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/nagare/dead_letter/dt=${dt}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS nagare.alerts_undelivered (
  `alert_id` string,
  `rule_id` string,
  `severity` string,
  `title` string,
  `account` string,
  `group_key` string,
  `window_start` timestamp,
  `window_end` timestamp,
  `event_count` bigint,
  `summary` string,
  `details` string,
  `runbook` string,
  `detected_at` timestamp,
  `destination` string,
  `error` string,
  `attempts` int,
  `failed_at` timestamp
)
PARTITIONED BY (`dt` string)
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/nagare/alerts_undelivered/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/nagare/alerts_undelivered/dt=${dt}/'
);
