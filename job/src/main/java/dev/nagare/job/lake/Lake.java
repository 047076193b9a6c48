package dev.nagare.job.lake;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.LakeSettings;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.utils.LogicalTypeChecks;
import org.apache.flink.types.Row;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Parquet lake (DESIGN.md "Lake layout"): one folder per table under {@code lake.path},
 * Hive-style partitions by event time in UTC, files committed exactly once on checkpoints and a
 * {@code _SUCCESS} marker in each partition once the watermark has passed it.
 *
 * <p>Each table has its own {@link LakeWriter} (chained to whatever produces its rows) and one
 * {@link LakeCommitter} commits for all of them, so a restore from any retained checkpoint or
 * savepoint leaves each event in the lake once (see {@link LakeCommitter}). Operator ids are fixed
 * names, never planner counters: rule changes cannot move the lake's state.
 */
public final class Lake {
    public static final String LOGS = "logs";
    public static final String ALERTS = "alerts";
    public static final String DEAD_LETTER = "dead_letter";
    public static final String METRICS_1M = "metrics_1m";
    public static final String ALERTS_UNDELIVERED = "alerts_undelivered";
    /** Where writers put files until their checkpoint completes (engines skip {@code _} folders). */
    static final String STAGING = "_nagare/staging";
    /** The commit log: one marker per committed checkpoint. */
    static final String COMMITS = "_nagare/commits";
    /** Hive's name for a partition whose value is null. */
    static final String NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__";

    /** The per-minute rollup's columns (its SQL lives in {@code sql/rollups/metrics_1m.sql}). */
    public static final DataType METRICS_ROW =
            DataTypes.ROW(
                    DataTypes.FIELD("window_start", DataTypes.TIMESTAMP(3)),
                    DataTypes.FIELD("window_end", DataTypes.TIMESTAMP(3)),
                    DataTypes.FIELD("account", DataTypes.STRING()),
                    DataTypes.FIELD("log_type", DataTypes.STRING()),
                    DataTypes.FIELD("service", DataTypes.STRING()),
                    DataTypes.FIELD("level", DataTypes.STRING()),
                    DataTypes.FIELD("event_count", DataTypes.BIGINT()));

    /** A lake table: its folder name, its columns and its partition keys. */
    public static final class LakeTable implements Serializable {
        private static final long serialVersionUID = 1L;

        public final String name;
        public final DataType rowType;
        public final List<String> partitionKeys;
        /** The column whose time gives {@code dt} (and {@code hr}). */
        final String timeColumn;
        /** True: a partition is complete once the watermark passes its start plus the delay; false: at every commit. */
        final boolean eventTimeCommit;
        final Duration commitDelay;
        /** Indexes of the partition keys among the columns (-1: derived from the time), found on first use. */
        private transient int[] keyFields;
        private transient RowData.FieldGetter[] keyGetters;
        private transient int timeField;
        private transient int timePrecision;
        private transient long bucketMillis;

        LakeTable(String name, DataType rowType, List<String> partitionKeys, String timeColumn, boolean eventTimeCommit,
                  Duration commitDelay) {
            this.name = name;
            this.rowType = rowType;
            this.partitionKeys = partitionKeys;
            this.timeColumn = timeColumn;
            this.eventTimeCommit = eventTimeCommit;
            this.commitDelay = commitDelay;
        }

        private List<String> columns() {
            return DataType.getFieldNames(rowType);
        }

        /** The columns stored in the files: all but those that are partition keys (they live in the path). */
        int[] fileColumns() {
            List<String> columns = columns();
            List<Integer> kept = new ArrayList<>();
            for (int i = 0; i < columns.size(); i++) {
                if (!partitionKeys.contains(columns.get(i))) {
                    kept.add(i);
                }
            }
            return kept.stream().mapToInt(Integer::intValue).toArray();
        }

        RowType fileType() {
            RowType full = (RowType) rowType.getLogicalType();
            List<RowType.RowField> fields = new ArrayList<>();
            for (int i : fileColumns()) {
                fields.add(full.getFields().get(i));
            }
            return new RowType(fields);
        }

        /**
         * What decides a row's partition, without building its path: each partition column's
         * value (text as a String), and the hour (or the day, without {@code hr}) of the row's
         * time for {@code dt} and {@code hr}. Rows with equal keys have the same
         * {@link #partitionOf}; a writer builds the path (date formatting, escaping) once per
         * file instead of once per row. Read from the planner's form of the row, which the
         * writer has for every row (it is what Parquet is written from).
         */
        List<Object> partitionKey(RowData row) {
            index();
            Object[] key = new Object[keyFields.length];
            for (int i = 0; i < keyFields.length; i++) {
                if (keyFields[i] >= 0) {
                    Object value = keyGetters[i].getFieldOrNull(row);
                    // The planner's strings made from a Row keep the String they came from.
                    key[i] = value instanceof StringData ? value.toString() : value;
                } else if (row.isNullAt(timeField)) {
                    key[i] = null;
                } else {
                    long millis = row.getTimestamp(timeField, timePrecision).getMillisecond();
                    key[i] = Math.floorDiv(millis, bucketMillis);
                }
            }
            return Arrays.asList(key);
        }

        private void index() {
            if (keyFields == null) {
                List<String> columns = columns();
                List<LogicalType> types = ((RowType) rowType.getLogicalType()).getChildren();
                int[] fields = partitionKeys.stream().mapToInt(columns::indexOf).toArray();
                keyGetters = new RowData.FieldGetter[fields.length];
                for (int i = 0; i < fields.length; i++) {
                    keyGetters[i] = fields[i] < 0 ? null : RowData.createFieldGetter(types.get(fields[i]), fields[i]);
                }
                timeField = columns.indexOf(timeColumn);
                timePrecision = LogicalTypeChecks.getPrecision(types.get(timeField));
                bucketMillis = partitionKeys.contains("hr") ? 3_600_000L : 86_400_000L;
                keyFields = fields;
            }
        }

        /** The partition of a row, e.g. {@code log_type=app/dt=2024-06-01/hr=23}. */
        String partitionOf(Row row) {
            List<String> columns = columns();
            LocalDateTime time = time(row);
            StringBuilder path = new StringBuilder();
            for (String key : partitionKeys) {
                String value;
                if (key.equals("dt") && !columns.contains("dt")) {
                    value = time == null ? null : time.toLocalDate().toString();
                } else if (key.equals("hr") && !columns.contains("hr")) {
                    value = time == null ? null : String.format("%02d", time.getHour());
                } else {
                    Object field = row.getField(columns.indexOf(key));
                    value = field == null ? null : field.toString();
                }
                path.append(path.length() == 0 ? "" : "/").append(key).append('=').append(escape(value));
            }
            return path.toString();
        }

        /** When the row's partition may be marked complete; -1 for tables committed on processing time. */
        long readyAtMillis(Row row) {
            LocalDateTime time = time(row);
            if (!eventTimeCommit || time == null) {
                return -1;
            }
            LocalDateTime start = time.truncatedTo(partitionKeys.contains("hr") ? ChronoUnit.HOURS : ChronoUnit.DAYS);
            return start.toInstant(ZoneOffset.UTC).toEpochMilli() + commitDelay.toMillis();
        }

        private LocalDateTime time(Row row) {
            Object value = row.getField(columns().indexOf(timeColumn));
            if (value instanceof Instant) {
                return LocalDateTime.ofInstant((Instant) value, ZoneOffset.UTC);
            }
            return (LocalDateTime) value;
        }
    }

    /**
     * A partition value as Hive writes it in a path: characters that would change the path's
     * meaning are %-escaped, null is Hive's default partition.
     */
    static String escape(String value) {
        if (value == null || value.isEmpty()) {
            return NULL_PARTITION;
        }
        StringBuilder sb = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' && i > 0) {
                sb.append(c);
            } else {
                sb.append('%').append(String.format("%02X", (int) c & 0xFF));
            }
        }
        return sb.toString();
    }

    /** Every parsed event, by its own time. */
    public static final LakeTable LOGS_TABLE = new LakeTable(LOGS, Schemas.LOGS, List.of("log_type", "dt", "hr"), "event_time",
            true, Duration.ofHours(1));
    /** Alerts, by the start of their window. */
    public static final LakeTable ALERTS_TABLE = new LakeTable(ALERTS, Schemas.ALERTS, List.of("dt"), "window_start",
            true, Duration.ofDays(1));
    /** Event counts per minute, account, log type, service and level. */
    public static final LakeTable METRICS_TABLE = new LakeTable(METRICS_1M, METRICS_ROW, List.of("dt"), "window_start",
            true, Duration.ofDays(1));
    /**
     * Undecodable records, by arrival time: an undecodable record has no event time, and without
     * one there is no watermark to close a partition, so partitions are committed on processing time.
     */
    public static final LakeTable DEAD_LETTER_TABLE = new LakeTable(DEAD_LETTER, Schemas.DEAD_LETTER, List.of("dt"), "ingest_time",
            false, Duration.ZERO);
    /** Alerts a destination did not take, by the day delivery was given up. */
    public static final LakeTable UNDELIVERED_TABLE = new LakeTable(ALERTS_UNDELIVERED, Schemas.ALERTS_UNDELIVERED, List.of("dt"),
            "failed_at", false, Duration.ZERO);

    /** Every lake table, as the Athena DDL lists them. */
    public static final List<LakeTable> TABLES = List.of(LOGS_TABLE, ALERTS_TABLE, METRICS_TABLE, DEAD_LETTER_TABLE, UNDELIVERED_TABLE);

    private final LakeSettings settings;
    private final List<DataStream<LakeFile>> written = new ArrayList<>();

    public Lake(NagareConfig config) {
        this.settings = LakeSettings.of(config);
    }

    /**
     * Writes a stream of rows with the table's columns into it, chained to the stream's producer.
     * Call {@link #commit()} once every table is written.
     */
    public void write(DataStream<Row> rows, LakeTable table) {
        writeAny(rows, table);
    }

    /**
     * Writes rows already in the planner's form (the {@code logs} view's input), with no
     * conversion of their own.
     */
    public void writeInternal(DataStream<RowData> rows, LakeTable table) {
        writeAny(rows, table);
    }

    @SuppressWarnings("unchecked")
    private void writeAny(DataStream<?> input, LakeTable table) {
        DataStream<Object> rows = (DataStream<Object>) input;
        SingleOutputStreamOperator<LakeFile> files = rows.transform("lake-write-" + table.name, TypeInformation.of(LakeFile.class),
                        new LakeWriter(table, root() + "/" + STAGING, settings.rollingFileBytes, settings.compression))
                .uid("lake-write-" + table.name);
        if (rows.getParallelism() > 0) {
            files.setParallelism(rows.getParallelism());
        }
        written.add(files);
    }

    /** Adds the one committer for every table written so far. */
    public void commit() {
        if (written.isEmpty()) {
            return;
        }
        DataStream<LakeFile> all = written.get(0);
        for (int i = 1; i < written.size(); i++) {
            all = all.union(written.get(i));
        }
        all.transform("lake-commit", Types.VOID,
                        new LakeCommitter(root(), settings.compaction, settings.rollingFileBytes, settings.commitLogRetention))
                .uid("lake-commit")
                .setParallelism(1)
                .setMaxParallelism(1);
    }

    /** The lake's root, without a trailing '/'. */
    String root() {
        String root = settings.path;
        if (!root.contains("://")) {
            // A bare folder is local; make it absolute so it does not depend on each process's cwd.
            root = Paths.get(root).toAbsolutePath().normalize().toString();
        }
        return root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    }

    /** The folder of one lake table. */
    public String path(String table) {
        return root() + "/" + table;
    }

    /** Visible Parquet files: in-progress files are hidden (dot-prefixed) until their checkpoint. */
    public static long committedFiles(java.nio.file.Path lake) {
        return committedFiles(lake.toUri().toString());
    }

    /** The same for a folder or any Flink file system URI ({@code s3://bucket/prefix}). */
    public static long committedFiles(String lake) {
        try {
            org.apache.flink.core.fs.Path root = new org.apache.flink.core.fs.Path(lake);
            return count(root.getFileSystem(), root);
        } catch (IOException | RuntimeException e) {
            return 0; // not there yet, or files moved while the sink commits: the next line counts them
        }
    }

    private static long count(FileSystem fs, org.apache.flink.core.fs.Path dir) throws IOException {
        if (!fs.exists(dir)) {
            return 0;
        }
        FileStatus[] statuses = fs.listStatus(dir);
        long files = 0;
        for (FileStatus status : statuses == null ? new FileStatus[0] : statuses) {
            String name = status.getPath().getName();
            if (name.startsWith(".") || name.startsWith("_")) {
                continue;
            }
            files += status.isDir() ? count(fs, status.getPath()) : 1;
        }
        return files;
    }
}
