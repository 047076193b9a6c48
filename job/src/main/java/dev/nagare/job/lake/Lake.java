package dev.nagare.job.lake;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.connector.file.table.FileSystemConnectorOptions;
import org.apache.flink.connector.file.table.FileSystemConnectorOptions.PartitionCommitTriggerType;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.FormatDescriptor;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableDescriptor;
import org.apache.flink.table.api.TablePipeline;
import org.apache.flink.table.types.DataType;

import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;

import static org.apache.flink.table.api.Expressions.$;
import static org.apache.flink.table.api.Expressions.dateFormat;

/**
 * The Parquet lake (DESIGN.md "Lake layout"): one folder per table under {@code lake.path},
 * Hive-style partitions by event time in UTC, files committed exactly once on checkpoints and a
 * {@code _SUCCESS} marker in each partition once the watermark has passed it.
 */
public final class Lake {
    public static final String LOGS = "logs";
    public static final String ALERTS = "alerts";
    public static final String DEAD_LETTER = "dead_letter";
    public static final String METRICS_1M = "metrics_1m";
    public static final String ALERTS_UNDELIVERED = "alerts_undelivered";

    /** The per-minute rollup's columns (its SQL lives in {@code sql/rollups/metrics_1m.sql}). */
    public static final DataType METRICS_ROW =
            DataTypes.ROW(
                    DataTypes.FIELD("window_start", DataTypes.TIMESTAMP(3)),
                    DataTypes.FIELD("window_end", DataTypes.TIMESTAMP(3)),
                    DataTypes.FIELD("log_type", DataTypes.STRING()),
                    DataTypes.FIELD("service", DataTypes.STRING()),
                    DataTypes.FIELD("level", DataTypes.STRING()),
                    DataTypes.FIELD("event_count", DataTypes.BIGINT()));

    private final NagareConfig config;

    public Lake(NagareConfig config) {
        this.config = config;
    }

    /** {@code logs/log_type=<t>/dt=YYYY-MM-DD/hr=HH/}: every parsed event, by its own time. */
    public TablePipeline insertLogs(Table logs) {
        Table partitioned = logs.addColumns(
                dateFormat($("event_time"), "yyyy-MM-dd").as("dt"),
                dateFormat($("event_time"), "HH").as("hr"));
        return partitioned.insertInto(
                table(LOGS, Schemas.LOGS, List.of("log_type", "dt", "hr"), PartitionCommitTriggerType.PARTITION_TIME,
                        "$dt $hr:00:00", Duration.ofHours(1)));
    }

    /** {@code alerts/dt=YYYY-MM-DD/}, by the start of the alert's window. */
    public TablePipeline insertAlerts(Table alerts) {
        return byDay(alerts, "window_start", ALERTS, Schemas.ALERTS);
    }

    /** {@code metrics_1m/dt=YYYY-MM-DD/}: event counts per minute, log type, service and level. */
    public TablePipeline insertMetrics(Table metrics) {
        return byDay(metrics, "window_start", METRICS_1M, METRICS_ROW);
    }

    /** {@code alerts_undelivered/dt=YYYY-MM-DD/}, by the day delivery was given up. */
    public TablePipeline insertUndelivered(Table undelivered) {
        Table partitioned = undelivered.addColumns(dateFormat($("failed_at"), "yyyy-MM-dd").as("dt"));
        return partitioned.insertInto(
                table(ALERTS_UNDELIVERED, Schemas.ALERTS_UNDELIVERED, List.of("dt"), PartitionCommitTriggerType.PROCESS_TIME,
                        "$dt 00:00:00", Duration.ZERO));
    }

    /**
     * {@code dead_letter/dt=YYYY-MM-DD/}, by arrival time: an undecodable record has no event time.
     * Without event time there is no watermark to close a partition, so its partitions are
     * committed on processing time.
     */
    public TablePipeline insertDeadLetters(Table deadLetters) {
        Table partitioned = deadLetters.addColumns(dateFormat($("ingest_time"), "yyyy-MM-dd").as("dt"));
        return partitioned.insertInto(
                table(DEAD_LETTER, Schemas.DEAD_LETTER, List.of("dt"), PartitionCommitTriggerType.PROCESS_TIME,
                        "$dt 00:00:00", Duration.ZERO));
    }

    private TablePipeline byDay(Table table, String timeColumn, String name, DataType rowType) {
        Table partitioned = table.addColumns(dateFormat($(timeColumn), "yyyy-MM-dd").as("dt"));
        return partitioned.insertInto(
                table(name, rowType, List.of("dt"), PartitionCommitTriggerType.PARTITION_TIME, "$dt 00:00:00", Duration.ofDays(1)));
    }

    /** The sink definition of one lake table; partition columns are appended to the row type. */
    public TableDescriptor table(
            String name,
            DataType rowType,
            List<String> partitionKeys,
            PartitionCommitTriggerType trigger,
            String timestampPattern,
            Duration commitDelay) {
        Schema.Builder schema = Schema.newBuilder().fromRowDataType(rowType);
        for (String key : partitionKeys) {
            if (!DataType.getFieldNames(rowType).contains(key)) {
                schema.column(key, DataTypes.STRING());
            }
        }
        return TableDescriptor.forConnector("filesystem")
                .schema(schema.build())
                .partitionedBy(partitionKeys.toArray(new String[0]))
                .option(FileSystemConnectorOptions.PATH, path(name))
                .option(FileSystemConnectorOptions.SINK_ROLLING_POLICY_FILE_SIZE, config.get(NagareOptions.LAKE_ROLLING_FILE_SIZE))
                .option(FileSystemConnectorOptions.SINK_ROLLING_POLICY_ROLLOVER_INTERVAL, config.get(NagareOptions.LAKE_ROLLING_INTERVAL))
                .option(FileSystemConnectorOptions.SINK_PARTITION_COMMIT_TRIGGER, trigger)
                .option(FileSystemConnectorOptions.PARTITION_TIME_EXTRACTOR_TIMESTAMP_PATTERN, timestampPattern)
                .option(FileSystemConnectorOptions.SINK_PARTITION_COMMIT_DELAY, commitDelay)
                .option(FileSystemConnectorOptions.SINK_PARTITION_COMMIT_WATERMARK_TIME_ZONE, "UTC")
                .option(FileSystemConnectorOptions.SINK_PARTITION_COMMIT_POLICY_KIND, "success-file")
                .format(FormatDescriptor.forFormat("parquet")
                        .option("compression", config.get(NagareOptions.LAKE_COMPRESSION).name())
                        // INT64 timestamps in UTC: INT96 is deprecated and read differently by each engine.
                        .option("write.int64.timestamp", "true")
                        .option("timestamp.time.unit", "millis")
                        .option("utc-timezone", "true")
                        .build())
                .build();
    }

    /** The folder of one lake table. */
    public String path(String table) {
        String root = config.get(NagareOptions.LAKE_PATH);
        if (!root.contains("://")) {
            // A bare folder is local; make it absolute so it does not depend on each process's cwd.
            root = Paths.get(root).toAbsolutePath().normalize().toString();
        }
        return (root.endsWith("/") ? root : root + "/") + table;
    }
}
