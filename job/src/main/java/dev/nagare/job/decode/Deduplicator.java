package dev.nagare.job.decode;

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
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryStringData;
import org.apache.flink.util.Collector;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * Drops re-deliveries of an event, keyed by {@code event_id}: CloudWatch delivers at least once,
 * retries throttled deliveries for hours, and an account-level policy can deliver a log group a
 * second time. An id is remembered for the TTL, after which its state expires. Events without an
 * id cannot be told apart and pass without state.
 *
 * <p>This is also where late events are counted ({@link LateEvents}): behind this operator's
 * shuffle its watermark is the minimum over every source split, the same watermark the rules and
 * the rollup downstream see.
 */
public final class Deduplicator extends KeyedProcessFunction<String, Tuple2<String, RowData>, RowData> {
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

    private transient ValueState<Boolean> seen;
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

    /** @param ttl how long an id is remembered; zero turns deduplication off (late events are still counted) */
    public Deduplicator(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(Configuration parameters) {
        if (!ttl.isZero()) {
            ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .cleanupFullSnapshot()
                    // Heap state: each access also visits the next stored entries (one bucket's
                    // chain, about one id) and drops the expired ones.
                    // An event makes two accesses (read, write) and at most one id expires per
                    // event in a steady stream, so cleaning keeps pace; Flink's default of five per
                    // access was a quarter of this operator's CPU (walking the table). RocksDB
                    // ignores this and drops expired ids in its compactions.
                    .cleanupIncrementally(1, false)
                    .build());
            seen = getRuntimeContext().getState(descriptor);
        }
        MetricGroup metrics = JobMetrics.of(getRuntimeContext().getMetricGroup());
        duplicates = metrics.counter(JobMetrics.DUPLICATES);
        duplicatesByType = new LogTypeMetrics(metrics, JobMetrics.DUPLICATES);
        tally = new Tally(getRuntimeContext());
        late = new LateEvents(metrics, tally);
    }

    @Override
    public void processElement(Tuple2<String, RowData> event, Context ctx, Collector<RowData> out) throws Exception {
        RowData row = event.f1;
        if (seen != null && !row.isNullAt(Schemas.LOGS_EVENT_ID)) {
            if (seen.value() != null) {
                duplicates.inc();
                duplicatesByType.inc(text(row, Schemas.LOGS_LOG_TYPE));
                tally.inc("duplicates");
                return;
            }
            seen.update(Boolean.TRUE);
        }
        late.count(row, ctx.timerService().currentWatermark());
        out.collect(row);
    }
}
