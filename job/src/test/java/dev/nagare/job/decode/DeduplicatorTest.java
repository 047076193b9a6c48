package dev.nagare.job.decode;

import dev.nagare.job.metrics.Tally;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.api.common.accumulators.Accumulator;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.core.memory.MemorySegmentFactory;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.binary.BinaryRowData;
import org.apache.flink.table.data.binary.BinarySegmentUtils;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Deduplicator} in Flink's keyed operator harness: what passes, what state it keeps and for how long. */
class DeduplicatorTest {
    static final long T0 = Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();
    static final Duration TTL = Duration.ofHours(1);

    private final List<KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData>> harnesses = new ArrayList<>();

    @AfterEach
    void closeHarnesses() throws Exception {
        for (KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness : harnesses) {
            harness.close();
        }
    }

    /** A CloudWatch event of one stream, at {@code time}, as the parse step emits it. */
    static RowData event(String id, long time) {
        return event(id, time, e -> { });
    }

    /** An app event of account 111122223333's /ecs/orders web/1, as the parse fills it in, then changed. */
    static NormalizedEvent normalized(String id, long time, Consumer<NormalizedEvent> change) {
        NormalizedEvent e = new NormalizedEvent();
        e.eventId = id;
        e.eventTimeMillis = time;
        e.ingestTimeMillis = time;
        e.logType = "app";
        e.account = "111122223333";
        e.logGroup = "/ecs/orders";
        e.logStream = "web/1";
        e.message = "order " + id + " placed";
        change.accept(e);
        return e;
    }

    static RowData event(String id, long time, Consumer<NormalizedEvent> change) {
        NormalizedEvent e = normalized(id, time, change);
        DataStructureConverter<Object, Object> converter = DataStructureConverters.getConverter(Schemas.LOGS);
        converter.open(DeduplicatorTest.class.getClassLoader());
        return (RowData) converter.toInternal(Schemas.logRow(e));
    }

    /** The first 16 bytes of the text's SHA-256 in unpadded base64: the key format snapshots hold. */
    static String digest(String text) throws NoSuchAlgorithmException {
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().withoutPadding().encodeToString(Arrays.copyOf(sha, 16));
    }

    /** The row as the operator behind the shuffle receives it: serialized to the planner's binary form. */
    static RowData shuffled(RowData row) throws IOException {
        TypeSerializer<RowData> serializer = DecodeFunction.LOGS_ROWDATA_TYPE.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(row, out);
        return serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    private static RowData pointedAt(MemorySegment[] segments, int size) {
        BinaryRowData row = new BinaryRowData(Schemas.LOGS.getLogicalType().getChildren().size());
        row.pointTo(segments, 0, size);
        return row;
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness(Duration ttl, OperatorSubtaskState restore)
            throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new Deduplicator(ttl)), Deduplicator::keyOf, Types.STRING);
        harnesses.add(harness);
        if (restore != null) {
            harness.initializeState(restore);
        }
        harness.setStateTtlProcessingTime(T0);
        harness.open();
        return harness;
    }

    private static List<String> ids(KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness) {
        List<String> ids = new ArrayList<>();
        for (RowData row : harness.extractOutputValues()) {
            ids.add(row.getString(Schemas.LOGS_EVENT_ID).toString());
        }
        return ids;
    }

    private static long tally(KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness, String name) {
        Map<String, Accumulator<?, ?>> accumulators = harness.getEnvironment().getAccumulatorRegistry().getUserMap();
        Accumulator<?, ?> counter = accumulators.get(Tally.PREFIX + name);
        return counter == null ? 0 : (Long) counter.getLocalValue();
    }

    @Test
    void aReDeliveryWithinTheTtlIsDropped() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(TTL, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        harness.setStateTtlProcessingTime(T0 + TTL.toMillis() - 1);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);

        assertThat(ids(harness)).containsExactly("e1", "e2");
        assertThat(tally(harness, "duplicates")).isEqualTo(1);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(2); // one flag per id, nothing else
        assertThat(harness.numEventTimeTimers() + harness.numProcessingTimeTimers()).isZero(); // TTL, not timers
    }

    /** The stored identity is a fixed-length digest, the same on every JVM and release (SHA-256). */
    @Test
    void theKeyIsADigestOfTheIdentity() throws NoSuchAlgorithmException {
        assertThat(digest("abc")).isEqualTo("ungWv48Bz+pBQUDeXa4iIw"); // first 16 bytes of SHA-256("abc")
        RowData row = event("3788273982347287342834792837498237498723984723984729837", T0);
        assertThat(Deduplicator.key(row)).hasSize(22)
                .isEqualTo(digest("111122223333|/ecs/orders|web/1|3788273982347287342834792837498237498723984723984729837"));
        RowData trail = event("6d4f2c1e-0b8a-4c3e-9f2d-1a2b3c4d5e6f", T0, e -> e.logType = "cloudtrail");
        RowData otherTrail = event("6d4f2c1e-0b8a-4c3e-9f2d-1a2b3c4d5e6f", T0, e -> {
            e.logType = "cloudtrail";
            e.logGroup = "/aws/cloudtrail/org-trail";
        });
        assertThat(Deduplicator.key(trail)).isEqualTo(Deduplicator.key(otherTrail)) // eventID is global
                .isEqualTo(digest("6d4f2c1e-0b8a-4c3e-9f2d-1a2b3c4d5e6f"));
        // A missing field is the text "null", as when the key was built from the joined text.
        assertThat(Deduplicator.key(event("e1", T0, e -> e.account = null)))
                .isEqualTo(digest("null|/ecs/orders|web/1|e1"));
    }

    /**
     * The key reads the fields' bytes where the row holds them, or copies them when they are not
     * one heap array (a row deserialized, spilled over segments, off the heap): the same key
     * either way, or a restored id would not match. Text beyond ASCII, nulls and events without
     * an id too.
     */
    @Test
    void theKeyIsTheSameWhereverTheRowsBytesLie() throws Exception {
        List<RowData> rows = List.of(
                event("e1", T0),
                event("e2", T0, e -> {
                    e.logStream = "ウェブ/1 — café";
                    e.account = null;
                }),
                event("e3", T0, e -> e.logType = "cloudtrail"),
                event("e4", T0, e -> e.logType = null),
                event(null, T0),
                event(null, T0, e -> e.message = "注文 ".repeat(10_000)));
        for (RowData row : rows) {
            assertThat(Deduplicator.key(shuffled(row))).isEqualTo(Deduplicator.key(row));
            // Rows whose bytes are not one heap array (spilled across segments, off the heap).
            BinaryRowData binary = (BinaryRowData) shuffled(row);
            byte[] bytes = BinarySegmentUtils.copyToBytes(binary.getSegments(), binary.getOffset(), binary.getSizeInBytes());
            MemorySegment offHeap = MemorySegmentFactory.allocateUnpooledOffHeapMemory(bytes.length);
            offHeap.put(0, bytes);
            assertThat(Deduplicator.key(pointedAt(new MemorySegment[] {offHeap}, bytes.length))).isEqualTo(Deduplicator.key(row));
            for (int segmentSize = 288; segmentSize < Math.min(bytes.length, 640); segmentSize += 8) {
                MemorySegment[] segments = new MemorySegment[(bytes.length + segmentSize - 1) / segmentSize];
                for (int i = 0; i < segments.length; i++) {
                    segments[i] = MemorySegmentFactory.wrap(Arrays.copyOfRange(bytes, i * segmentSize, (i + 1) * segmentSize));
                }
                assertThat(Deduplicator.key(pointedAt(segments, bytes.length))).isEqualTo(Deduplicator.key(row));
            }
        }
        assertThat(Deduplicator.key(rows.get(1))).isEqualTo(digest("null|/ecs/orders|ウェブ/1 — café|e2"));
    }

    /**
     * The key is computed in front of the shuffle and carried with the row: behind it, from rows
     * as the parse builds them and sent through the keyed stream's own serializer, the key that
     * arrives is the key of the row that arrives.
     */
    @Test
    void theCarriedKeyIsTheKeyOfTheRowBehindTheShuffle() throws Exception {
        TypeSerializer<Tuple2<String, RowData>> serializer = Deduplicator.KEYED_TYPE.createSerializer(new SerializerConfigImpl());
        List<NormalizedEvent> events = new ArrayList<>();
        for (String id : Arrays.asList("e1", "e2", null)) {
            events.add(normalized(id, T0, e -> {
                e.logType = "mysql_audit";
                e.logGroup = "/aws/rds/cluster/ledger/audit";
                e.logStream = "ledger-1.audit.log.0 — ü";
            }));
        }
        DataOutputSerializer out = new DataOutputSerializer(256);
        for (NormalizedEvent e : events) {
            serializer.serialize(Deduplicator.withKey(Schemas.logRowData(e)), out);
        }
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        for (NormalizedEvent e : events) {
            Tuple2<String, RowData> arrived = serializer.deserialize(in);
            assertThat(arrived.f0).isEqualTo(Deduplicator.key(arrived.f1)).isEqualTo(Deduplicator.key(Schemas.logRowData(e)));
            assertThat(Deduplicator.keyOf(arrived)).isEqualTo(arrived.f0);
        }
        assertThat(in.available()).isZero();
        assertThat(Deduplicator.key(Schemas.logRowData(events.get(0))))
                .isEqualTo(digest("111122223333|/aws/rds/cluster/ledger/audit|ledger-1.audit.log.0 — ü|e1"));
    }

    /** State written when the key was the identity's text still restores; those ids expire as usual. */
    @Test
    void aSnapshotWithTextKeysRestores() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> before = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new Deduplicator(TTL)),
                event -> "111122223333|/ecs/orders|web/1|" + event.f1.getString(Schemas.LOGS_EVENT_ID), Types.STRING);
        harnesses.add(before);
        before.setStateTtlProcessingTime(T0);
        before.open();
        RowData first = event("e1", T0);
        // As the job of that time sent it: the row, keyed by its text (no digest travels with it).
        before.processElement(Tuple2.of("111122223333|/ecs/orders|web/1|e1", first), T0);
        OperatorSubtaskState snapshot = before.snapshot(1, T0);

        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> restored = harness(TTL, snapshot);
        assertThat(restored.numKeyedStateEntries()).isEqualTo(1);
        restored.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        restored.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        assertThat(ids(restored)).containsExactly("e2");
        assertThat(restored.numKeyedStateEntries()).isEqualTo(2);
    }

    /** The same id from another stream is another event: CloudWatch ids are unique per stream only. */
    @Test
    void theSameIdInAnotherStreamIsKept() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(TTL, null);
        RowData other = event("e1", T0, e -> e.logStream = "web/2");
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.processElement(Deduplicator.withKey(other), T0);
        assertThat(ids(harness)).containsExactly("e1", "e1");
    }

    @Test
    void afterTheTtlAnIdIsForgottenAndLeavesTheNextSnapshot() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(TTL, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.setStateTtlProcessingTime(T0 + TTL.toMillis() + 1);
        // Expired state is never returned: a delivery after the TTL counts as new.
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        assertThat(ids(harness)).containsExactly("e1", "e1");

        harness.setStateTtlProcessingTime(T0 + 2 * TTL.toMillis() + 2);
        OperatorSubtaskState snapshot = harness.snapshot(1, T0);
        // cleanupFullSnapshot: expired ids are not written into checkpoints, so state does not grow with them.
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> restored = harness(TTL, snapshot);
        assertThat(restored.numKeyedStateEntries()).isZero();
    }

    /**
     * On heap, expired ids leave memory as traffic goes on, not only at checkpoints: the ids of
     * one hour are gone after the next hour's as many new ids. Guards the light cleanup setting
     * (one entry per access instead of Flink's five): it must still keep pace; with no background
     * cleanup this fails.
     */
    @Test
    void expiredIdsAreDroppedFromHeapStateAsNewIdsArrive() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(TTL, null);
        int n = 2_000;
        for (int i = 0; i < n; i++) {
            harness.processElement(Deduplicator.withKey(event("old-" + i, T0)), T0);
        }
        harness.setStateTtlProcessingTime(T0 + TTL.toMillis() + 1);
        for (int i = 0; i < n; i++) {
            harness.processElement(Deduplicator.withKey(event("new-" + i, T0)), T0);
        }
        assertThat(harness.numKeyedStateEntries()).isBetween(n, n + n / 10);
    }

    @Test
    void seenIdsSurviveASnapshotAndRestore() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(TTL, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        OperatorSubtaskState snapshot = harness.snapshot(1, T0);

        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> restored = harness(TTL, snapshot);
        restored.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        restored.processElement(Deduplicator.withKey(event("e3", T0)), T0);
        assertThat(ids(restored)).containsExactly("e3");
        assertThat(restored.numKeyedStateEntries()).isEqualTo(2);
    }

    @Test
    void eventsWithoutAnIdPassWithoutState() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(TTL, null);
        harness.processElement(Deduplicator.withKey(event(null, T0)), T0);
        harness.processElement(Deduplicator.withKey(event(null, T0)), T0);
        assertThat(harness.extractOutputValues()).hasSize(2);
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void aZeroTtlTurnsDeduplicationOff() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(Duration.ZERO, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        assertThat(ids(harness)).containsExactly("e1", "e1");
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    /** An event whose minute the watermark has closed is counted late and still kept (it goes to the lake). */
    @Test
    void lateEventsAreCountedAndKept() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(TTL, null);
        harness.processWatermark(T0 + 60_000 - 1); // closes the minute [10:00, 10:01)
        harness.processElement(Deduplicator.withKey(event("late", T0 + 30_000)), T0 + 30_000);
        harness.processElement(Deduplicator.withKey(event("open", T0 + 60_000)), T0 + 60_000);
        assertThat(ids(harness)).containsExactly("late", "open");
        assertThat(tally(harness, "lateEvents")).isEqualTo(1);
    }
}
