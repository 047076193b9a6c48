package dev.nagare.job.lake;

import dev.nagare.job.config.LakeCompression;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.core.memory.MemorySegmentFactory;
import org.apache.flink.formats.parquet.ParquetWriterFactory;
import org.apache.flink.formats.parquet.row.ParquetRowDataBuilder;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryRowData;
import org.apache.flink.table.data.binary.BinarySegmentUtils;
import org.apache.flink.table.data.utils.ProjectedRowData;
import org.apache.flink.table.types.logical.RowType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link LakeRowWriteSupport} against Flink's own Parquet writer: the same rows written by both
 * must give files that DuckDB, an independent reader, reads as the same schema and the same values.
 */
class LakeRowWriteSupportTest {
    @TempDir
    Path dir;

    private static final org.apache.hadoop.conf.Configuration CONF = ParquetFiles.hadoopConf(LakeCompression.SNAPPY);

    /**
     * Every column type of the lake's tables: text of every length (inline in the row up to 7
     * bytes, else in its variable part), multi-byte UTF-8, empty text, maps with null values and
     * empty maps, nulls in every column, timestamps before 1970; rows as the parse builds them,
     * as the lake sees them (projected), and with their bytes off the heap or spread over memory
     * segments, where the writer falls back to copying.
     */
    @Test
    void writesWhatFlinksWriterWrites() throws Exception {
        RowType logs = (RowType) Schemas.LOGS.getLogicalType();
        RowType file = Lake.LOGS_TABLE.fileType();
        assertThat(LakeRowWriteSupport.supports(logs, CONF)).isTrue();
        assertThat(LakeRowWriteSupport.supports(file, CONF)).isTrue();

        Random random = new Random(11);
        List<RowData> rows = new ArrayList<>();
        List<RowData> projected = new ArrayList<>();
        int[] fileColumns = Lake.LOGS_TABLE.fileColumns();
        for (int i = 0; i < 3_000; i++) {
            RowData row = Schemas.logRowData(event(random, i));
            switch (i % 4) {
                case 1:
                    row = offHeap((BinaryRowData) row);
                    break;
                case 2:
                    // The fixed part (288 bytes) stays in the first segment, as Flink's rows keep it.
                    row = split((BinaryRowData) row, 288 + 8 * random.nextInt(40));
                    break;
                default:
                    break;
            }
            rows.add(row);
            projected.add(ProjectedRowData.from(fileColumns).replaceRow(row));
        }

        assertSameFiles(logs, rows);
        assertSameFiles(file, projected);

        // Through one row whose bytes are overwritten after each write, as a deserializer with
        // object reuse does: what Parquet keeps past the call (dictionary entries, min and max)
        // must be its own copy.
        Path flink = dir.resolve("flink.parquet");
        Path reused = dir.resolve("reused.parquet");
        write(flink, rows, new ParquetWriterFactory<>(out -> new ParquetRowDataBuilder(out, logs, true).withConf(CONF).build()));
        BulkWriter.Factory<RowData> lake = ParquetFiles.writerFactory(logs, LakeCompression.SNAPPY, 64L << 20);
        FileSystem fs = FileSystem.getLocalFileSystem();
        try (FSDataOutputStream out = fs.create(new org.apache.flink.core.fs.Path(reused.toUri()), FileSystem.WriteMode.OVERWRITE)) {
            BulkWriter<RowData> writer = lake.create(out);
            byte[] buffer = new byte[1 << 20];
            BinaryRowData row = new BinaryRowData(logs.getFieldCount());
            for (RowData original : rows) {
                BinaryRowData binary = (BinaryRowData) original;
                BinarySegmentUtils.copyToBytes(binary.getSegments(), binary.getOffset(), buffer, 0, binary.getSizeInBytes());
                row.pointTo(MemorySegmentFactory.wrap(buffer), 0, binary.getSizeInBytes());
                writer.addElement(row);
                Arrays.fill(buffer, (byte) 'Z');
            }
            writer.finish();
        }
        assertThat(lines(reused)).containsExactlyElementsOf(lines(flink));
        assertThat(statistics(reused)).isEqualTo(statistics(flink));
    }

    /** Each column chunk's min, max and null count, as a reader sees them. */
    private static List<String> statistics(Path file) throws Exception {
        return query("SELECT path_in_schema, stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('" + file
                + "') ORDER BY row_group_id, column_id");
    }

    /** Rows of Java objects (the planner's generic rows) are written the same way. */
    @Test
    void writesGenericRows() throws Exception {
        RowType type = (RowType) DataTypes.ROW(
                DataTypes.FIELD("t", DataTypes.TIMESTAMP(3)),
                DataTypes.FIELD("s", DataTypes.STRING()),
                DataTypes.FIELD("n", DataTypes.BIGINT()),
                DataTypes.FIELD("m", DataTypes.MAP(DataTypes.STRING(), DataTypes.STRING()))).getLogicalType();
        List<RowData> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Map<StringData, StringData> map = new LinkedHashMap<>();
            map.put(StringData.fromString("k" + i), i % 3 == 0 ? null : StringData.fromString("v".repeat(i)));
            rows.add(GenericRowData.of(
                    org.apache.flink.table.data.TimestampData.fromEpochMillis(-86_400_000L + i * 1_001L),
                    i % 5 == 0 ? null : StringData.fromString("名前 " + "x".repeat(i)),
                    i % 7 == 0 ? null : (long) i * Integer.MAX_VALUE,
                    i % 2 == 0 ? new GenericMapData(map) : null));
        }
        assertThat(LakeRowWriteSupport.supports(type, CONF)).isTrue();
        assertSameFiles(type, rows);
    }

    /** A type this writer does not write is written by Flink's writer, through the same builder. */
    @Test
    void leavesOtherTypesToFlinksWriter() throws Exception {
        RowType type = (RowType) DataTypes.ROW(
                DataTypes.FIELD("s", DataTypes.STRING()),
                DataTypes.FIELD("tags", DataTypes.ARRAY(DataTypes.STRING())),
                DataTypes.FIELD("d", DataTypes.DECIMAL(10, 2))).getLogicalType();
        assertThat(LakeRowWriteSupport.supports(type, CONF)).isFalse();
        List<RowData> rows = List.of(
                GenericRowData.of(StringData.fromString("a"), new GenericArrayData(new Object[] {StringData.fromString("x")}),
                        org.apache.flink.table.data.DecimalData.fromUnscaledLong(12345, 10, 2)),
                GenericRowData.of(null, null, null));
        assertSameFiles(type, rows);
        assertThat(lines(dir.resolve("lake.parquet"))).containsExactly("a|[x]|123.45", "null|null|null");
    }

    private void assertSameFiles(RowType type, List<RowData> rows) throws Exception {
        Path flink = dir.resolve("flink.parquet");
        Path lake = dir.resolve("lake.parquet");
        write(flink, rows, new ParquetWriterFactory<>(out -> new ParquetRowDataBuilder(out, type, true)
                .withConf(CONF).build()));
        write(lake, rows, ParquetFiles.writerFactory(type, LakeCompression.SNAPPY, 64L << 20));

        assertThat(schema(lake)).isEqualTo(schema(flink));
        List<String> expected = lines(flink);
        assertThat(expected).hasSize(rows.size());
        assertThat(lines(lake)).containsExactlyElementsOf(expected);
        assertThat(statistics(lake)).isEqualTo(statistics(flink));
    }

    static void write(Path path, List<RowData> rows, BulkWriter.Factory<RowData> factory) throws Exception {
        FileSystem fs = FileSystem.getLocalFileSystem();
        try (FSDataOutputStream out = fs.create(new org.apache.flink.core.fs.Path(path.toUri()), FileSystem.WriteMode.OVERWRITE)) {
            BulkWriter<RowData> writer = factory.create(out);
            for (RowData row : rows) {
                writer.addElement(row);
            }
            writer.finish();
        }
    }

    private static List<String> schema(Path file) throws Exception {
        return query("SELECT name, type, converted_type, logical_type, repetition_type FROM parquet_schema('" + file + "')");
    }

    private static List<String> lines(Path file) throws Exception {
        return query("SELECT * FROM read_parquet('" + file + "')");
    }

    static List<String> query(String sql) throws Exception {
        List<String> lines = new ArrayList<>();
        try (Connection duckdb = DriverManager.getConnection("jdbc:duckdb:");
             Statement s = duckdb.createStatement()) {
            s.execute("SET TimeZone = 'UTC'");
            try (ResultSet rs = s.executeQuery(sql)) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder line = new StringBuilder();
                    for (int i = 1; i <= columns; i++) {
                        line.append(i == 1 ? "" : "|").append(rs.getString(i));
                    }
                    lines.add(line.toString());
                }
            }
        }
        return lines;
    }

    private static NormalizedEvent event(Random random, int i) {
        NormalizedEvent e = new NormalizedEvent();
        e.eventTimeMillis = random.nextBoolean() ? random.nextLong() % 4_000_000_000_000L : -1_000L * i;
        e.ingestTimeMillis = 1_700_000_000_000L + i;
        e.eventId = text(random);
        e.logType = random.nextBoolean() ? "app" : "mysql_audit";
        e.account = text(random);
        e.region = text(random);
        e.logGroup = text(random);
        e.logStream = text(random);
        e.service = text(random);
        e.level = text(random);
        e.message = text(random);
        e.requestId = text(random);
        e.dbQuery = text(random);
        e.dbRetcode = random.nextBoolean() ? null : random.nextInt();
        e.dbConnectionId = random.nextBoolean() ? null : random.nextLong();
        e.awsMfa = random.nextBoolean() ? null : random.nextBoolean();
        e.lambdaDurationMs = random.nextBoolean() ? null : random.nextDouble() * 1e4;
        e.rejectedEventTimeMillis = random.nextInt(4) == 0 ? Long.valueOf(random.nextInt()) : null;
        int entries = random.nextInt(5);
        for (int k = 0; k < entries; k++) {
            String value = text(random);
            e.attributes.put("k" + k + text(random), value);
        }
        return e;
    }

    /** Null, empty, inline (up to 7 bytes), short and long text, some of it multi-byte. */
    private static String text(Random random) {
        switch (random.nextInt(6)) {
            case 0:
                return null;
            case 1:
                return "";
            case 2:
                return "abcdefg".substring(random.nextInt(7));
            case 3:
                return "ログ " + random.nextInt(1000) + " café";
            case 4:
                return "x".repeat(8 + random.nextInt(64));
            default:
                char[] chars = new char[random.nextInt(3_000)];
                Arrays.fill(chars, (char) ('a' + random.nextInt(26)));
                return new String(chars) + "🙂";
        }
    }

    private static RowData offHeap(BinaryRowData row) {
        byte[] bytes = BinarySegmentUtils.copyToBytes(row.getSegments(), row.getOffset(), row.getSizeInBytes());
        MemorySegment segment = MemorySegmentFactory.allocateUnpooledOffHeapMemory(bytes.length);
        segment.put(0, bytes);
        return pointedAt(row.getArity(), new MemorySegment[] {segment}, bytes.length);
    }

    private static RowData split(BinaryRowData row, int segmentSize) {
        byte[] bytes = BinarySegmentUtils.copyToBytes(row.getSegments(), row.getOffset(), row.getSizeInBytes());
        MemorySegment[] segments = new MemorySegment[(bytes.length + segmentSize - 1) / segmentSize];
        for (int i = 0; i < segments.length; i++) {
            segments[i] = MemorySegmentFactory.wrap(Arrays.copyOfRange(bytes, i * segmentSize, (i + 1) * segmentSize));
        }
        return pointedAt(row.getArity(), segments, bytes.length);
    }

    private static RowData pointedAt(int arity, MemorySegment[] segments, int size) {
        BinaryRowData row = new BinaryRowData(arity);
        row.pointTo(segments, 0, size);
        return row;
    }
}
