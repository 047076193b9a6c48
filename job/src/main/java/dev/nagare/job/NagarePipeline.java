package dev.nagare.job;

import dev.nagare.job.alerts.AlertDeduplicator;
import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.config.ParseSettings;
import dev.nagare.job.decode.DecodeFunction;
import dev.nagare.job.decode.Decoded;
import dev.nagare.job.decode.DecodingSource;
import dev.nagare.job.decode.Deduplicator;
import dev.nagare.job.decode.PartialReassembler;
import dev.nagare.job.decode.RecordDecoding;
import dev.nagare.job.lake.Lake;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleCompiler;
import dev.nagare.job.rules.RuleLoader;
import dev.nagare.job.rules.StableUids;
import dev.nagare.job.source.RecordSource;
import dev.nagare.udf.functions.NagareFunctions;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.Row;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The whole job as one Flink program: Kinesis records are decoded and parsed into the
 * {@code logs} table; from there the lake, the per-minute rollup and every rule run as one
 * statement set in the same job as the alert outputs. The one place a job is assembled: every
 * entry point (the cluster job, the local run, a replay, rule tests, benchmarks, tests) starts from
 * {@link #from(NagareConfig)} and chooses only its source and its alert outputs.
 *
 * <pre>
 * records ─► decode+parse ─► logs ─┬─► lake logs/
 *               │                  ├─► sql/rollups/metrics_1m.sql ─► lake metrics_1m/
 *               │                  └─► sql/rules/*.sql ─► alerts ─┬─► printed
 *               │                                                  ├─► webhook / Lambda (AlertOutput) ─► undelivered ─► lake alerts_undelivered/
 *               │                                                  └─► lake alerts/
 *               └─► dead letters ─► lake dead_letter/
 * </pre>
 */
public final class NagarePipeline {
    private static final Logger LOG = LoggerFactory.getLogger(NagarePipeline.class);
    public static final String ROLLUP_SQL = "/nagare/sql/rollups/metrics_1m.sql";

    private final NagareConfig config;
    private Function<String, String> environment = System::getenv;
    private RecordSource source;
    private List<AlertOutput> outputs;
    private List<Rule> rules;

    private NagarePipeline(NagareConfig config) {
        this.config = config;
    }

    /**
     * The job the configuration describes: its source ({@code source.*}), its rules
     * ({@code rules.*}) and its alert outputs ({@code alerts.*}). Every entry point starts here and
     * replaces only what it runs differently (a replay's files, a test's collector); whatever is
     * not replaced is built from the configuration when the job is attached, so an invalid
     * configuration fails there, before anything runs.
     */
    public static NagarePipeline from(NagareConfig config) {
        return new NagarePipeline(config);
    }

    /** Where the records come from instead of {@code source.*}. */
    public NagarePipeline source(RecordSource source) {
        this.source = source;
        return this;
    }

    /** The only alert outputs instead of those {@code alerts.*} names (the lake always gets the alerts). */
    public NagarePipeline outputs(List<AlertOutput> outputs) {
        this.outputs = List.copyOf(outputs);
        return this;
    }

    /** The only alert outputs instead of those {@code alerts.*} names (the lake always gets the alerts). */
    public NagarePipeline outputs(AlertOutput... outputs) {
        return outputs(List.of(outputs));
    }

    /** These rules instead of those {@code rules.*} loads. */
    public NagarePipeline rules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        return this;
    }

    /**
     * Environment variables as seen by {@code env:} references of the configuration (default: this
     * process's); tests give none.
     */
    public NagarePipeline environment(Function<String, String> environment) {
        this.environment = environment;
        return this;
    }

    /** The rules the job runs: those given, else those {@code rules.*} loads. */
    public List<Rule> rules() {
        if (rules == null) {
            rules = RuleLoader.load(config);
        }
        return rules;
    }

    public NagareConfig config() {
        return config;
    }

    /**
     * Builds now from the configuration whatever was not given (rules, source, outputs), so that a
     * configuration or rule error comes before anything else starts; {@link #attachTo} does it too.
     */
    public NagarePipeline resolve() {
        rules();
        if (source == null) {
            source = Sources.create(config, environment);
        }
        if (outputs == null) {
            outputs = AlertOutput.fromConfig(config, environment);
        }
        return this;
    }

    /** Adds the pipeline to the environment; the caller executes it. */
    public void attachTo(StreamExecutionEnvironment env) {
        resolve();
        ParseSettings parse = ParseSettings.of(config);
        RecordDecoding decoding = new RecordDecoding(parse.parser(), parse.maxRecordBytes, parse.maxEventsPerRecord);
        LOG.info("Nagare: {} rules: {}", rules.size(), rules.stream().map(Rule::id).collect(Collectors.joining(", ")));

        // Chained operators hand each row on without a copy. Every row fans out to the lake, the
        // rollup and each rule: without this Flink deep-copies it for every consumer but the last
        // (about 20 copies of every event). Nagare's operators never change a row they emitted or
        // received (AlertDeduplicator copies before it writes), and the planner's own operators
        // copy what they keep.
        env.getConfig().enableObjectReuse();
        // Every record and every piece of state has a Flink serializer. A type that would fall back
        // to Kryo fails when the job is built, not in its first checkpoint on Java 17 (Kryo cannot
        // reach into java.time without --add-opens) or on restore after a class changed.
        env.getConfig().disableGenericTypes();
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
        SingleOutputStreamOperator<RowData> parsed =
                items.process(new DecodeFunction(), DecodeFunction.LOGS_ROWDATA_TYPE)
                        .name("decode-and-parse")
                        .uid("decode-and-parse");
        if (source.parallelism() > 0) {
            parsed.setParallelism(source.parallelism());
        }
        SingleOutputStreamOperator<RowData> reassembled =
                parsed.getSideOutput(DecodeFunction.PARTIALS)
                        .keyBy(chunk -> chunk.key, Types.STRING)
                        .process(new PartialReassembler(decoding, parse.partialTimeout, parse.maxLineChars), DecodeFunction.LOGS_ROWDATA_TYPE)
                        .name("firelens-reassembly")
                        .uid("firelens-reassembly");
        DataStream<RowData> events = deduplicate(withDedupKey(parsed, "dedup-key").union(withDedupKey(reassembled, "dedup-key-of-reassembled")),
                parse.dedupTtl, parse.dedupFilterBytes);
        DataStream<Row> deadLetters = parsed.getSideOutput(DecodeFunction.DEAD_LETTERS)
                .union(reassembled.getSideOutput(DecodeFunction.DEAD_LETTERS));

        DataStream<RowData> logs = registerSqlEnvironment(tEnv, events);

        lake.writeInternal(logs, Lake.LOGS_TABLE);
        lake.write(deadLetters, Lake.DEAD_LETTER_TABLE);
        // The rollup and each rule are translated on their own, with uids that depend only on
        // their own SQL (StableUids), so their state survives changes to the other rules.
        lake.write(rollup(tEnv, "metrics_1m", resource(ROLLUP_SQL), logs), Lake.METRICS_TABLE);

        DataStream<Row> alerts = RuleCompiler.translate(tEnv, rules, logs, config.get(NagareOptions.RULES_DEFAULT_STATE_TTL),
                config.get(NagareOptions.RULES_WATERMARK_STEP));
        if (alerts != null) {
            // One conversion per rule feeds every output, so each rule is planned and evaluated once.
            Map<String, Duration> dedup = new HashMap<>();
            rules.forEach(rule -> dedup.put(rule.id(), rule.dedupPeriod()));
            SingleOutputStreamOperator<Row> alertStream = alerts
                    .keyBy(AlertDeduplicator::key, Types.STRING)
                    .process(new AlertDeduplicator(dedup), AlertDeduplicator.ALERT_TYPE)
                    .name("one-alert-per-incident")
                    .uid("one-alert-per-incident");
            // Merged updates of an incident go to the lake only: they must not page again.
            lake.write(alertStream.union(alertStream.getSideOutput(AlertDeduplicator.MERGED)), Lake.ALERTS_TABLE);
            Map<String, List<String>> tagsByRule = new HashMap<>();
            rules.forEach(rule -> tagsByRule.put(rule.id(), rule.tags()));
            outputs.stream()
                    .map(output -> output.attach(alertStream, tagsByRule))
                    .flatMap(Optional::stream)
                    .reduce(DataStream::union)
                    .ifPresent(undelivered -> lake.write(undelivered, Lake.UNDELIVERED_TABLE));
        }
        lake.commit();
    }

    /**
     * A rollup's rows as a stream, its operators stamped {@code rollup-<name>-<hash of its SQL>-<n>}
     * (its window state is kept across restores while its SQL stays the same).
     */
    static DataStream<Row> rollup(StreamTableEnvironment tEnv, String name, String sql, DataStream<RowData> logs) {
        DataStream<Row> rows = tEnv.toDataStream(tEnv.sqlQuery(sql));
        StableUids.stamp(rows, logs, "rollup-" + name + "-" + StableUids.fingerprint(StableUids.normalize(sql)));
        return rows;
    }

    /**
     * Drops re-delivered events by {@code event_id} (events without an id pass) and counts late
     * events, behind one shuffle whose watermark is the one the rules and rollup see.
     */
    private static DataStream<RowData> deduplicate(DataStream<Tuple2<String, RowData>> events, Duration ttl, long filterBytes) {
        return events
                .keyBy(Deduplicator::keyOf, Types.STRING)
                .transform("dedup-and-count-late", DecodeFunction.LOGS_ROWDATA_TYPE, new Deduplicator(ttl, filterBytes))
                .uid("dedup-by-event-id");
    }

    /** The events with their dedup key, computed where they are made (chained, same parallelism). */
    private static DataStream<Tuple2<String, RowData>> withDedupKey(SingleOutputStreamOperator<RowData> events, String uid) {
        return events.map(Deduplicator::withKey, Deduplicator.KEYED_TYPE)
                .setParallelism(events.getParallelism())
                .name(uid)
                .uid(uid);
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
     * Nagare's SQL functions. Returns the stream the view reads, which rules and rollups stamp
     * their uids up to.
     *
     * <p>The view reads rows already in the planner's {@code RowData}: every rule and rollup is
     * planned on its own (for its stable uids), and over a stream of {@code Row} each plan's scan
     * converted every event again (strings, maps and arrays into binary form) — 16 conversions of
     * each event, a quarter of the job's CPU in a profile. Over {@code RowData} every scan's
     * conversion is the identity. The job's events are converted once, where they are parsed.
     */
    public static DataStream<RowData> registerSqlEnvironment(StreamTableEnvironment tEnv, DataStream<RowData> rows) {
        NagareFunctions.ALL.forEach(tEnv::createTemporarySystemFunction);
        tEnv.createTemporaryView(RuleCompiler.LOGS_VIEW, RuleCompiler.logsTable(tEnv, rows));
        return rows;
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
