package dev.nagare.job;

import dev.nagare.job.alerts.AlertDeduplicator;
import dev.nagare.job.alerts.DeliveryFunction;
import dev.nagare.job.alerts.Destination;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.decode.DecodeFunction;
import dev.nagare.job.decode.Decoded;
import dev.nagare.job.decode.DecodingSource;
import dev.nagare.job.decode.Deduplicator;
import dev.nagare.job.decode.PartialReassembler;
import dev.nagare.job.decode.RecordDecoding;
import dev.nagare.job.lake.Lake;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleCompiler;
import dev.nagare.job.rules.StableUids;
import dev.nagare.job.schema.Schemas;
import dev.nagare.job.source.RecordSource;
import dev.nagare.udf.functions.NagareFunctions;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.types.Row;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.apache.flink.table.api.Expressions.$;
import static org.apache.flink.table.api.Expressions.sourceWatermark;

/**
 * The whole job as one Flink program: Kinesis records are decoded and parsed into the
 * {@code logs} table; from there the lake, the per-minute rollup and every rule run as one
 * statement set in the same job as the alert sink. Source and alert sink are passed in, so tests
 * run the real pipeline on bounded inputs.
 *
 * <pre>
 * records ─► decode+parse ─► logs ─┬─► lake logs/
 *               │                  ├─► sql/rollups/metrics_1m.sql ─► lake metrics_1m/
 *               │                  └─► sql/rules/*.sql ─► alerts ─┬─► printed
 *               │                                                  ├─► webhook / Lambda ─► undelivered ─► lake alerts_undelivered/
 *               │                                                  └─► lake alerts/
 *               └─► dead letters ─► lake dead_letter/
 * </pre>
 */
public final class NagarePipeline {
    public static final String ROLLUP_SQL = "/nagare/sql/rollups/metrics_1m.sql";

    private final NagareConfig config;
    private final RecordSource source;
    private final Sink<Row> alertSink;
    private final List<Destination> destinations;
    private final List<Rule> rules;
    private final RecordDecoding decoding;

    /**
     * @param source Kinesis record payloads
     * @param alertSink where alerts are delivered besides the lake; null for the lake only
     * @param rules the enabled detection rules
     */
    public NagarePipeline(NagareConfig config, RecordSource source, Sink<Row> alertSink, List<Rule> rules) {
        this(config, source, alertSink, List.of(), rules);
    }

    /**
     * @param source Kinesis record payloads
     * @param alertSink where alerts are printed besides the lake; null for none
     * @param destinations webhook and Lambda destinations alerts are delivered to
     * @param rules the enabled detection rules
     */
    public NagarePipeline(NagareConfig config, RecordSource source, Sink<Row> alertSink, List<Destination> destinations,
                          List<Rule> rules) {
        this.config = config;
        this.source = source;
        this.alertSink = alertSink;
        this.destinations = List.copyOf(destinations);
        this.rules = List.copyOf(rules);
        this.decoding = new RecordDecoding(config.parser(), config.get(NagareOptions.MAX_RECORD_BYTES).getBytes(),
                config.get(NagareOptions.MAX_EVENTS_PER_RECORD));
    }

    /** Adds the pipeline to the environment; the caller executes it. */
    public void attachTo(StreamExecutionEnvironment env) {
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        configure(tEnv);
        Lake lake = new Lake(config);

        // Records are decoded and parsed inside the source, so watermarks come from the events'
        // own times per Kinesis shard (per file in a replay), before any shuffle.
        SingleOutputStreamOperator<Row> items =
                env.fromSource(DecodingSource.of(source.source(), decoding), eventTime(config), "records", Decoded.TYPE)
                        .uid("records");
        if (source.parallelism() > 0) {
            items.setParallelism(source.parallelism());
        }
        SingleOutputStreamOperator<Row> parsed =
                items.process(new DecodeFunction(), DecodeFunction.LOG_ROW_TYPE)
                        .name("decode-and-parse")
                        .uid("decode-and-parse");
        if (source.parallelism() > 0) {
            parsed.setParallelism(source.parallelism());
        }
        SingleOutputStreamOperator<Row> reassembled =
                parsed.getSideOutput(DecodeFunction.PARTIALS)
                        .keyBy(chunk -> chunk.key, Types.STRING)
                        .process(new PartialReassembler(decoding, config.get(NagareOptions.PARTIAL_TIMEOUT),
                                config.get(NagareOptions.MAX_LINE_CHARS)), DecodeFunction.LOG_ROW_TYPE)
                        .name("firelens-reassembly")
                        .uid("firelens-reassembly");
        DataStream<Row> events = deduplicate(parsed.union(reassembled));
        DataStream<Row> deadLetters = parsed.getSideOutput(DecodeFunction.DEAD_LETTERS)
                .union(reassembled.getSideOutput(DecodeFunction.DEAD_LETTERS));

        registerSqlEnvironment(tEnv, events);

        lake.write(events, Lake.LOGS_TABLE);
        lake.write(deadLetters, Lake.DEAD_LETTER_TABLE);
        // The rollup and each rule are translated on their own, with uids that depend only on
        // their own SQL (StableUids), so their state survives changes to the other rules.
        lake.write(rollup(tEnv, "metrics_1m", resource(ROLLUP_SQL), events), Lake.METRICS_TABLE);

        DataStream<Row> alerts = RuleCompiler.translate(tEnv, rules, events, config.get(NagareOptions.RULES_DEFAULT_STATE_TTL));
        if (alerts != null) {
            // One conversion per rule feeds every output, so each rule is planned and evaluated once.
            Map<String, Duration> dedup = new HashMap<>();
            rules.forEach(rule -> dedup.put(rule.id(), rule.dedupPeriod()));
            SingleOutputStreamOperator<Row> alertStream = alerts
                    .keyBy(AlertDeduplicator::key, Types.STRING)
                    .process(new AlertDeduplicator(dedup), AlertDeduplicator.ALERT_TYPE)
                    .name("one-alert-per-incident")
                    .uid("one-alert-per-incident");
            if (alertSink != null) {
                alertStream.sinkTo(alertSink).name("alert-print").uid("alert-print");
            }
            // Merged updates of an incident go to the lake only: they must not page again.
            lake.write(alertStream.union(alertStream.getSideOutput(AlertDeduplicator.MERGED)), Lake.ALERTS_TABLE);
            DataStream<Row> undelivered = deliver(alertStream);
            if (undelivered != null) {
                lake.write(undelivered, Lake.UNDELIVERED_TABLE);
            }
        }
        lake.commit();
    }

    /**
     * A rollup's rows as a stream, its operators stamped {@code rollup-<name>-<hash of its SQL>-<n>}
     * (its window state is kept across restores while its SQL stays the same).
     */
    static DataStream<Row> rollup(StreamTableEnvironment tEnv, String name, String sql, DataStream<Row> logs) {
        DataStream<Row> rows = tEnv.toDataStream(tEnv.sqlQuery(sql));
        StableUids.stamp(rows, logs, "rollup-" + name + "-" + StableUids.fingerprint(StableUids.normalize(sql)));
        return rows;
    }

    /**
     * Sends each alert to every destination whose filter takes it, each destination through its
     * own bounded queue that never blocks (see {@link DeliveryFunction}); returns the alerts that
     * could not be delivered, or null without destinations.
     *
     * <p>The routed alerts lose their watermarks: Flink's unordered async operator holds every
     * result behind a watermark until all alerts before that watermark are done, so an alert
     * turned away at once would still wait (and fill the operator's queue) for alerts that wait up
     * to {@code alerts.retry.max-wait}. Undelivered rows need no event time: their table is
     * partitioned by {@code failed_at} and committed on processing time.
     */
    private DataStream<Row> deliver(DataStream<Row> alerts) {
        Map<String, List<String>> tagsByRule = new HashMap<>();
        rules.forEach(rule -> tagsByRule.put(rule.id(), rule.tags()));
        DataStream<Row> undelivered = null;
        for (Destination destination : destinations) {
            DataStream<Row> routed = alerts
                    .filter(alert -> destination.accepts(alert, tagsByRule))
                    .name("route-to-" + destination.name())
                    .uid("route-to-" + destination.name())
                    .assignTimestampsAndWatermarks(WatermarkStrategy.<Row>noWatermarks())
                    .name("no-watermarks-to-" + destination.name())
                    .uid("no-watermarks-to-" + destination.name());
            DataStream<Row> failed = AsyncDataStream.unorderedWait(routed, new DeliveryFunction(destination),
                            destination.asyncTimeout().toMillis(), TimeUnit.MILLISECONDS, destination.asyncCapacity())
                    .returns(ExternalTypeInfo.of(Schemas.ALERTS_UNDELIVERED))
                    .name("deliver-to-" + destination.name())
                    .uid("deliver-to-" + destination.name());
            undelivered = undelivered == null ? failed : undelivered.union(failed);
        }
        return undelivered;
    }

    /**
     * Drops re-delivered events by {@code event_id} (events without an id pass) and counts late
     * events, behind one shuffle whose watermark is the one the rules and rollup see.
     */
    private DataStream<Row> deduplicate(DataStream<Row> events) {
        return events
                .keyBy(Deduplicator::key, Types.STRING)
                .process(new Deduplicator(config.get(NagareOptions.DEDUP_TTL)), DecodeFunction.LOG_ROW_TYPE)
                .name("dedup-and-count-late")
                .uid("dedup-by-event-id");
    }

    /**
     * Bounded out-of-orderness on the events' own times, per source split; items that are not
     * events (dead letters, partial chunks, markers) never move the watermark. A quiet split stops
     * holding the watermark back after the idle timeout.
     */
    static WatermarkStrategy<Row> eventTime(NagareConfig config) {
        return WatermarkStrategy.<Row>forBoundedOutOfOrderness(config.get(NagareOptions.WATERMARK_DELAY))
                .withTimestampAssigner((item, recordTimestamp) -> Decoded.eventTimeMillis(item))
                .withIdleness(config.get(NagareOptions.IDLE_TIMEOUT));
    }

    /**
     * Registers what rules and rollups see: the parsed rows as the {@code logs} view, with
     * {@code event_time} as its event-time attribute and the stream's own watermarks, and
     * Nagare's SQL functions.
     */
    public static void registerSqlEnvironment(StreamTableEnvironment tEnv, DataStream<Row> events) {
        NagareFunctions.ALL.forEach(tEnv::createTemporarySystemFunction);
        Table logs = tEnv.fromDataStream(events,
                Schema.newBuilder()
                        .fromRowDataType(Schemas.LOGS)
                        .watermark("event_time", sourceWatermark())
                        .build());
        tEnv.createTemporaryView("logs", logs);
    }

    private void configure(StreamTableEnvironment tEnv) {
        // Partitions, windows and DATE_FORMAT are all in UTC, whatever the machine's zone.
        tEnv.getConfig().setLocalTimeZone(ZoneOffset.UTC);
        // Uids for the planner's own operators (the SQL lake sinks). They come from a counter over
        // everything planned (FLINK-28861) and move when the SQL before them changes: rules and
        // rollups overwrite theirs with StableUids.
        tEnv.getConfig().set(ExecutionConfigOptions.TABLE_EXEC_UID_GENERATION, ExecutionConfigOptions.UidGeneration.ALWAYS);
    }

    static String resource(String name) {
        try (InputStream in = NagarePipeline.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
