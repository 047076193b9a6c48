package dev.nagare.job.decode;

import dev.nagare.job.metrics.Tally;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.api.common.accumulators.Accumulator;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.checkpoint.SavepointType;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.apache.flink.util.InstantiationUtil;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
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
import java.util.stream.Collectors;
import java.util.stream.Stream;

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

    /** Where the ids are kept: the operator's own tables on heap state, Flink's keyed state on RocksDB. */
    enum Backend { HEAP, ROCKSDB }

    private KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness(Duration ttl, OperatorSubtaskState restore)
            throws Exception {
        return harness(Backend.HEAP, ttl, restore);
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness(
            Backend backend, Duration ttl, OperatorSubtaskState restore) throws Exception {
        return harness(backend, new Deduplicator(ttl), Deduplicator::keyOf, restore, 128, 1, 0);
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness(
            Backend backend, OneInputStreamOperator<Tuple2<String, RowData>, RowData> operator,
            KeySelector<Tuple2<String, RowData>, String> key, OperatorSubtaskState restore,
            int maxParallelism, int parallelism, int subtask) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                operator, key, Types.STRING, maxParallelism, parallelism, subtask);
        harnesses.add(harness);
        if (backend == Backend.ROCKSDB) {
            harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        at(harness, T0);
        if (restore != null) {
            harness.initializeState(restore);
        }
        harness.open();
        return harness;
    }

    /** Sets the time both stores read: the TTL's clock (keyed state) and processing time (the tables). */
    private static void at(KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness, long time)
            throws Exception {
        harness.setStateTtlProcessingTime(time);
        harness.setProcessingTime(time);
    }

    /**
     * Ids the operator holds, wherever it keeps them: in its tables, expired ones not yet dropped
     * included (what they take in memory); in keyed state, those not expired (RocksDB drops the
     * rest in compactions).
     */
    private static long stored(KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness) throws Exception {
        Deduplicator operator = (Deduplicator) harness.getOneInputOperator();
        if (operator.keepsIdsInMemory()) {
            return operator.heldIds();
        }
        KeyedStateBackend<String> backend = operator.getKeyedStateBackend();
        ValueState<Boolean> seen = backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, operator.seenDescriptor());
        List<String> keys;
        try (Stream<String> stream = backend.getKeys("seen", VoidNamespace.INSTANCE)) {
            keys = stream.collect(Collectors.toList());
        }
        long live = 0;
        for (String key : keys) {
            backend.setCurrentKey(key);
            if (seen.value() != null) {
                live++;
            }
        }
        return live;
    }

    /** A canonical savepoint: what carries state from one state backend to another. */
    private static OperatorSubtaskState savepoint(KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness)
            throws Exception {
        return harness.snapshotWithLocalState(1, T0, SavepointType.savepoint(SavepointFormatType.CANONICAL)).getJobManagerOwnedState();
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

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aReDeliveryWithinTheTtlIsDropped(Backend backend) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(backend, TTL, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        at(harness, T0 + TTL.toMillis() - 1);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);

        assertThat(ids(harness)).containsExactly("e1", "e2");
        assertThat(tally(harness, "duplicates")).isEqualTo(1);
        assertThat(stored(harness)).isEqualTo(2); // one entry per id, nothing else
        assertThat(((Deduplicator) harness.getOneInputOperator()).keepsIdsInMemory()).isEqualTo(backend == Backend.HEAP);
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

    /**
     * The dedup as releases before this one ran it on every backend: a keyed process function
     * with one flag per id in Flink's keyed state, with a TTL. Its snapshots must restore.
     */
    static final class KeyedStateDedup extends KeyedProcessFunction<String, Tuple2<String, RowData>, RowData> {
        private transient ValueState<Boolean> seen;

        @Override
        public void open(OpenContext context) {
            // Written out, not Deduplicator.seenDescriptor(): this is the stored format of the
            // release before, which must keep restoring if that method ever changes.
            ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(TTL)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .cleanupFullSnapshot()
                    .cleanupIncrementally(1, false)
                    .build());
            seen = getRuntimeContext().getState(descriptor);
        }

        @Override
        public void processElement(Tuple2<String, RowData> event, Context ctx, Collector<RowData> out) throws Exception {
            if (seen.value() == null) {
                seen.update(Boolean.TRUE);
                out.collect(event.f1);
            }
        }
    }

    /**
     * A snapshot of the release before restores on either backend: its ids are still dropped (on
     * heap, moved out of Flink's keyed state into the tables), and ids keyed by the identity's
     * text (older still, matching no event now) are kept on RocksDB until they expire, dropped on
     * heap. On RocksDB with heap timers that release's snapshot also holds Flink's timer
     * streams in raw keyed state, which the dedup skips.
     */
    @ParameterizedTest
    @ValueSource(strings = {"HEAP", "ROCKSDB", "ROCKSDB_HEAP_TIMERS"})
    void aSnapshotOfTheReleaseBeforeRestores(String setup) throws Exception {
        Backend backend = setup.equals("HEAP") ? Backend.HEAP : Backend.ROCKSDB;
        String textKey = "111122223333|/ecs/orders|web/1|e0";
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> before = harness(backend,
                new KeyedProcessOperator<>(new KeyedStateDedup()), Deduplicator::keyOf, null, 128, 1, 0);
        if (setup.equals("ROCKSDB_HEAP_TIMERS")) {
            before.close();
            harnesses.remove(before);
            before = new KeyedOneInputStreamOperatorTestHarness<>(
                    new KeyedProcessOperator<>(new KeyedStateDedup()), Deduplicator::keyOf, Types.STRING, 128, 1, 0);
            harnesses.add(before);
            before.setStateBackend(rocksDbWithHeapTimers());
            at(before, T0);
            before.open();
        }
        before.processElement(Tuple2.of(textKey, event("e0", T0)), T0);
        before.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        OperatorSubtaskState snapshot = before.snapshot(1, T0);
        if (setup.equals("ROCKSDB_HEAP_TIMERS")) {
            assertThat(snapshot.getRawKeyedState()).isNotEmpty(); // Flink's timer streams
        }

        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> restored = setup.equals("ROCKSDB_HEAP_TIMERS")
                ? rocksDbWithHeapTimersHarness(snapshot)
                : harness(backend, TTL, snapshot);
        assertThat(stored(restored)).isEqualTo(backend == Backend.HEAP ? 1 : 2);
        if (backend == Backend.HEAP) {
            assertThat(restored.numKeyedStateEntries()).isZero(); // moved out, not carried along
        }
        restored.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        restored.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        restored.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        assertThat(ids(restored)).containsExactly("e2");

        // And the next snapshot, in this release's form, restores too.
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> again = setup.equals("ROCKSDB_HEAP_TIMERS")
                ? rocksDbWithHeapTimersHarness(restored.snapshot(2, T0))
                : harness(backend, TTL, restored.snapshot(2, T0));
        again.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        again.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        again.processElement(Deduplicator.withKey(event("e3", T0)), T0);
        assertThat(ids(again)).containsExactly("e3");
    }

    private static EmbeddedRocksDBStateBackend rocksDbWithHeapTimers() {
        EmbeddedRocksDBStateBackend rocksDb = new EmbeddedRocksDBStateBackend();
        rocksDb.setPriorityQueueStateType(EmbeddedRocksDBStateBackend.PriorityQueueStateType.HEAP);
        return rocksDb;
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> rocksDbWithHeapTimersHarness(
            OperatorSubtaskState restore) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new Deduplicator(TTL), Deduplicator::keyOf, Types.STRING, 128, 1, 0);
        harnesses.add(harness);
        harness.setStateBackend(rocksDbWithHeapTimers());
        at(harness, T0);
        harness.initializeState(restore);
        harness.open();
        return harness;
    }

    /** A savepoint taken on one backend restores on the other: the ids move between the tables and keyed state. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void idsMoveWhenTheBackendChanges(Backend from) throws Exception {
        Backend to = from == Backend.HEAP ? Backend.ROCKSDB : Backend.HEAP;
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> before = harness(from, TTL, null);
        for (int i = 0; i < 500; i++) {
            before.processElement(Deduplicator.withKey(event("e" + i, T0)), T0);
        }
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> after = harness(to, TTL, savepoint(before));
        assertThat(stored(after)).isEqualTo(500);
        for (int i = 0; i < 510; i++) {
            after.processElement(Deduplicator.withKey(event("e" + i, T0)), T0);
        }
        assertThat(ids(after)).containsExactly("e500", "e501", "e502", "e503", "e504", "e505", "e506", "e507", "e508", "e509");
    }

    /**
     * Rescaled from two subtasks to three and back to one, every id seen before is still dropped:
     * the ids travel with their key groups, like keyed state, and their expiry with them.
     */
    @Test
    void idsFollowTheirKeyGroupsWhenRescaled() throws Exception {
        int maxParallelism = 128;
        int n = 3_000;
        List<Tuple2<String, RowData>> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(Deduplicator.withKey(event("e" + i, T0)));
        }
        List<OperatorSubtaskState> snapshots = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness =
                    harness(Backend.HEAP, new Deduplicator(TTL), Deduplicator::keyOf, null, maxParallelism, 2, subtask);
            for (Tuple2<String, RowData> e : ownedBy(events, maxParallelism, 2, subtask)) {
                harness.processElement(e, T0);
            }
            snapshots.add(harness.snapshot(1, T0));
        }
        OperatorSubtaskState twoSubtasks = AbstractStreamOperatorTestHarness.repackageState(snapshots.toArray(new OperatorSubtaskState[0]));

        List<OperatorSubtaskState> threeSnapshots = new ArrayList<>();
        long storedInThree = 0;
        for (int subtask = 0; subtask < 3; subtask++) {
            OperatorSubtaskState state = AbstractStreamOperatorTestHarness.repartitionOperatorState(twoSubtasks, maxParallelism, 2, 3, subtask);
            KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness =
                    harness(Backend.HEAP, new Deduplicator(TTL), Deduplicator::keyOf, state, maxParallelism, 3, subtask);
            storedInThree += stored(harness);
            List<Tuple2<String, RowData>> mine = ownedBy(events, maxParallelism, 3, subtask);
            for (Tuple2<String, RowData> e : mine) {
                harness.processElement(e, T0);
            }
            assertThat(harness.extractOutputValues()).isEmpty();
            threeSnapshots.add(harness.snapshot(2, T0));
        }
        assertThat(storedInThree).isEqualTo(n);

        OperatorSubtaskState one = AbstractStreamOperatorTestHarness.repartitionOperatorState(
                AbstractStreamOperatorTestHarness.repackageState(threeSnapshots.toArray(new OperatorSubtaskState[0])), maxParallelism, 3, 1, 0);
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> single =
                harness(Backend.HEAP, new Deduplicator(TTL), Deduplicator::keyOf, one, maxParallelism, 1, 0);
        assertThat(stored(single)).isEqualTo(n);
        for (Tuple2<String, RowData> e : events) {
            single.processElement(e, T0);
        }
        single.processElement(Deduplicator.withKey(event("new", T0)), T0);
        assertThat(ids(single)).containsExactly("new");
        // The expiry travelled too: an hour after the first delivery, they are all new again.
        at(single, T0 + TTL.toMillis());
        for (Tuple2<String, RowData> e : events) {
            single.processElement(e, T0);
        }
        assertThat(single.extractOutputValues()).hasSize(n + 1);
    }

    private static List<Tuple2<String, RowData>> ownedBy(List<Tuple2<String, RowData>> events, int maxParallelism, int parallelism, int subtask) {
        List<Tuple2<String, RowData>> mine = new ArrayList<>();
        for (Tuple2<String, RowData> e : events) {
            if (KeyGroupRangeAssignment.assignKeyToParallelOperator(e.f0, maxParallelism, parallelism) == subtask) {
                mine.add(e);
            }
        }
        return mine;
    }

    /** The key's 128 bits read back from its text are the digest's, and encode back to the key. */
    @Test
    void aKeysBitsAreTheDigestsBits() {
        for (int i = 0; i < 1_000; i++) {
            String key = Deduplicator.key(event("e" + i, T0));
            byte[] digest = Base64.getDecoder().decode(key);
            assertThat(Deduplicator.high(key)).isEqualTo(ByteBuffer.wrap(digest).getLong(0));
            assertThat(Deduplicator.low(key)).isEqualTo(ByteBuffer.wrap(digest).getLong(8));
            assertThat(Deduplicator.encode(Deduplicator.high(key), Deduplicator.low(key))).isEqualTo(key);
            assertThat(Deduplicator.isDigest(key)).isTrue();
        }
        assertThat(Deduplicator.isDigest("111122223333|/ecs/orders|web/1|e0")).isFalse();
        assertThat(Deduplicator.isDigest("ungWv48Bz+pBQUDeXa4iIx")).isFalse(); // low bits of the last character set
        assertThat(Deduplicator.isDigest("ungWv48Bz+pBQUDeXa4i-w")).isFalse();
        assertThat(Deduplicator.isDigest("ungWv48Bz+pBQUDeXa4iIw")).isTrue();
    }

    /** The same id from another stream is another event: CloudWatch ids are unique per stream only. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void theSameIdInAnotherStreamIsKept(Backend backend) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(backend, TTL, null);
        RowData other = event("e1", T0, e -> e.logStream = "web/2");
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.processElement(Deduplicator.withKey(other), T0);
        assertThat(ids(harness)).containsExactly("e1", "e1");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void afterTheTtlAnIdIsForgottenAndLeavesTheNextSnapshot(Backend backend) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(backend, TTL, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.processElement(Deduplicator.withKey(event("e2", T0 + 1)), T0);
        at(harness, T0 + TTL.toMillis());
        // Expired ids are never returned: a delivery after the TTL counts as new.
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        assertThat(ids(harness)).containsExactly("e1", "e2", "e1");

        at(harness, T0 + 2 * TTL.toMillis());
        OperatorSubtaskState snapshot = harness.snapshot(1, T0);
        // On heap, expired ids are not written into checkpoints, so state does not grow with them
        // (the restored tables hold none); RocksDB's incremental checkpoints keep them until a
        // compaction drops them, and they are never returned.
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> restored = harness(backend, TTL, snapshot);
        at(restored, T0 + 2 * TTL.toMillis());
        assertThat(stored(restored)).isZero();
    }

    /**
     * Expired ids leave memory as traffic goes on, not only at checkpoints: after an hour, as many
     * new ids as old leave fewer held than both together. With no cleanup all 2n would be held.
     * (On RocksDB, compactions drop them; not observable here.)
     */
    @Test
    void expiredIdsAreDroppedFromMemoryAsNewIdsArrive() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(TTL, null);
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            harness.processElement(Deduplicator.withKey(event("old-" + i, T0)), T0);
        }
        at(harness, T0 + TTL.toMillis() + 1);
        for (int i = 0; i < n; i++) {
            harness.processElement(Deduplicator.withKey(event("new-" + i, T0)), T0);
        }
        assertThat(stored(harness)).isBetween((long) n, (long) (n + n / 2));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void seenIdsSurviveASnapshotAndRestore(Backend backend) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(backend, TTL, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        OperatorSubtaskState snapshot = harness.snapshot(1, T0);

        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> restored = harness(backend, TTL, snapshot);
        restored.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        restored.processElement(Deduplicator.withKey(event("e3", T0)), T0);
        assertThat(ids(restored)).containsExactly("e3");
        assertThat(stored(restored)).isEqualTo(2);
        // The restored id keeps its expiry: an hour after its first delivery it is new again.
        at(restored, T0 + TTL.toMillis());
        restored.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        assertThat(ids(restored)).containsExactly("e3", "e1");
    }

    private static Deduplicator operator(KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness) {
        return (Deduplicator) harness.getOneInputOperator();
    }

    /**
     * On RocksDB a new id is written without a read first: the filter knows it was never stored.
     * A re-delivery is read, and dropped.
     */
    @Test
    void onRocksDbANewIdIsStoredWithoutARead() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(Backend.ROCKSDB, TTL, null);
        int n = 2_000;
        for (int i = 0; i < n; i++) {
            harness.processElement(Deduplicator.withKey(event("e" + i, T0)), T0);
        }
        long reads = operator(harness).stateReads();
        assertThat(reads).isLessThan(n / 20); // the filter's false positives, about 1%
        for (int i = 0; i < n; i++) {
            harness.processElement(Deduplicator.withKey(event("e" + i, T0)), T0);
        }
        assertThat(harness.extractOutputValues()).hasSize(n);
        assertThat(operator(harness).stateReads() - reads).isEqualTo(n);
        assertThat(stored(harness)).isEqualTo(n);
    }

    /**
     * The filter is not in the checkpoint: after a restore every id is read, until the ids stored
     * before the restore have expired. Without that rule the re-delivery of e1 would pass.
     */
    @Test
    void onRocksDbAfterARestoreEveryIdIsReadUntilTheIdsBeforeHaveExpired() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(Backend.ROCKSDB, TTL, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        OperatorSubtaskState snapshot = harness.snapshot(1, T0);

        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> restored = harness(Backend.ROCKSDB, TTL, snapshot);
        restored.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        restored.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        assertThat(ids(restored)).containsExactly("e2");
        assertThat(operator(restored).stateReads()).isEqualTo(2);

        // Up to a minute after the TTL (the clocks of two machines), still read.
        at(restored, T0 + TTL.toMillis() + IdFilter.RESTORE_MARGIN_MILLIS - 1);
        restored.processElement(Deduplicator.withKey(event("e3", T0)), T0);
        assertThat(operator(restored).stateReads()).isEqualTo(3);

        at(restored, T0 + TTL.toMillis() + IdFilter.RESTORE_MARGIN_MILLIS);
        restored.processElement(Deduplicator.withKey(event("e4", T0)), T0);
        assertThat(operator(restored).stateReads()).isEqualTo(3);
        restored.processElement(Deduplicator.withKey(event("e4", T0)), T0);
        assertThat(ids(restored)).containsExactly("e2", "e3", "e4");
        assertThat(operator(restored).stateReads()).isEqualTo(4);
    }

    /**
     * Ids stored over four TTLs, so across the filter's generations: each is re-delivered just
     * before it expires (dropped: the filter still knows it) and when it has (new again).
     */
    @Test
    void onRocksDbReDeliveriesAcrossTheFiltersGenerationsAreDropped() throws Exception {
        Duration ttl = Duration.ofSeconds(10);
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(Backend.ROCKSDB, ttl, null);
        int reDelivered = 0;
        int dropped = 0;
        int expectedOut = 0;
        for (long t = 0; t <= 40_000; t += 500) {
            at(harness, T0 + t);
            harness.processElement(Deduplicator.withKey(event("n" + t, T0)), T0);
            expectedOut++;
            if (t >= 9_500) {
                harness.processElement(Deduplicator.withKey(event("n" + (t - 9_500), T0)), T0); // 9.5 s old: dropped
                reDelivered++;
                dropped++;
            }
            if (t >= 10_000) {
                harness.processElement(Deduplicator.withKey(event("n" + (t - 10_000), T0)), T0); // 10 s old: expired, new
                reDelivered++;
                expectedOut++;
            }
        }
        assertThat(harness.extractOutputValues()).hasSize(expectedOut);
        assertThat(tally(harness, "duplicates")).isEqualTo(dropped);
        // Only re-deliveries (and a false positive or so) were read.
        assertThat(operator(harness).stateReads()).isBetween((long) reDelivered, reDelivered + 5L);
    }

    /** {@code parse.dedup.filter-memory: 0}: every id is read, as before the filter. */
    @Test
    void onRocksDbWithoutTheFilterEveryIdIsRead() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness =
                harness(Backend.ROCKSDB, new Deduplicator(TTL, 0), Deduplicator::keyOf, null, 128, 1, 0);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.processElement(Deduplicator.withKey(event("e2", T0)), T0);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        assertThat(ids(harness)).containsExactly("e1", "e2");
        assertThat(operator(harness).stateReads()).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void eventsWithoutAnIdPassWithoutState(Backend backend) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(backend, TTL, null);
        harness.processElement(Deduplicator.withKey(event(null, T0)), T0);
        harness.processElement(Deduplicator.withKey(event(null, T0)), T0);
        assertThat(harness.extractOutputValues()).hasSize(2);
        assertThat(stored(harness)).isZero();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aZeroTtlTurnsDeduplicationOff(Backend backend) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness = harness(backend, Duration.ZERO, null);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        harness.processElement(Deduplicator.withKey(event("e1", T0)), T0);
        assertThat(ids(harness)).containsExactly("e1", "e1");
        Deduplicator operator = (Deduplicator) harness.getOneInputOperator();
        try (Stream<String> keys = operator.<String>getKeyedStateBackend().getKeys("seen", VoidNamespace.INSTANCE)) {
            assertThat(keys.count()).isZero();
        }
        assertThat(operator.keepsIdsInMemory()).isFalse();
        assertThat(harness.snapshot(1, T0).getRawKeyedState()).isEmpty();
    }

    /**
     * The operator reaches a task serialized, as Flink ships it: before the first watermark
     * nothing is late, even an event of 1969 (a watermark left at 0 would count it).
     */
    @Test
    void beforeTheFirstWatermarkNothingIsLate() throws Exception {
        Deduplicator shipped = InstantiationUtil.clone(new Deduplicator(TTL));
        KeyedOneInputStreamOperatorTestHarness<String, Tuple2<String, RowData>, RowData> harness =
                harness(Backend.HEAP, shipped, Deduplicator::keyOf, null, 128, 1, 0);
        harness.processElement(Deduplicator.withKey(event("e1", -120_000)), -120_000);
        assertThat(ids(harness)).containsExactly("e1");
        assertThat(tally(harness, "lateEvents")).isZero();
        harness.processWatermark(0);
        harness.processElement(Deduplicator.withKey(event("e2", -120_000)), -120_000);
        assertThat(tally(harness, "lateEvents")).isEqualTo(1);
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
