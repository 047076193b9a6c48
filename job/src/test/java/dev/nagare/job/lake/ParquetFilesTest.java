package dev.nagare.job.lake;

import dev.nagare.job.config.LakeCompression;

import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.TimestampType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Merging a checkpoint's staged files into one lake file, read back with DuckDB. */
class ParquetFilesTest {
    /** {@code metrics_1m} as it was before the {@code account} column. */
    static final RowType METRICS_BEFORE_ACCOUNT = RowType.of(
            new LogicalType[] {new TimestampType(3), new TimestampType(3), VarCharType.STRING_TYPE, VarCharType.STRING_TYPE,
                    VarCharType.STRING_TYPE, new BigIntType()},
            new String[] {"window_start", "window_end", "log_type", "service", "level", "event_count"});

    @TempDir
    Path dir;

    @Test
    void filesStagedByAnEarlierVersionMergeInTheSchemaTheyWereWrittenWith() throws Exception {
        // A restore commits what the version before staged: metrics_1m without account, two writers.
        Path a = dir.resolve("a.parquet");
        Path b = dir.resolve("b.parquet");
        LakeRowWriteSupportTest.write(a, List.of(minute(0, "INFO", 7), minute(0, "ERROR", 2)), oldWriter());
        LakeRowWriteSupportTest.write(b, List.of(minute(1, "INFO", 5)), oldWriter());
        Path merged = dir.resolve("merged.parquet");

        ParquetFiles.merge(FileSystem.getLocalFileSystem(), List.of(path(a), path(b)), path(merged));

        assertThat(LakeRowWriteSupportTest.query("SELECT strftime(window_start, '%H:%M'), level, event_count FROM read_parquet('"
                + merged + "') ORDER BY 1, 2")).containsExactly("10:00|ERROR|2", "10:00|INFO|7", "10:01|INFO|5");
        // The file keeps the schema it was written with (engines read its account as null), not
        // the job's current one, into which Parquet could not copy the row groups.
        assertThat(Lake.METRICS_TABLE.fileType().getFieldNames()).contains("account");
        assertThat(LakeRowWriteSupportTest.query("SELECT name FROM parquet_schema('" + merged + "') WHERE name = 'account'")).isEmpty();
    }

    @Test
    void filesOfDifferentSchemasAreNotMergedAndTheErrorNamesBoth() throws Exception {
        Path old = dir.resolve("old.parquet");
        Path current = dir.resolve("current.parquet");
        LakeRowWriteSupportTest.write(old, List.of(minute(0, "INFO", 1)), oldWriter());
        LakeRowWriteSupportTest.write(current, List.of(GenericRowData.of(time(0), time(1), StringData.fromString("111122223333"),
                StringData.fromString("app"), StringData.fromString("orders"), StringData.fromString("INFO"), 1L)),
                ParquetFiles.writerFactory(Lake.METRICS_TABLE.fileType(), LakeCompression.SNAPPY, 64L << 20));

        assertThatThrownBy(() -> ParquetFiles.merge(FileSystem.getLocalFileSystem(), List.of(path(old), path(current)),
                path(dir.resolve("merged.parquet"))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("old.parquet").hasMessageContaining("current.parquet").hasMessageContaining("different schemas");
    }

    /**
     * Columns whose values are nearly all different (ids, event times) are written without a
     * dictionary and repeating ones (levels, ingest times shared by a record's events) with one,
     * as DuckDB reads the file's metadata. Three events share each millisecond (and, here, each
     * id), as a busy stream's do: with all values different Parquet drops a dictionary by itself,
     * with these it keeps it unless told not to.
     */
    @Test
    void nearlyUniqueColumnsHaveNoDictionary() throws Exception {
        RowType type = RowType.of(
                new LogicalType[] {new TimestampType(3), new TimestampType(3), VarCharType.STRING_TYPE, VarCharType.STRING_TYPE},
                new String[] {"event_time", "ingest_time", "level", "event_id"});
        List<RowData> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            rows.add(GenericRowData.of(TimestampData.fromEpochMillis(1_717_200_000_000L + i / 3 * 7L),
                    TimestampData.fromEpochMillis(1_717_200_000_000L + i / 50 * 1000L), StringData.fromString(i % 9 == 0 ? "ERROR" : "INFO"),
                    StringData.fromString("3827361683918362618" + i / 3)));
        }
        Path file = dir.resolve("logs.parquet");
        LakeRowWriteSupportTest.write(file, rows, ParquetFiles.writerFactory(type, LakeCompression.SNAPPY, 64L << 20));

        assertThat(LakeRowWriteSupportTest.query("SELECT path_in_schema, dictionary_page_offset IS NOT NULL, encodings LIKE '%DICTIONARY%'"
                + " FROM parquet_metadata('" + file + "') ORDER BY column_id"))
                .containsExactly("event_time|false|false", "ingest_time|true|true", "level|true|true", "event_id|false|false");
        assertThat(LakeRowWriteSupportTest.query("SELECT count(DISTINCT event_time), count(*) FROM read_parquet('" + file + "')"))
                .containsExactly("1667|5000");
    }

    private static BulkWriter.Factory<RowData> oldWriter() {
        return ParquetFiles.writerFactory(METRICS_BEFORE_ACCOUNT, LakeCompression.SNAPPY, 64L << 20);
    }

    private static RowData minute(int minute, String level, long count) {
        return GenericRowData.of(time(minute), time(minute + 1), StringData.fromString("app"), StringData.fromString("orders"),
                StringData.fromString(level), count);
    }

    private static TimestampData time(int minute) {
        return TimestampData.fromLocalDateTime(LocalDateTime.of(2024, 6, 1, 10, minute));
    }

    private static org.apache.flink.core.fs.Path path(Path file) {
        return new org.apache.flink.core.fs.Path(file.toUri());
    }
}
