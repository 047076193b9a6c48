package dev.nagare.job.lake;

import dev.nagare.job.config.LakeCompression;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.memory.MemorySegmentFactory;
import org.apache.flink.formats.parquet.row.ParquetRowDataBuilder;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.binary.BinaryRowData;
import org.apache.flink.table.data.binary.BinarySegmentUtils;
import org.apache.flink.table.types.logical.RowType;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.dictionary.DictionaryValuesWriter;
import org.apache.parquet.column.values.fallback.FallbackValuesWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RepeatAwareDictionaries} changes how fast the lake writes, never what: the same rows
 * written with it and with Parquet's own writers give the same bytes.
 */
class RepeatAwareDictionariesTest {
    @TempDir
    Path dir;

    /**
     * Rows shaped like the lake's input: records of up to 50 events sharing account, log group,
     * stream and service; levels and attribute keys from small sets; messages that repeat, change
     * by one byte at the same length, exceed what is remembered (256 bytes) or are empty; enough
     * distinct messages in a row that their dictionary passes its 1 MB and falls back to plain; in
     * row groups of 256 KB, so that every column starts a new dictionary many times, and in one.
     */
    @Test
    void writesTheBytesParquetWrites() throws Exception {
        List<RowData> rows = rows(new Random(7), 40_000);
        List<String> chunks = new ArrayList<>();
        chunks.addAll(assertSameBytes(rows, 256 << 10));
        // One row group: pages of 20,000 rows, so the dictionary of the first is kept when the
        // second falls back (a chunk of both encodings).
        chunks.addAll(assertSameBytes(rows, 64 << 20));

        // What the comparison covered: many row groups; message chunks with a dictionary only,
        // plain only (fell back before a page used the dictionary) and both.
        assertThat(chunks).hasSizeGreaterThan(4);
        assertThat(chunks).anyMatch(chunk -> chunk.contains("PLAIN_DICTIONARY") && !chunk.matches(".*\\bPLAIN\\b.*"));
        assertThat(chunks).anyMatch(chunk -> !chunk.contains("PLAIN_DICTIONARY") && chunk.matches(".*\\bPLAIN\\b.*"));
        assertThat(chunks).anyMatch(chunk -> chunk.contains("PLAIN_DICTIONARY") && chunk.matches(".*\\bPLAIN\\b.*"));
    }

    /** The encodings of each of the message column's chunks. */
    private List<String> assertSameBytes(List<RowData> rows, long fileBytes) throws Exception {
        RowType logs = (RowType) Schemas.LOGS.getLogicalType();
        long created = RepeatAwareDictionaries.RepeatAwareBinaryDictionary.CREATED.get();
        Path parquet = write("parquet.parquet", rows, ParquetFiles.writerFactory(logs, LakeCompression.SNAPPY, fileBytes, false));
        assertThat(RepeatAwareDictionaries.RepeatAwareBinaryDictionary.CREATED.get()).isEqualTo(created);
        long found = RepeatAwareDictionaries.RepeatAwareBinaryDictionary.FOUND.get();
        Path lake = write("lake.parquet", rows, ParquetFiles.writerFactory(logs, LakeCompression.SNAPPY, fileBytes, true));
        // The lake's writer did use the cache (else this compared Parquet with itself): account,
        // group and stream alone repeat in most rows.
        assertThat(RepeatAwareDictionaries.RepeatAwareBinaryDictionary.CREATED.get()).isGreaterThan(created);
        assertThat(RepeatAwareDictionaries.RepeatAwareBinaryDictionary.FOUND.get() - found).isGreaterThan(3L * rows.size());
        Path lakeReused = write("reused.parquet", throughOneBuffer(rows), ParquetFiles.writerFactory(logs, LakeCompression.SNAPPY, fileBytes, true));

        assertThat(Files.size(parquet)).isGreaterThan(1L << 20);
        assertThat(Files.readAllBytes(lake)).isEqualTo(Files.readAllBytes(parquet));
        assertThat(Files.readAllBytes(lakeReused)).isEqualTo(Files.readAllBytes(parquet));
        return LakeRowWriteSupportTest.query("SELECT encodings FROM parquet_metadata('" + lake + "') WHERE path_in_schema = 'message'");
    }

    /**
     * The encoder alone, page by page, against Parquet's: repeats, a value of the same length
     * that differs in its last byte, values that share a slot of the cache, more values than
     * it has slots, a repeat right after the dictionary was cleared (the id remembered from
     * before must not be used), values longer than what is remembered.
     */
    @Test
    void encodesPagesAndDictionariesAsParquetDoes() throws Exception {
        DictionaryValuesWriter.PlainBinaryDictionaryValuesWriter parquet = new DictionaryValuesWriter.PlainBinaryDictionaryValuesWriter(
                1 << 20, Encoding.PLAIN_DICTIONARY, Encoding.PLAIN_DICTIONARY, new HeapByteBufferAllocator());
        RepeatAwareDictionaries.RepeatAwareBinaryDictionary ours =
                new RepeatAwareDictionaries.RepeatAwareBinaryDictionary(1 << 20, new HeapByteBufferAllocator());
        String longText = "q".repeat(RepeatAwareDictionaries.RepeatAwareBinaryDictionary.MAX_REMEMBERED + 1);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 3 * RepeatAwareDictionaries.RepeatAwareBinaryDictionary.SLOTS; i++) {
            many.add("v" + i);
            many.add("v" + i);
            many.add("w" + (i % 3));
        }
        String[][] pages = {
            {"a", "a", "a", "ab", "ac", "ac", "", "", "ac", "a"},
            // One slot (same length, first and last byte), different values.
            {"axb", "ayb", "axb", "axb", "ayb", "名前", "名前", "ayb"},
            {"ac", "ac", longText, longText, longText + "x", longText, "b", "b"},
            many.toArray(new String[0]),
        };
        for (int round = 0; round < 3; round++) {
            for (String[] page : pages) {
                byte[] buffer = new byte[4096];
                for (String value : page) {
                    // From the middle of a buffer that is overwritten afterwards, as the lake hands values over.
                    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(bytes, 0, buffer, 100, bytes.length);
                    parquet.writeBytes(Binary.fromReusedByteArray(buffer, 100, bytes.length));
                    ours.writeBytes(Binary.fromReusedByteArray(buffer, 100, bytes.length));
                    Arrays.fill(buffer, (byte) 'Z');
                }
                assertThat(ours.getBytes().toByteArray()).isEqualTo(parquet.getBytes().toByteArray());
                // The dictionary's size as Parquet counts it, and so when it falls back.
                assertThat(ours.getAllocatedSize()).isEqualTo(parquet.getAllocatedSize());
                assertThat(ours.getDictionarySize()).isEqualTo(parquet.getDictionarySize());
                assertThat(ours.shouldFallBack()).isEqualTo(parquet.shouldFallBack());
                ours.reset();
                parquet.reset();
            }
            assertThat(bytes(ours.toDictPageAndClose())).isEqualTo(bytes(parquet.toDictPageAndClose()));
            // A new dictionary: "b", written last, gets id 1 now, after "c" (a stale id would differ).
            ours.resetDictionary();
            parquet.resetDictionary();
            for (String value : new String[] {"c", "b", "b", "c"}) {
                ours.writeBytes(Binary.fromString(value));
                parquet.writeBytes(Binary.fromString(value));
            }
            assertThat(ours.getBytes().toByteArray()).isEqualTo(parquet.getBytes().toByteArray());
            assertThat(ours.getDictionarySize()).isEqualTo(2);
            ours.reset();
            parquet.reset();
        }
    }

    /** Repeats count nothing towards the dictionary's size: both say to fall back at the same value. */
    @Test
    void fallsBackWhereParquetDoes() throws Exception {
        DictionaryValuesWriter.PlainBinaryDictionaryValuesWriter parquet = new DictionaryValuesWriter.PlainBinaryDictionaryValuesWriter(
                100, Encoding.PLAIN_DICTIONARY, Encoding.PLAIN_DICTIONARY, new HeapByteBufferAllocator());
        RepeatAwareDictionaries.RepeatAwareBinaryDictionary ours =
                new RepeatAwareDictionaries.RepeatAwareBinaryDictionary(100, new HeapByteBufferAllocator());
        int i = 0;
        while (!parquet.shouldFallBack()) {
            assertThat(i).isLessThan(100);
            for (String value : new String[] {"value " + i, "value " + i, "level", "value " + i}) {
                parquet.writeBytes(Binary.fromString(value));
                ours.writeBytes(Binary.fromString(value));
                assertThat(ours.shouldFallBack()).isEqualTo(parquet.shouldFallBack());
                assertThat(ours.getAllocatedSize()).isEqualTo(parquet.getAllocatedSize());
            }
            i++;
        }
        assertThat(ours.getBytes().toByteArray()).isEqualTo(parquet.getBytes().toByteArray());
    }

    /** Installed on the lake's builder, it replaces the text dictionaries and nothing else. */
    @Test
    void replacesOnlyTextDictionaries() {
        assertThat(RepeatAwareDictionaries.install(new ParquetRowDataBuilder(null, (RowType) Schemas.LOGS.getLogicalType(), true)))
                .isTrue();
        assertThat(RepeatAwareDictionaries.readsValuesInPlace()).isTrue();
        RepeatAwareDictionaries factory = new RepeatAwareDictionaries();
        ParquetProperties properties = ParquetProperties.builder()
                .withValuesWriterFactory(factory)
                .withDictionaryEncoding("no_dictionary", false)
                .build();
        assertThat(initialWriter(factory.newValuesWriter(column(PrimitiveType.PrimitiveTypeName.BINARY, "text"))))
                .isInstanceOf(RepeatAwareDictionaries.RepeatAwareBinaryDictionary.class);
        assertThat(initialWriter(factory.newValuesWriter(column(PrimitiveType.PrimitiveTypeName.INT64, "number"))))
                .isExactlyInstanceOf(DictionaryValuesWriter.PlainLongDictionaryValuesWriter.class);
        assertThat(factory.newValuesWriter(column(PrimitiveType.PrimitiveTypeName.BINARY, "no_dictionary")))
                .isNotInstanceOf(FallbackValuesWriter.class);

        RepeatAwareDictionaries v2 = new RepeatAwareDictionaries();
        ParquetProperties.builder().withValuesWriterFactory(v2).withWriterVersion(ParquetProperties.WriterVersion.PARQUET_2_0).build();
        assertThat(initialWriter(v2.newValuesWriter(column(PrimitiveType.PrimitiveTypeName.BINARY, "text"))))
                .isExactlyInstanceOf(DictionaryValuesWriter.PlainBinaryDictionaryValuesWriter.class);
    }

    private static ValuesWriter initialWriter(ValuesWriter writer) {
        assertThat(writer).isInstanceOf(FallbackValuesWriter.class);
        return ((FallbackValuesWriter<?, ?>) writer).initialWriter;
    }

    private static ColumnDescriptor column(PrimitiveType.PrimitiveTypeName type, String name) {
        PrimitiveType primitive = Types.optional(type).named(name);
        return new ColumnDescriptor(new String[] {name}, primitive, 0, 1);
    }

    private static byte[] bytes(DictionaryPage page) throws Exception {
        return page.getBytes().toByteArray();
    }

    private Path write(String name, List<RowData> rows, BulkWriter.Factory<RowData> factory) throws Exception {
        Path path = dir.resolve(name);
        LakeRowWriteSupportTest.write(path, rows, factory);
        return path;
    }

    /** The rows through one buffer, overwritten after each is written (object reuse). */
    private static List<RowData> throughOneBuffer(List<RowData> rows) {
        return new java.util.AbstractList<>() {
            private final byte[] buffer = new byte[1 << 20];
            private final BinaryRowData row = new BinaryRowData(Schemas.LOGS.getChildren().size());

            @Override
            public RowData get(int index) {
                Arrays.fill(buffer, (byte) 'Z');
                BinaryRowData binary = (BinaryRowData) rows.get(index);
                BinarySegmentUtils.copyToBytes(binary.getSegments(), binary.getOffset(), buffer, 0, binary.getSizeInBytes());
                row.pointTo(MemorySegmentFactory.wrap(buffer), 0, binary.getSizeInBytes());
                return row;
            }

            @Override
            public int size() {
                return rows.size();
            }
        };
    }

    private static List<RowData> rows(Random random, int count) {
        String[] levels = {"INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"};
        String[] keys = {"user_id", "path", "status", "trace", "名前"};
        List<RowData> rows = new ArrayList<>();
        while (rows.size() < count) {
            String account = String.valueOf(100_000_000_000L + random.nextInt(3));
            String service = "svc-" + random.nextInt(20);
            String group = "/ecs/" + service;
            String stream = "ecs/" + service + "/" + Long.toHexString(random.nextLong());
            int events = 1 + random.nextInt(50);
            for (int i = 0; i < events && rows.size() < count; i++) {
                NormalizedEvent e = new NormalizedEvent();
                e.eventTimeMillis = 1_717_200_000_000L + rows.size();
                e.ingestTimeMillis = 1_717_200_000_000L + rows.size() / 50;
                e.eventId = Long.toHexString(random.nextLong());
                e.logType = "app";
                e.account = account;
                e.logGroup = group;
                e.logStream = stream;
                e.service = random.nextInt(100) == 0 ? null : service;
                e.level = levels[random.nextInt(levels.length)];
                e.message = message(random, rows.size());
                e.dbQuery = random.nextInt(10) == 0 ? "SELECT * FROM t WHERE id = " + random.nextInt(3) : null;
                for (int k = random.nextInt(4); k > 0; k--) {
                    e.attributes.put(keys[random.nextInt(keys.length)], random.nextBoolean() ? "200" : "v" + random.nextInt(1000));
                }
                rows.add(Schemas.logRowData(e));
            }
        }
        return rows;
    }

    private static String message(Random random, int n) {
        if ((n / 5_000) % 6 == 5) {
            // 5,000 different messages of 400 bytes in a row: more than a dictionary's 1 MB.
            StringBuilder text = new StringBuilder().append(n);
            while (text.length() < 400) {
                text.append(Long.toHexString(random.nextLong()));
            }
            return text.substring(0, 400);
        }
        switch (random.nextInt(6)) {
            case 0:
                return "request served";
            case 1:
                // Same length, different last character.
                return "request failed with code " + random.nextInt(10);
            case 2:
                return "";
            case 3:
                return "payload " + "x".repeat(500 + random.nextInt(30));
            default:
                return "event " + n + " " + Long.toHexString(random.nextLong()) + " " + "y".repeat(random.nextInt(200));
        }
    }
}
