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

    /** A lake table: its folder name, its columns and its partition keys. */
    public static final class LakeTable {
        public final String name;
        public final DataType rowType;
        public final List<String> partitionKeys;
        final PartitionCommitTriggerType trigger;
        final String timestampPattern;
        final Duration commitDelay;
        /** The column whose time gives {@code dt} (and {@code hr}). */
        final String timeColumn;

        LakeTable(String name, DataType rowType, List<String> partitionKeys, String timeColumn,
                  PartitionCommitTriggerType trigger, String timestampPattern, Duration commitDelay) {
            this.name = name;
            this.rowType = rowType;
            this.partitionKeys = partitionKeys;
            this.timeColumn = timeColumn;
            this.trigger = trigger;
            this.timestampPattern = timestampPattern;
            this.commitDelay = commitDelay;
        }
    }

    /** Every parsed event, by its own time. */
    public static final LakeTable LOGS_TABLE = new LakeTable(LOGS, Schemas.LOGS, List.of("log_type", "dt", "hr"), "event_time",
            PartitionCommitTriggerType.PARTITION_TIME, "$dt $hr:00:00", Duration.ofHours(1));
    /** Alerts, by the start of their window. */
    public static final LakeTable ALERTS_TABLE = new LakeTable(ALERTS, Schemas.ALERTS, List.of("dt"), "window_start",
            PartitionCommitTriggerType.PARTITION_TIME, "$dt 00:00:00", Duration.ofDays(1));
    /** Event counts per minute, log type, service and level. */
    public static final LakeTable METRICS_TABLE = new LakeTable(METRICS_1M, METRICS_ROW, List.of("dt"), "window_start",
            PartitionCommitTriggerType.PARTITION_TIME, "$dt 00:00:00", Duration.ofDays(1));
    /**
     * Undecodable records, by arrival time: an undecodable record has no event time, and without
     * one there is no watermark to close a partition, so partitions are committed on processing time.
     */
    public static final LakeTable DEAD_LETTER_TABLE = new LakeTable(DEAD_LETTER, Schemas.DEAD_LETTER, List.of("dt"), "ingest_time",
            PartitionCommitTriggerType.PROCESS_TIME, "$dt 00:00:00", Duration.ZERO);
    /** Alerts a destination did not take, by the day delivery was given up. */
    public static final LakeTable UNDELIVERED_TABLE = new LakeTable(ALERTS_UNDELIVERED, Schemas.ALERTS_UNDELIVERED, List.of("dt"),
            "failed_at", PartitionCommitTriggerType.PROCESS_TIME, "$dt 00:00:00", Duration.ZERO);

    /** Every lake table, as the Athena DDL lists them. */
    public static final List<LakeTable> TABLES = List.of(LOGS_TABLE, ALERTS_TABLE, METRICS_TABLE, DEAD_LETTER_TABLE, UNDELIVERED_TABLE);

    private final NagareConfig config;

    public Lake(NagareConfig config) {
        this.config = config;
    }

    public TablePipeline insertLogs(Table logs) {
        return insert(logs, LOGS_TABLE);
    }

    public TablePipeline insertAlerts(Table alerts) {
        return insert(alerts, ALERTS_TABLE);
    }

    public TablePipeline insertMetrics(Table metrics) {
        return insert(metrics, METRICS_TABLE);
    }

    public TablePipeline insertUndelivered(Table undelivered) {
        return insert(undelivered, UNDELIVERED_TABLE);
    }

    public TablePipeline insertDeadLetters(Table deadLetters) {
        return insert(deadLetters, DEAD_LETTER_TABLE);
    }

    /** Adds the date (and hour) partition columns from the table's time column and writes it. */
    private TablePipeline insert(Table rows, LakeTable table) {
        Table partitioned = rows.addColumns(dateFormat($(table.timeColumn), "yyyy-MM-dd").as("dt"));
        if (table.partitionKeys.contains("hr")) {
            partitioned = partitioned.addColumns(dateFormat($(table.timeColumn), "HH").as("hr"));
        }
        return partitioned.insertInto(descriptor(table));
    }

    /** The sink definition of a lake table (partition columns appended to its row type). */
    public TableDescriptor descriptor(LakeTable table) {
        return table(table.name, table.rowType, table.partitionKeys, table.trigger, table.timestampPattern, table.commitDelay);
    }

    /** The sink definition of one lake table; partition columns are appended to the row type. */
    TableDescriptor table(
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
                // Merge the small files of each checkpoint up to the rolling size before they become
                // visible, so frequent checkpoints do not leave a partition of tiny files.
                .option(FileSystemConnectorOptions.AUTO_COMPACTION, config.get(NagareOptions.LAKE_COMPACTION))
                .option(FileSystemConnectorOptions.COMPACTION_FILE_SIZE, config.get(NagareOptions.LAKE_ROLLING_FILE_SIZE))
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
