package dev.nagare.job.config;

import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.redact.Redactor;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every setting of the job. A key is {@code <property group>.<key in the group>}: on Managed Flink
 * the group is the runtime property group id, in a local JSON file the {@code PropertyGroupId}.
 */
public final class NagareOptions {
    private NagareOptions() {}

    // --- source -----------------------------------------------------------------------------

    public static final ConfigOption<SourceType> SOURCE_TYPE =
            ConfigOptions.key("source.type")
                    .enumType(SourceType.class)
                    .defaultValue(SourceType.DEMO)
                    .withDescription("Where records come from: 'kinesis' (production), 'replay' (files of captured records, bounded) "
                            + "or 'demo' (the embedded generator of realistic CloudWatch Logs records).");

    public static final ConfigOption<Integer> DEMO_RATE =
            ConfigOptions.key("source.demo.rate")
                    .intType()
                    .defaultValue(20)
                    .withDescription("Kinesis records per second the demo source emits (each record carries 1 to 5 log events). At most 1000.");

    public static final ConfigOption<Long> DEMO_SEED =
            ConfigOptions.key("source.demo.seed")
                    .longType()
                    .defaultValue(42L)
                    .withDescription("Seed of the demo generator: the same seed and start time give the same records.");

    public static final ConfigOption<String> DEMO_START =
            ConfigOptions.key("source.demo.start")
                    .stringType()
                    .defaultValue("now")
                    .withDescription("Event time of the first demo record: 'now' or an ISO-8601 instant such as 2024-06-01T00:00:00Z.");

    public static final ConfigOption<Long> DEMO_RECORDS =
            ConfigOptions.key("source.demo.records")
                    .longType()
                    .defaultValue(0L)
                    .withDescription("Number of demo records before the source ends; 0 means unbounded.");

    public static final ConfigOption<String> KINESIS_STREAM_ARN =
            ConfigOptions.key("source.kinesis.stream-arn")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("ARN of the Kinesis Data Stream the CloudWatch Logs subscription (or destination) writes to.");

    public static final ConfigOption<String> KINESIS_REGION =
            ConfigOptions.key("source.kinesis.region")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Region of the stream; default: the region in the stream ARN.");

    public static final ConfigOption<String> KINESIS_ENDPOINT =
            ConfigOptions.key("source.kinesis.endpoint")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Endpoint override for the Kinesis API (a local stand-in, a VPC endpoint).");

    public static final ConfigOption<KinesisStart> KINESIS_INITIAL_POSITION =
            ConfigOptions.key("source.kinesis.initial-position")
                    .enumType(KinesisStart.class)
                    .defaultValue(KinesisStart.LATEST)
                    .withDescription("Where a job without state starts reading: latest, trim_horizon (oldest kept) or at_timestamp.");

    public static final ConfigOption<String> KINESIS_INITIAL_TIMESTAMP =
            ConfigOptions.key("source.kinesis.initial-timestamp")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("With initial-position at_timestamp: an ISO-8601 instant such as 2024-06-01T00:00:00Z.");

    public static final ConfigOption<Duration> KINESIS_SHARD_DISCOVERY =
            ConfigOptions.key("source.kinesis.shard-discovery-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("How often new shards (after a resharding) are looked for.");

    public static final ConfigOption<String> KINESIS_ACCESS_KEY_ID =
            ConfigOptions.key("source.kinesis.access-key-id")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Static credentials for a local stand-in; without them the default credentials chain "
                            + "(the application's IAM role on Managed Flink) is used.");

    public static final ConfigOption<String> KINESIS_SECRET_ACCESS_KEY =
            ConfigOptions.key("source.kinesis.secret-access-key")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Secret of source.kinesis.access-key-id; 'env:NAME' reads it from the environment. Never logged.");

    public static final ConfigOption<List<String>> REPLAY_FILES =
            ConfigOptions.key("source.replay.files")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription("Files of captured Kinesis records for source.type=replay, separated by ';': one record "
                            + "per line, either as JSON the way 'aws kinesis get-records ... | jq -c .Records[]' prints it (with its "
                            + "arrival time) or its base64 Data field alone.");

    // --- lake -------------------------------------------------------------------------------

    public static final ConfigOption<String> LAKE_PATH =
            ConfigOptions.key("lake.path")
                    .stringType()
                    .defaultValue("./data/lake")
                    .withDescription("Root of the Parquet lake: a local folder or a file system URI such as s3://bucket/prefix.");

    public static final ConfigOption<LakeCompression> LAKE_COMPRESSION =
            ConfigOptions.key("lake.compression")
                    .enumType(LakeCompression.class)
                    .defaultValue(LakeCompression.SNAPPY)
                    .withDescription("Parquet compression codec.");

    public static final ConfigOption<MemorySize> LAKE_ROLLING_FILE_SIZE =
            ConfigOptions.key("lake.rolling.file-size")
                    .memoryType()
                    .defaultValue(MemorySize.parse("128mb"))
                    .withDescription("A Parquet file is closed when it reaches this size (files are also closed on every checkpoint).");

    public static final ConfigOption<Boolean> LAKE_COMPACTION =
            ConfigOptions.key("lake.compaction")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Merge the files each checkpoint writes into one partition (one per writer) into files of up to "
                            + "lake.rolling.file-size before they become visible, by copying their row groups (no re-encoding).");

    public static final ConfigOption<Duration> LAKE_COMMIT_LOG_RETENTION =
            ConfigOptions.key("lake.commit-log.retention")
                    .durationType()
                    .defaultValue(Duration.ofDays(30))
                    .withDescription("How long the lake keeps each checkpoint's commit marker (_nagare/commits/). Restoring from "
                            + "a checkpoint or savepoint removes the files later checkpoints committed, so the replayed events are "
                            + "not stored twice; that needs the markers, so keep them at least as long as the oldest savepoint "
                            + "you may restore from.");

    // --- parse ------------------------------------------------------------------------------

    public static final ConfigOption<List<String>> PARSE_ROUTES =
            ConfigOptions.key("parse.routes")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription("Extra log group routes, tried before the AWS defaults: '<log_type>:<log group regex>' entries "
                            + "separated by ';', e.g. 'mysql_audit:/custom/db/.*'. Groups no route matches are classified by content.");

    public static final ConfigOption<Duration> DEDUP_TTL =
            ConfigOptions.key("parse.dedup.ttl")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription("How long an event id is remembered to drop re-deliveries of the same event; 0 s turns deduplication off, otherwise at least 1 s.");

    public static final ConfigOption<MemorySize> DEDUP_FILTER_MEMORY =
            ConfigOptions.key("parse.dedup.filter-memory")
                    .memoryType()
                    .defaultValue(MemorySize.parse("64mb"))
                    .withDescription("RocksDB state only: heap memory per subtask for a Bloom filter of the event ids stored, so that a "
                            + "new id is written without a state read first. A third of it holds a TTL's ids at 1.25 bytes an id "
                            + "(64 mb: 17 million, an hour at 5,000 events/s); past that the reads come back gradually. "
                            + "0 turns the filter off; otherwise 1 mb to 1 gb.");

    public static final ConfigOption<Duration> PARTIAL_TIMEOUT =
            ConfigOptions.key("parse.partial.timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("How long the pieces of a FireLens line split at 16 KiB wait for the missing ones before "
                            + "the line is kept as it is, marked incomplete.");

    public static final ConfigOption<Integer> MAX_LINE_CHARS =
            ConfigOptions.key("parse.max-line-chars")
                    .intType()
                    .defaultValue(EventParser.DEFAULT_MAX_LINE_CHARS)
                    .withDescription("Longest log line parsed whole, in any format (reassembled FireLens lines included); a longer "
                            + "line is cut here, parsed, and flagged with the attribute nagare_truncated_from_chars.");

    public static final ConfigOption<MemorySize> MAX_RECORD_BYTES =
            ConfigOptions.key("parse.max-record-bytes")
                    .memoryType()
                    .defaultValue(MemorySize.parse("128mb"))
                    .withDescription("Decompressed bytes allowed per Kinesis record, counted across all its gzip, zlib and KPL "
                            + "members; a record that expands further (a gzip bomb) is a dead letter.");

    public static final ConfigOption<Integer> MAX_EVENTS_PER_RECORD =
            ConfigOptions.key("parse.max-events-per-record")
                    .intType()
                    .defaultValue(RecordDecoder.DEFAULT_MAX_EVENTS_PER_RECORD)
                    .withDescription("Log events allowed per Kinesis record; a record with more is a dead letter.");

    public static final ConfigOption<Duration> MAX_FUTURE =
            ConfigOptions.key("parse.max-future")
                    .durationType()
                    .defaultValue(Duration.ofMillis(EventParser.DEFAULT_MAX_FUTURE_MILLIS))
                    .withDescription("How far the time written inside a log line may run ahead of its record's time (the CloudWatch "
                            + "Logs event time, else the Kinesis arrival time). A line further ahead keeps its claimed time in "
                            + "rejected_event_time, is timed by its record and flagged, so it cannot move the watermark.");

    // --- redact -----------------------------------------------------------------------------

    public static final ConfigOption<List<String>> REDACT_SECRET_KEYS =
            ConfigOptions.key("redact.secret-keys")
                    .stringType()
                    .asList()
                    .defaultValues(Redactor.DEFAULT_SECRET_KEYS.toArray(new String[0]))
                    .withDescription("Key words that make a name secret, separated by ';': the value of a JSON attribute, "
                            + "'name=value', 'name: value' or header whose name holds one of them as a word (names are split at "
                            + "_ - . and camelCase; case and separators do not count, so api_key also names apiKey and X-Api-Key) "
                            + "is masked whatever it is. Setting this replaces the default list.");

    public static final ConfigOption<List<String>> REDACT_EXTRA_PATTERNS =
            ConfigOptions.key("redact.extra-patterns")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription("More secrets by shape: Java regexes separated by ';', masked in every stored and sent "
                            + "text after the built-in patterns; a pattern with groups masks only its group 1 (to keep a prefix). "
                            + "They run on every line, so use possessive quantifiers and no nested repetition.");

    // --- rules ------------------------------------------------------------------------------

    public static final ConfigOption<String> RULES_DIRECTORY =
            ConfigOptions.key("rules.directory")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("A folder of *.sql rule files that extends the bundled pack; a file with the id of a bundled rule replaces it.");

    public static final ConfigOption<List<String>> RULES_DISABLED =
            ConfigOptions.key("rules.disabled")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription("Rule ids to skip, separated by ';'.");

    public static final ConfigOption<Duration> RULES_DEFAULT_STATE_TTL =
            ConfigOptions.key("rules.default-state-ttl")
                    .durationType()
                    .defaultValue(Duration.ofDays(1))
                    .withDescription("State TTL (table.exec.state.ttl) of the SQL operators of rules without a 'state-ttl' header: "
                            + "idle state of a key is dropped after this long, in the operators that honour it (docs/RULES.md). "
                            + "Whole seconds from 1 min to 365 d, and longer than the longest INTERVAL of every rule that uses it.");

    public static final ConfigOption<Duration> RULES_WATERMARK_STEP =
            ConfigOptions.key("rules.sequence-watermark-step")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("Rules with an OVER window from UNBOUNDED PRECEDING or a MATCH_RECOGNIZE see the watermark "
                            + "advance in whole steps of this size; 0 passes every watermark. Flink reads every key with a row "
                            + "waiting in those operators again at each watermark (every 200 ms), so with the 30 s out-of-orderness "
                            + "a row was read about 150 times; in 10 s steps, about 4. Their alerts come up to one step later. "
                            + "0, or from 100 ms to 1 h.");

    // --- alerts -----------------------------------------------------------------------------

    public static final ConfigOption<Boolean> ALERTS_PRINT =
            ConfigOptions.key("alerts.print")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Print every alert as one line to the task manager log (stdout in a local run).");

    public static final ConfigOption<String> WEBHOOK_URL =
            ConfigOptions.key("alerts.webhook.url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Where alerts are POSTed: a literal https URL, 'env:NAME' for an environment variable of the TaskManager, "
                            + "or a Secrets Manager secret: its ARN, or 'secretsmanager:<name or ARN>', either optionally ending in '#<json-key>'. "
                            + "Secrets are read by the delivering operator when it opens, never carried in the job graph, and never logged. "
                            + "Plain http is accepted for loopback addresses only.");

    public static final ConfigOption<WebhookFormat> WEBHOOK_FORMAT =
            ConfigOptions.key("alerts.webhook.format")
                    .enumType(WebhookFormat.class)
                    .defaultValue(WebhookFormat.SLACK)
                    .withDescription("'slack': a Slack-compatible body (text and blocks); 'json': the alert as JSON.");

    public static final ConfigOption<Map<String, String>> WEBHOOK_HEADERS =
            ConfigOptions.key("alerts.webhook.headers")
                    .mapType()
                    .defaultValue(Map.of())
                    .withDescription("Extra HTTP headers, e.g. 'Authorization:Bearer env:TOKEN' entries separated by ','; "
                            + "a value may be a reference like alerts.webhook.url's ('env:NAME', or 'secretsmanager:<name or ARN>#<key>' in single quotes), "
                            + "read by the delivering operator.");

    public static final ConfigOption<Severity> WEBHOOK_MIN_SEVERITY =
            ConfigOptions.key("alerts.webhook.min-severity")
                    .enumType(Severity.class)
                    .defaultValue(Severity.INFO)
                    .withDescription("Alerts below this severity are not sent to the webhook (they still reach the lake).");

    public static final ConfigOption<List<String>> WEBHOOK_TAGS =
            ConfigOptions.key("alerts.webhook.tags")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription("Send only alerts of rules with one of these tags (';'-separated); empty means every rule.");

    public static final ConfigOption<String> RUNBOOK_BASE_URL =
            ConfigOptions.key("alerts.runbook-base-url")
                    .stringType()
                    .defaultValue("")
                    .withDescription("URL that relative rule runbooks (docs/RULES.md#app_error_rate) are resolved against in Slack "
                            + "messages, e.g. https://github.com/acme/nagare/blob/main/ for the repository the rules come from; "
                            + "empty: a relative runbook is shown as text, without a link. An http:// or https:// URL.");

    public static final ConfigOption<String> LAMBDA_FUNCTION =
            ConfigOptions.key("alerts.lambda.function")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Name or ARN of an AWS Lambda function invoked asynchronously (InvocationType=Event) with each alert.");

    public static final ConfigOption<String> LAMBDA_REGION =
            ConfigOptions.key("alerts.lambda.region")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Region of the Lambda function; default: the SDK's region provider chain.");

    public static final ConfigOption<String> LAMBDA_ENDPOINT =
            ConfigOptions.key("alerts.lambda.endpoint")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Endpoint override for the Lambda API (tests and private endpoints).");

    public static final ConfigOption<String> SECRETS_ENDPOINT =
            ConfigOptions.key("alerts.secrets.endpoint")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Endpoint override for Secrets Manager (a VPC endpoint, tests); default: the region's endpoint.");

    public static final ConfigOption<String> SECRETS_REGION =
            ConfigOptions.key("alerts.secrets.region")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Region of secrets named without an ARN ('secretsmanager:<name>'); an ARN's own region wins. "
                            + "Default: the AWS SDK's region chain (on Managed Flink, the application's region).");

    public static final ConfigOption<Severity> LAMBDA_MIN_SEVERITY =
            ConfigOptions.key("alerts.lambda.min-severity")
                    .enumType(Severity.class)
                    .defaultValue(Severity.INFO)
                    .withDescription("Alerts below this severity are not sent to Lambda.");

    public static final ConfigOption<List<String>> LAMBDA_TAGS =
            ConfigOptions.key("alerts.lambda.tags")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription("Send only alerts of rules with one of these tags (';'-separated); empty means every rule.");

    public static final ConfigOption<Duration> DELIVERY_CONNECT_TIMEOUT =
            ConfigOptions.key("alerts.connect-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription("Connect timeout of one delivery attempt.");

    public static final ConfigOption<Duration> DELIVERY_REQUEST_TIMEOUT =
            ConfigOptions.key("alerts.request-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription("Timeout of one delivery attempt.");

    public static final ConfigOption<Duration> DELIVERY_MAX_WAIT =
            ConfigOptions.key("alerts.retry.max-wait")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(10))
                    .withDescription("How long an alert may wait for delivery, rate limit and retries included, before it goes to "
                            + "the alerts_undelivered table with the last error; an alert the rate limit cannot serve in time goes there at once.");

    public static final ConfigOption<Duration> DELIVERY_INITIAL_BACKOFF =
            ConfigOptions.key("alerts.retry.initial-backoff")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(1))
                    .withDescription("First wait between attempts; it doubles up to alerts.retry.max-backoff, with jitter, "
                            + "unless the destination says Retry-After.");

    public static final ConfigOption<Duration> DELIVERY_MAX_BACKOFF =
            ConfigOptions.key("alerts.retry.max-backoff")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(60))
                    .withDescription("Longest wait between attempts.");

    public static final ConfigOption<Double> DELIVERY_RATE_LIMIT =
            ConfigOptions.key("alerts.rate-limit")
                    .doubleType()
                    .defaultValue(1.0)
                    .withDescription("Requests per second to each destination (Slack allows about 1 per webhook).");

    public static final ConfigOption<Integer> DELIVERY_MAX_IN_FLIGHT =
            ConfigOptions.key("alerts.max-in-flight")
                    .intType()
                    .defaultValue(1000)
                    .withDescription("Alerts waiting or in flight per destination and subtask; an alert beyond it is not queued "
                            + "but goes to the alerts_undelivered table at once ('queue full'), so delivery never slows the job down.");

    // --- job --------------------------------------------------------------------------------

    public static final ConfigOption<Duration> WATERMARK_DELAY =
            ConfigOptions.key("job.watermark.out-of-orderness")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription("How late an event may arrive, by its own time, and still count in event-time windows.");

    public static final ConfigOption<Duration> IDLE_TIMEOUT =
            ConfigOptions.key("job.watermark.idle-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(1))
                    .withDescription("A source split without records for this long stops holding back the watermark.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            ConfigOptions.key("job.checkpoint.interval")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(1))
                    .withDescription("Checkpoint interval outside Managed Flink (which sets its own). Lake files become visible on checkpoints.");

    public static final ConfigOption<String> CHECKPOINT_DIR =
            ConfigOptions.key("job.checkpoint.dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Durable checkpoint storage outside Managed Flink (which keeps its own), e.g. "
                            + "s3://bucket/nagare/checkpoints; needed when the Flink configuration sets no "
                            + "execution.checkpointing.dir. A replay without it checkpoints to a temporary folder.");

    // --- local (only read by the local MiniCluster runner) -----------------------------------

    public static final ConfigOption<Integer> LOCAL_WEB_UI_PORT =
            ConfigOptions.key("local.web-ui.port")
                    .intType()
                    .defaultValue(8081)
                    .withDescription("Port of the Flink web UI in a local run (bound to 127.0.0.1).");

    public static final ConfigOption<Integer> LOCAL_PARALLELISM =
            ConfigOptions.key("local.parallelism")
                    .intType()
                    .defaultValue(2)
                    .withDescription("Parallelism of a local run.");

    public static final ConfigOption<Duration> LOCAL_STATUS_INTERVAL =
            ConfigOptions.key("local.status.interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription("How often a local run prints its status line.");

    public static final ConfigOption<String> LOCAL_CHECKPOINT_DIR =
            ConfigOptions.key("local.checkpoint.dir")
                    .stringType()
                    .defaultValue("./data/checkpoints")
                    .withDescription("Where a local run keeps its checkpoints.");

    public static final ConfigOption<Boolean> LOCAL_STAND_INS =
            ConfigOptions.key("local.stand-ins")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription("Start kinesis-local, S3Proxy and a webhook endpoint on 127.0.0.1 at the ports of "
                            + "source.kinesis.endpoint, local.s3.endpoint and alerts.webhook.url, create the stream and "
                            + "the bucket, and feed the demo generator (source.demo.*) into the stream.");

    public static final ConfigOption<String> LOCAL_S3_ENDPOINT =
            ConfigOptions.key("local.s3.endpoint")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("S3 API endpoint for s3:// paths of a local run (an S3-compatible store, path-style "
                            + "access). On a cluster, set s3.endpoint in the Flink configuration instead.");

    /** Every option, in the order the configuration reference lists them. */
    public static final List<ConfigOption<?>> ALL =
            List.of(
                    SOURCE_TYPE, DEMO_RATE, DEMO_SEED, DEMO_START, DEMO_RECORDS, KINESIS_STREAM_ARN, KINESIS_REGION,
                    KINESIS_ENDPOINT, KINESIS_INITIAL_POSITION, KINESIS_INITIAL_TIMESTAMP, KINESIS_SHARD_DISCOVERY,
                    KINESIS_ACCESS_KEY_ID, KINESIS_SECRET_ACCESS_KEY, REPLAY_FILES,
                    LAKE_PATH, LAKE_COMPRESSION, LAKE_ROLLING_FILE_SIZE, LAKE_COMPACTION, LAKE_COMMIT_LOG_RETENTION,
                    PARSE_ROUTES, DEDUP_TTL, DEDUP_FILTER_MEMORY, PARTIAL_TIMEOUT, MAX_LINE_CHARS, MAX_RECORD_BYTES, MAX_EVENTS_PER_RECORD, MAX_FUTURE,
                    REDACT_SECRET_KEYS, REDACT_EXTRA_PATTERNS,
                    RULES_DIRECTORY, RULES_DISABLED, RULES_DEFAULT_STATE_TTL, RULES_WATERMARK_STEP,
                    ALERTS_PRINT, WEBHOOK_URL, WEBHOOK_FORMAT, WEBHOOK_HEADERS, WEBHOOK_MIN_SEVERITY, WEBHOOK_TAGS, RUNBOOK_BASE_URL,
                    LAMBDA_FUNCTION, LAMBDA_REGION, LAMBDA_ENDPOINT, LAMBDA_MIN_SEVERITY, LAMBDA_TAGS, SECRETS_ENDPOINT, SECRETS_REGION,
                    DELIVERY_CONNECT_TIMEOUT, DELIVERY_REQUEST_TIMEOUT, DELIVERY_MAX_WAIT, DELIVERY_INITIAL_BACKOFF,
                    DELIVERY_MAX_BACKOFF, DELIVERY_RATE_LIMIT, DELIVERY_MAX_IN_FLIGHT,
                    WATERMARK_DELAY, IDLE_TIMEOUT, CHECKPOINT_INTERVAL, CHECKPOINT_DIR,
                    LOCAL_WEB_UI_PORT, LOCAL_PARALLELISM, LOCAL_STATUS_INTERVAL, LOCAL_CHECKPOINT_DIR,
                    LOCAL_STAND_INS, LOCAL_S3_ENDPOINT);
}
