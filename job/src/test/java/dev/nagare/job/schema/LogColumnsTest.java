package dev.nagare.job.schema;

import dev.nagare.udf.parse.LogColumns;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryMapData;
import org.apache.flink.table.data.binary.BinarySegmentUtils;
import org.apache.flink.table.data.binary.BinaryStringData;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;
import org.apache.flink.table.runtime.typeutils.MapDataSerializer;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.types.Row;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code logs} columns are defined once ({@link LogColumns}); every place that spells them out
 * again must agree with that definition, and every field a parser can fill must reach a column.
 */
class LogColumnsTest {
    private static final List<String> NAMES = LogColumns.ALL.stream().map(c -> c.name).collect(Collectors.toList());

    @Test
    void theFlinkRowTypeHasTheColumnsInOrder() {
        assertThat(DataType.getFieldNames(Schemas.LOGS)).isEqualTo(NAMES);
    }

    /**
     * Each field of {@link NormalizedEvent} changes exactly one column of its row, and no two fields
     * the same one: a field added to the event but not to the columns, or wired to the wrong column,
     * fails here.
     */
    @Test
    void everyFieldOfTheParsedEventReachesItsOwnColumn() throws Exception {
        Row blank = Schemas.logRow(new NormalizedEvent());
        List<Integer> fed = new ArrayList<>();
        for (Field field : NormalizedEvent.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            NormalizedEvent e = new NormalizedEvent();
            fill(e, field);
            Row row = Schemas.logRow(e);
            List<Integer> changed = new ArrayList<>();
            for (int i = 0; i < row.getArity(); i++) {
                if (!Objects.equals(row.getField(i), blank.getField(i))) {
                    changed.add(i);
                }
            }
            assertThat(changed).as("columns changed by NormalizedEvent.%s", field.getName()).hasSize(1);
            fed.add(changed.get(0));
        }
        assertThat(fed).as("a column per field").doesNotHaveDuplicates().hasSize(NAMES.size());
    }

    /**
     * The job builds each event's row in the planner's form directly ({@link Schemas#logRowData}):
     * it must hold what Flink's own converter makes of {@link Schemas#logRow}, for every field, for
     * all of them at once and for none; and it must not share the event's map, which a parser reuses.
     */
    @Test
    void thePlannerRowOfAnEventIsItsRowConverted() throws Exception {
        DataStructureConverter<Object, Object> converter = DataStructureConverters.getConverter(Schemas.LOGS);
        converter.open(LogColumnsTest.class.getClassLoader());
        NormalizedEvent all = new NormalizedEvent();
        List<NormalizedEvent> events = new ArrayList<>(List.of(new NormalizedEvent(), all));
        for (Field field : NormalizedEvent.class.getFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                NormalizedEvent e = new NormalizedEvent();
                fill(e, field);
                events.add(e);
                fill(all, field);
            }
        }
        all.attributes.put("user_name", "アリス");
        all.attributes.put("empty", "");
        for (NormalizedEvent e : events) {
            assertThat(converter.toExternal(Schemas.logRowData(e))).isEqualTo(Schemas.logRow(e));
        }
        RowData row = Schemas.logRowData(all);
        all.attributes.clear();
        assertThat(((Row) converter.toExternal(row)).getField(NAMES.indexOf("attributes"))).asInstanceOf(InstanceOfAssertFactories.MAP)
                .containsEntry("user_name", "アリス");
    }

    /**
     * The row is written with the JDK's UTF-8 bytes; they must be Flink's own, for any text a log
     * line can carry, short (kept in the row's fixed part) or long, in columns and in the
     * attributes map (whose serializer is reused by the thread). Rows built one after another
     * must not share bytes: all are checked after all were built. A null attribute value stays null.
     */
    @Test
    void stringsAreEncodedAsFlinkEncodesThem() {
        List<String> texts = List.of("", "abc", "1234567", "12345678", "plain ascii", "注文 café — ünïcødé 🚀", "lone \uD800 high",
                "lone \uDC00 low", "swapped \uDC00\uD800 pair", "x".repeat(30_000) + "é", "日本".repeat(20_000),
                "\u0000nul and \u007f", "z".repeat(1 << 21), "after the large one");
        int message = NAMES.indexOf("message");
        int attributes = NAMES.indexOf("attributes");
        List<RowData> rows = new ArrayList<>();
        for (String text : texts) {
            NormalizedEvent e = new NormalizedEvent();
            e.message = text;
            e.attributes.put(text, text);
            e.attributes.put("\u0000null", null);
            rows.add(Schemas.logRowData(e));
        }
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            byte[] flink = BinaryStringData.fromString(text).toBytes();
            RowData row = rows.get(i);
            assertThat(row.getString(message).toBytes()).as(text.length() > 40 ? text.substring(0, 40) : text).isEqualTo(flink);
            MapData map = row.getMap(attributes);
            assertThat(map.size()).isEqualTo(2);
            assertThat(map.keyArray().getString(0).toBytes()).isEqualTo(flink);
            assertThat(map.valueArray().getString(0).toBytes()).isEqualTo(flink);
            assertThat(map.keyArray().getString(1).toString()).isEqualTo("\u0000null");
            assertThat(map.valueArray().isNullAt(1)).isTrue();
        }
    }

    /**
     * The attributes map is written by hand in Flink's binary layout: byte for byte what Flink's
     * own serializer writes, for maps of 1 to 70 entries (the null bits span three words), keys and
     * values inline (up to 7 bytes) and not, multi-byte text, empty strings and null values.
     */
    @Test
    void theAttributesMapHasFlinksBinaryLayout() {
        MapDataSerializer serializer = new MapDataSerializer(new VarCharType(VarCharType.MAX_LENGTH), new VarCharType(VarCharType.MAX_LENGTH));
        List<String> shapes = List.of("", "a", "1234567", "12345678", "é", "日本語", "ab日", "a longer value of text", "注文 café 🚀 ".repeat(9));
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int size = 1; size <= 70; size++) {
            Map<String, String> attributes = new java.util.LinkedHashMap<>();
            Map<StringData, StringData> generic = new java.util.LinkedHashMap<>();
            while (attributes.size() < size) {
                String key = shapes.get(random.nextInt(shapes.size())) + attributes.size();
                String value = random.nextInt(5) == 0 ? null : shapes.get(random.nextInt(shapes.size()));
                attributes.put(key, value);
                generic.put(StringData.fromString(key), value == null ? null : StringData.fromString(value));
            }
            BinaryMapData ours = Schemas.stringMap(attributes);
            BinaryMapData flinks = serializer.toBinaryMap(new GenericMapData(generic));
            assertThat(BinarySegmentUtils.copyToBytes(ours.getSegments(), ours.getOffset(), ours.getSizeInBytes()))
                    .as("map of %d", size)
                    .isEqualTo(BinarySegmentUtils.copyToBytes(flinks.getSegments(), flinks.getOffset(), flinks.getSizeInBytes()));
        }
        assertThat(Schemas.stringMap(Map.of())).isNull();
    }

    @Test
    void timesAreUtcWallClockAndAnEmptyMapIsNull() {
        NormalizedEvent e = new NormalizedEvent();
        e.eventTimeMillis = 1_717_200_000_123L; // 2024-06-01T00:00:00.123Z
        Row row = Schemas.logRow(e);
        assertThat(row.getField(NAMES.indexOf("event_time")).toString()).isEqualTo("2024-06-01T00:00:00.123");
        assertThat(row.getField(NAMES.indexOf("attributes"))).isNull();
        assertThat(row.getField(NAMES.indexOf("rejected_event_time"))).isNull();
    }

    /** The Athena DDL kept in the repository (and the Glue tables checked against it) lists the same columns. */
    @Test
    void theDocumentedAthenaTableHasTheColumns() throws Exception {
        String ddl = Files.readString(Path.of("..", "docs", "athena", "tables.sql"));
        String logs = ddl.substring(ddl.indexOf("nagare.logs ("), ddl.indexOf("PARTITIONED BY"));
        List<String> columns = new ArrayList<>();
        Matcher m = Pattern.compile("^  `(\\w+)` ", Pattern.MULTILINE).matcher(logs);
        while (m.find()) {
            columns.add(m.group(1));
        }
        // log_type is a partition key: it lives in the path, not in the files.
        List<String> expected = new ArrayList<>(NAMES);
        expected.remove("log_type");
        assertThat(columns).isEqualTo(expected);
    }

    /** The reference table in docs/RULES.md names every column, in table order. */
    @Test
    void theRulesReferenceNamesTheColumns() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "RULES.md"));
        String table = doc.substring(doc.indexOf("## The `logs` table"), doc.indexOf("## Bundled rules"));
        List<String> columns = new ArrayList<>();
        for (String line : table.split("\n")) {
            if (line.startsWith("| `")) {
                Matcher m = Pattern.compile("`(\\w+)`").matcher(line.substring(0, line.indexOf(" |", 2)));
                while (m.find()) {
                    columns.add(m.group(1));
                }
            }
        }
        assertThat(columns).isEqualTo(NAMES);
    }

    private static void fill(NormalizedEvent e, Field field) throws IllegalAccessException {
        Class<?> type = field.getType();
        if (type == long.class || type == Long.class) {
            field.set(e, 1_700_000_000_000L);
        } else if (type == String.class) {
            field.set(e, "value of " + field.getName());
        } else if (type == Integer.class) {
            field.set(e, 7);
        } else if (type == Double.class) {
            field.set(e, 7.5);
        } else if (type == Boolean.class) {
            field.set(e, Boolean.TRUE);
        } else if (Map.class.isAssignableFrom(type)) {
            @SuppressWarnings("unchecked")
            Map<String, String> map = (Map<String, String>) field.get(e);
            map.put("k", "v");
        } else {
            throw new IllegalStateException("no sample value for " + field + ": extend the test");
        }
    }
}
