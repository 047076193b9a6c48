package dev.nagare.job.decode;

import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.metrics.JobMetrics;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.schema.BinaryStrings;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.core.memory.DataOutputViewStreamWrapper;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.AbstractKeyedStateBackend;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupStatePartitionStreamProvider;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.KeyedStateCheckpointOutputStream;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryStringData;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Drops re-deliveries of an event, keyed by {@code event_id}: CloudWatch delivers at least once,
 * retries throttled deliveries for hours, and an account-level policy can deliver a log group a
 * second time. An id is remembered for the TTL, after which it is forgotten. Events without an
 * id cannot be told apart and pass without state.
 *
 * <p>Where the ids are kept depends on the state backend. On RocksDB (Managed Flink's, the job's
 * default) they are Flink keyed state with a TTL, on disk, which holds an hour of ids at any
 * traffic, with an {@link IdFilter} in memory in front of it: a new id, nearly every event, is
 * written without being read first. On heap state they are {@link SeenIds} tables in this
 * operator, one per key group, written to the checkpoint as raw keyed state: 32-96 bytes an id
 * instead of about 130, out of the garbage collector's way, and restored and rescaled by key
 * group like keyed state. A snapshot of either restores on either: the ids move on restore.
 *
 * <p>This is also where late events are counted ({@link LateEvents}): behind this operator's
 * shuffle its watermark is the minimum over every source split, the same watermark the rules and
 * the rollup downstream see.
 */
public final class Deduplicator extends AbstractStreamOperator<RowData>
        implements OneInputStreamOperator<Tuple2<String, RowData>, RowData> {
    private static final long serialVersionUID = 1L;

    /**
     * An event with its {@link #key}, which is computed once, before the shuffle, and travels
     * with the row (22 characters for an event with an id). Keyed by the row itself, Flink
     * computed the SHA-256 twice per event, once to choose the subtask and again behind the
     * shuffle to set the key for state; the second now only reads the field (SHA-256 fell from
     * 2.2% to 1.4% of a profile's samples).
     */
    public static final TypeInformation<Tuple2<String, RowData>> KEYED_TYPE =
            Types.TUPLE(Types.STRING, DecodeFunction.LOGS_ROWDATA_TYPE);

    /** The event and its key, for the stream in front of the shuffle. */
    public static Tuple2<String, RowData> withKey(RowData row) {
        return Tuple2.of(key(row), row);
    }

    /** The key a keyed event carries. */
    public static String keyOf(Tuple2<String, RowData> event) {
        return event.f0;
    }

    private final Duration ttl;
    private final long filterBytes;

    private transient long ttlMillis;
    /** Heap state: the ids by key group, from {@link #firstKeyGroup} on. Null on RocksDB. */
    private transient SeenIds[] tables;
    private transient int firstKeyGroup;
    /** RocksDB (any backend but heap): one entry per id in Flink's keyed state, with its TTL. */
    private transient ValueState<Boolean> seen;
    /** RocksDB: the ids stored, approximately, so that a new id is not read first. Null if off. */
    private transient IdFilter filter;
    private transient long stateReads;
    private transient long watermark;
    private transient boolean stateInitialized;
    private transient Counter duplicates;
    private transient LogTypeMetrics duplicatesByType;
    private transient LateEvents late;
    private transient Tally tally;

    /**
     * What makes two rows the same event. CloudTrail's eventID is global, so one event delivered
     * through two trails is caught; a CloudWatch event id is only taken together with the account,
     * log group and stream it came from. A row without an id is keyed by its content, which only
     * spreads such rows over the subtasks: they are never deduplicated.
     *
     * <p>The identity is stored as 128 bits of its SHA-256 (22 characters) rather than as text: an
     * hour of ids is the largest state the job keeps (one entry per event), and the text is about
     * 150 bytes (account, log group, stream and a 56-digit id). Seven times fewer bytes per entry
     * on heap, in every snapshot and in RocksDB's flushes and compactions, which at a sustained
     * 20,000 events/s could not keep up with the full text on two cores. A cryptographic hash
     * because log writers choose some of what is hashed: no one can make two events collide.
     * The key stays a String, so a snapshot from before restores; its ids expire as usual.
     *
     * <p>The hash is fed the fields' UTF-8 bytes as the planner holds them (the digest of the
     * text {@code account|log_group|log_stream|event_id}, a missing field as {@code null}, as
     * before), so no text is decoded or concatenated per event.
     */
    public static String key(RowData row) {
        if (row.isNullAt(Schemas.LOGS_EVENT_ID)) {
            return "\u0000" + Objects.hash(row.getTimestamp(Schemas.LOGS_EVENT_TIME, 3).getMillisecond(),
                    row.isNullAt(Schemas.LOGS_INGEST_TIME) ? null : row.getTimestamp(Schemas.LOGS_INGEST_TIME, 3).getMillisecond(),
                    text(row, Schemas.LOGS_LOG_STREAM), text(row, Schemas.LOGS_MESSAGE));
        }
        MessageDigest sha = SHA_256.get();
        if (row.isNullAt(Schemas.LOGS_LOG_TYPE) || !CLOUDTRAIL.equals(row.getString(Schemas.LOGS_LOG_TYPE))) {
            update(sha, row, Schemas.LOGS_ACCOUNT);
            sha.update(SEPARATOR);
            update(sha, row, Schemas.LOGS_LOG_GROUP);
            sha.update(SEPARATOR);
            update(sha, row, Schemas.LOGS_LOG_STREAM);
            sha.update(SEPARATOR);
        }
        update(sha, row, Schemas.LOGS_EVENT_ID);
        return encode(sha.digest());
    }

    private static final StringData CLOUDTRAIL = StringData.fromString("cloudtrail");
    private static final byte[] SEPARATOR = {'|'};
    private static final byte[] NULL = "null".getBytes(StandardCharsets.UTF_8);

    /**
     * Hashes a field's UTF-8 bytes where the row holds them when they lie in one array (always,
     * for the rows the job builds and deserializes): a copy of each field (toBytes), four per
     * key and two keys per event, was a seventh of this operator's CPU in a profile.
     */
    private static void update(MessageDigest sha, RowData row, int field) {
        if (row.isNullAt(field)) {
            sha.update(NULL);
            return;
        }
        StringData text = row.getString(field);
        byte[] array = BinaryStrings.backingArray(text);
        if (array != null) {
            BinaryStringData binary = (BinaryStringData) text;
            sha.update(array, binary.getOffset(), binary.getSizeInBytes());
        } else {
            sha.update(text.toBytes());
        }
    }

    private static String text(RowData row, int field) {
        return row.isNullAt(field) ? null : row.getString(field).toString();
    }

    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    });

    /** The first 128 bits of a SHA-256, in unpadded base64 (22 characters). */
    private static String encode(byte[] sha256) {
        return BASE64.encodeToString(Arrays.copyOf(sha256, 16));
    }

    private static final Base64.Encoder BASE64 = Base64.getEncoder().withoutPadding();

    /** With the default memory for the filter of stored ids ({@code parse.dedup.filter-memory}). */
    public Deduplicator(Duration ttl) {
        this(ttl, NagareOptions.DEDUP_FILTER_MEMORY.defaultValue().getBytes());
    }

    /**
     * @param ttl how long an id is remembered; zero turns deduplication off (late events are still counted)
     * @param filterBytes memory per subtask for the {@link IdFilter} in front of RocksDB's reads; zero turns it off
     */
    public Deduplicator(Duration ttl, long filterBytes) {
        this.ttl = ttl;
        this.filterBytes = filterBytes;
        // As Flink's own keyed process operator: the lake writer, the routes and the rules' first
        // operators chain behind this one, in its thread.
        setChainingStrategy(ChainingStrategy.ALWAYS);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        // Below a millisecond (which config validation does not allow) counts as off, as zero.
        ttlMillis = ttl.toMillis();
        if (ttlMillis <= 0) {
            stateInitialized = true;
            return;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (getKeyedStateBackend() instanceof HeapKeyedStateBackend) {
            // The backend's own key groups: those the current key's index and the raw streams use.
            KeyGroupRange range = ((AbstractKeyedStateBackend<?>) getKeyedStateBackend()).getKeyGroupRange();
            firstKeyGroup = range.getStartKeyGroup();
            tables = new SeenIds[range.getNumberOfKeyGroups()];
            for (int i = 0; i < tables.length; i++) {
                tables[i] = new SeenIds();
            }
            for (KeyGroupStatePartitionStreamProvider input : context.getRawKeyedStateInputs()) {
                try (InputStream in = input.getStream()) {
                    tables[input.getKeyGroupId() - firstKeyGroup].read(in, now);
                }
            }
            moveIdsOutOfFlinkState(context, now);
        } else {
            seen = context.getKeyedStateStore().getState(seenDescriptor());
            for (KeyGroupStatePartitionStreamProvider input : context.getRawKeyedStateInputs()) {
                // A snapshot taken on heap state, restored on RocksDB: its ids become state entries
                // (remembered for a whole TTL from their write; their stored expiry is not carried over).
                SeenIds restored = new SeenIds();
                try (InputStream in = input.getStream()) {
                    restored.read(in, now);
                }
                KeyedStateBackend<String> backend = getKeyedStateBackend();
                restored.forEachLive(now, (hi, lo, expiresAt) -> {
                    backend.setCurrentKey(encode(hi, lo));
                    seen.update(Boolean.TRUE);
                });
            }
            // Not in the checkpoint: after a restore it answers "maybe" until the ids stored before
            // have expired, and every event is read as without it. Made after the ids above were
            // written: the TTL of each counts from its write, and the filter from the clock now.
            if (filterBytes > 0 && ttlMillis >= IdFilter.MIN_TTL_MILLIS) {
                filter = new IdFilter(ttlMillis, filterBytes, getProcessingTimeService().getCurrentProcessingTime(), context.isRestored());
            }
        }
        stateInitialized = true;
    }

    /**
     * On heap, ids restored from a snapshot of a release that kept them in Flink's keyed state
     * (or of a run on RocksDB) move into the tables: remembered for a whole TTL from now, as their
     * stored age cannot be read back, and removed from the keyed state, which would otherwise be
     * carried through every snapshot. Keys that are not a digest (the identity's text, stored by
     * releases before the key was hashed) can match no event any more and are only removed.
     */
    private void moveIdsOutOfFlinkState(StateInitializationContext context, long now) throws Exception {
        List<String> stored;
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        try (Stream<String> keys = backend.getKeys(SEEN, VoidNamespace.INSTANCE)) {
            stored = keys.collect(Collectors.toList());
        }
        if (stored.isEmpty()) {
            return;
        }
        ValueState<Boolean> legacy = context.getKeyedStateStore().getState(seenDescriptor());
        for (String key : stored) {
            backend.setCurrentKey(key);
            if (legacy.value() != null && isDigest(key)) {
                tables[currentKeyGroup() - firstKeyGroup].add(high(key), low(key), now, now + ttlMillis);
            }
            legacy.clear();
        }
    }

    /** The keyed state of ids (RocksDB, and snapshots of the release before). */
    ValueStateDescriptor<Boolean> seenDescriptor() {
        ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>(SEEN, Types.BOOLEAN);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .cleanupFullSnapshot()
                // Heap state (only ids restored from older snapshots are read from it there):
                // each access also visits the next stored entry and drops it if expired. RocksDB
                // ignores this and drops expired ids in its compactions.
                .cleanupIncrementally(1, false)
                .build());
        return descriptor;
    }

    private int currentKeyGroup() {
        return ((AbstractKeyedStateBackend<?>) getKeyedStateBackend()).getCurrentKeyGroupIndex();
    }

    /**
     * Whether this operator writes raw keyed state, which Flink asks twice. Before the state is
     * initialized: yes, so that Flink hands a restored snapshot's raw keyed state to this operator
     * rather than reading it as timers (this operator has none; what it reads is its ids, or the
     * empty timer snapshots of the release before, which it skips). At each checkpoint: only if
     * the ids are in the tables (heap state), because RocksDB with heap timers writes its timers
     * to the same raw streams and fails the checkpoint of an operator that also does.
     */
    @Override
    protected boolean isUsingCustomRawKeyedState() {
        return !stateInitialized || tables != null;
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (tables == null) {
            return;
        }
        // Written in the checkpoint's synchronous part, in the task's thread (24 bytes an id):
        // Flink hands an operator its raw keyed streams only there. So the pause at a checkpoint
        // grows with the ids held, one more reason heap state is for ids that fit in memory.
        long now = getProcessingTimeService().getCurrentProcessingTime();
        KeyedStateCheckpointOutputStream out = context.getRawKeyedOperatorStateOutput();
        DataOutputViewStreamWrapper view = new DataOutputViewStreamWrapper(out);
        for (int keyGroup : out.getKeyGroupList()) {
            out.startNewKeyGroup(keyGroup);
            tables[keyGroup - firstKeyGroup].write(view, now);
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        // Here, not in the field's declaration: the operator reaches the task serialized, and a
        // transient field's initializer does not run then. Until the first watermark, nothing is late.
        watermark = Long.MIN_VALUE;
        MetricGroup metrics = JobMetrics.of(getRuntimeContext().getMetricGroup());
        duplicates = metrics.counter(JobMetrics.DUPLICATES);
        duplicatesByType = new LogTypeMetrics(metrics, JobMetrics.DUPLICATES);
        tally = new Tally(getRuntimeContext());
        late = new LateEvents(metrics, tally);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermark = mark.getTimestamp();
        super.processWatermark(mark);
    }

    @Override
    public void processElement(StreamRecord<Tuple2<String, RowData>> element) throws Exception {
        Tuple2<String, RowData> event = element.getValue();
        RowData row = event.f1;
        if (ttlMillis > 0 && !row.isNullAt(Schemas.LOGS_EVENT_ID) && !firstDelivery(event.f0)) {
            duplicates.inc();
            duplicatesByType.inc(text(row, Schemas.LOGS_LOG_TYPE));
            tally.inc("duplicates");
            return;
        }
        late.count(row, watermark);
        output.collect(element.replace(row));
    }

    /** Remembers the id (this event's key, the current key) and tells whether it was new. */
    private boolean firstDelivery(String key) throws Exception {
        if (tables != null) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            return tables[currentKeyGroup() - firstKeyGroup].add(high(key), low(key), now, now + ttlMillis);
        }
        long hi = filter == null ? 0 : high(key);
        long lo = filter == null ? 0 : low(key);
        if (filter == null || filter.mightContain(hi, lo, getProcessingTimeService().getCurrentProcessingTime())) {
            stateReads++;
            if (seen.value() != null) {
                return false;
            }
        }
        seen.update(Boolean.TRUE);
        if (filter != null) {
            // The clock read after the write: the TTL counts from no later than this.
            filter.add(hi, lo, getProcessingTimeService().getCurrentProcessingTime());
        }
        return true;
    }

    /** Ids looked up in keyed state (RocksDB): every event with an id, but for those the filter knew were new. */
    long stateReads() {
        return stateReads;
    }

    /** Ids held in memory (heap state), expired ones not yet dropped included; for tests and sizing. */
    long heldIds() {
        if (tables == null) {
            return 0;
        }
        long held = 0;
        for (SeenIds table : tables) {
            held += table.held();
        }
        return held;
    }

    /** Whether the ids are kept in this operator's tables (heap state) rather than in Flink's keyed state. */
    boolean keepsIdsInMemory() {
        return tables != null;
    }

    private static final String SEEN = "seen";

    // The key's 22 base64 characters hold the digest's 128 bits: 10 characters and 4 bits of the
    // 11th are the high 64, the rest (2 bits, 10 characters, 2 bits of the last) the low 64.

    static long high(String key) {
        long bits = 0;
        for (int i = 0; i < 10; i++) {
            bits = bits << 6 | sextet(key, i);
        }
        return bits << 4 | sextet(key, 10) >>> 2;
    }

    static long low(String key) {
        long bits = sextet(key, 10) & 3;
        for (int i = 11; i < 21; i++) {
            bits = bits << 6 | sextet(key, i);
        }
        return bits << 2 | sextet(key, 21) >>> 4;
    }

    /** The key of the digest whose 128 bits are {@code hi} and {@code lo} (the inverse of {@link #high} and {@link #low}). */
    static String encode(long hi, long lo) {
        return encode(ByteBuffer.allocate(16).putLong(hi).putLong(lo).array());
    }

    /**
     * Whether a stored key is a digest's key (and not the identity's text of older releases). On
     * restore only: the hot path's {@link #high} and {@link #low} decode without allocating.
     */
    static boolean isDigest(String key) {
        try {
            return key.length() == 22 && encode(Base64.getDecoder().decode(key)).equals(key);
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
    }

    private static long sextet(String key, int i) {
        char c = key.charAt(i);
        int value = c < 128 ? SEXTETS[c] : -1;
        if (value < 0) {
            throw new IllegalArgumentException("not an event key (22 base64 characters): " + key);
        }
        return value;
    }

    private static final int[] SEXTETS = new int[128];

    static {
        Arrays.fill(SEXTETS, -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            SEXTETS[alphabet.charAt(i)] = i;
        }
    }
}
