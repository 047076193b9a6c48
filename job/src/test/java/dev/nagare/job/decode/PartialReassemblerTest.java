package dev.nagare.job.decode;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.FireLensParser;
import dev.nagare.udf.parse.FireLensParser.PartialChunk;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PartialReassembler} in Flink's keyed operator harness: pieces of a FireLens line joined in
 * ordinal order, the incomplete line emitted on the timeout or at the end of the input, and no state
 * or timer left for a line once it is out.
 */
class PartialReassemblerTest {
    static final long T0 = Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final int MAX_LINE_CHARS = 1_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MESSAGE = DataType.getFieldNames(Schemas.LOGS).indexOf("message");
    private static final int ATTRIBUTES = DataType.getFieldNames(Schemas.LOGS).indexOf("attributes");

    private final List<KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData>> harnesses = new ArrayList<>();

    @AfterEach
    void closeHarnesses() throws Exception {
        for (KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness : harnesses) {
            harness.close();
        }
    }

    /** Piece {@code ordinal} of line {@code partialId} as Fluent Bit writes it, read the way the decoder reads it. */
    static PartialChunk piece(String partialId, int ordinal, boolean last, String log) throws Exception {
        ObjectNode record = JSON.createObjectNode()
                .put("log", log)
                .put("source", "stdout")
                .put("container_id", "c0ffee")
                .put("container_name", "/ecs-orders-web-1")
                .put("ecs_task_arn", "arn:aws:ecs:eu-central-1:111122223333:task/prod/9c4e")
                .put("ecs_task_definition", "orders-web:12")
                .put("partial_message", "true")
                .put("partial_id", partialId)
                .put("partial_ordinal", Integer.toString(ordinal))
                .put("partial_last", Boolean.toString(last));
        PartialChunk chunk = FireLensParser.partialChunk(JSON.writeValueAsString(record));
        chunk.arrivalMillis = T0;
        return chunk;
    }

    private KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness(OperatorSubtaskState restore)
            throws Exception {
        RecordDecoding decoding = new RecordDecoding(new EventParser(), 128L << 20, 100_000);
        KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new PartialReassembler(decoding, TIMEOUT, MAX_LINE_CHARS)), c -> c.key, Types.STRING);
        harnesses.add(harness);
        if (restore != null) {
            harness.initializeState(restore);
        }
        harness.setProcessingTime(T0);
        harness.open();
        return harness;
    }

    private static void assertNothingLeft(KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness) {
        assertThat(harness.numKeyedStateEntries()).as("keyed state entries").isZero();
        assertThat(harness.numProcessingTimeTimers()).as("processing-time timers").isZero();
        assertThat(harness.numEventTimeTimers()).as("event-time timers").isZero();
    }

    @SuppressWarnings("unchecked")
    /** The reassembled events, read back from the planner's form the operator emits. */
    private static List<Row> output(KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness) {
        DataStructureConverter<Object, Object> converter = DataStructureConverters.getConverter(Schemas.LOGS);
        converter.open(PartialReassemblerTest.class.getClassLoader());
        List<Row> rows = new ArrayList<>();
        harness.extractOutputValues().forEach(row -> rows.add((Row) converter.toExternal(row)));
        return rows;
    }

    private static Map<String, String> attributes(Row row) {
        return (Map<String, String>) row.getField(ATTRIBUTES);
    }

    @Test
    void piecesInAnyOrderMakeOneLineAndLeaveNothingBehind() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness = harness(null);
        harness.processElement(piece("p1", 3, true, "ends here"), T0);
        harness.processElement(piece("p1", 1, false, "ERROR a line "), T0);
        assertThat(output(harness)).isEmpty();
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1); // end of a bounded input
        harness.processElement(piece("p1", 2, false, "split in three, "), T0);

        assertThat(output(harness)).singleElement().satisfies(row -> {
            assertThat(row.getField(MESSAGE)).isEqualTo("ERROR a line split in three, ends here");
            assertThat(attributes(row)).containsEntry("container_id", "c0ffee").doesNotContainKey("nagare_partial_incomplete");
        });
        assertNothingLeft(harness);
    }

    @Test
    void aLineWithAMissingPieceLeavesIncompleteOnTheTimeout() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness = harness(null);
        harness.processElement(piece("p1", 1, false, "first "), T0);
        harness.processElement(piece("p1", 3, true, "third"), T0);
        harness.setProcessingTime(T0 + TIMEOUT.toMillis() - 1);
        assertThat(output(harness)).isEmpty();

        harness.setProcessingTime(T0 + TIMEOUT.toMillis());
        assertThat(output(harness)).singleElement().satisfies(row -> {
            assertThat(row.getField(MESSAGE)).isEqualTo("first third");
            assertThat(attributes(row)).containsEntry("nagare_partial_incomplete", "true");
        });
        assertNothingLeft(harness);
    }

    /** A replay ends with pending pieces: the final watermark emits them instead of dropping them. */
    @Test
    void theEndOfABoundedInputEmitsWhatArrived() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness = harness(null);
        harness.processElement(piece("p1", 1, false, "only the first piece"), T0);
        harness.processWatermark(Long.MAX_VALUE);
        assertThat(output(harness)).singleElement()
                .satisfies(row -> assertThat(attributes(row)).containsEntry("nagare_partial_incomplete", "true"));
        assertNothingLeft(harness);
    }

    /** Pieces past the line bound go out at once, cut, instead of growing state without end. */
    @Test
    void piecesPastTheLineBoundAreEmittedAtOnce() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness = harness(null);
        harness.processElement(piece("p1", 1, false, "x".repeat(600)), T0);
        harness.processElement(piece("p1", 2, false, "y".repeat(600)), T0);
        assertThat(output(harness)).singleElement().satisfies(row -> {
            assertThat((String) row.getField(MESSAGE)).hasSize(MAX_LINE_CHARS);
            assertThat(attributes(row)).containsEntry("nagare_truncated_from_chars", "1200");
        });
        assertNothingLeft(harness);
    }

    @Test
    void aSecondCopyOfAPieceIsKeptOnItsOwn() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness = harness(null);
        harness.processElement(piece("p1", 1, false, "first "), T0);
        harness.processElement(piece("p1", 1, false, "first "), T0);
        assertThat(output(harness)).singleElement().satisfies(row -> assertThat(row.getField(MESSAGE)).isEqualTo("first "));
        harness.processElement(piece("p1", 2, true, "second"), T0);
        assertThat(output(harness)).hasSize(2).last()
                .satisfies(row -> assertThat(row.getField(MESSAGE)).isEqualTo("first second"));
        assertNothingLeft(harness);
    }

    @Test
    void pendingPiecesAndTheirTimersSurviveASnapshotAndRestore() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> harness = harness(null);
        harness.processElement(piece("p1", 1, false, "before the restore, "), T0);
        OperatorSubtaskState snapshot = harness.snapshot(1, T0);

        KeyedOneInputStreamOperatorTestHarness<String, PartialChunk, RowData> restored = harness(snapshot);
        assertThat(restored.numProcessingTimeTimers()).isEqualTo(1);
        restored.processElement(piece("p1", 2, true, "after it"), T0);
        assertThat(output(restored)).singleElement()
                .satisfies(row -> assertThat(row.getField(MESSAGE)).isEqualTo("before the restore, after it"));
        assertNothingLeft(restored);
    }
}
