package dev.nagare.tools.bench;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.DurableState;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.source.demo.DemoRecord;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.tools.local.LocalRun;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;

import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Alert latency under sustained load: how long after the event that crosses a rule's threshold
 * enters the source does the webhook receive the alert.
 *
 * <p>The demo mix of every format is paced at the target events per second ({@link OnSchedule}: a
 * reader that falls behind catches up), its event times advancing one second per second of the
 * run, as a live stream's do. Every
 * {@code probe} interval a <em>probe</em> record is slipped in: ten failed MySQL logins from a
 * client host no one has seen, so {@code db_failed_login_burst} crosses its threshold on the
 * tenth and opens a new incident. The generator notes when each probe record enters the source;
 * a real HTTP server on 127.0.0.1, configured as the job's webhook, notes when the alert naming
 * the probe's host arrives. The whole job runs as deployed: all rules, the lake, checkpoints.
 *
 * <p>Event-time rules fire when the watermark passes the crossing event, so the latency contains
 * the configured {@code job.watermark.out-of-orderness} by design (the time the job waits for late
 * events); the benchmark reports it beside the figures. Probes in the warm-up and in the last
 * seconds (where the end of input flushes the watermark) are not counted.
 */
public final class LatencyBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant START = Instant.parse("2024-06-01T00:00:00Z");
    /** Probe hosts come from the benchmarking range (RFC 2544), so nothing else in the demo uses them. */
    private static final Pattern PROBE_HOST = Pattern.compile("198\\.(18|19)\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern RULE_ID = Pattern.compile("\"rule_id\"\\s*:\\s*\"([^\"]+)\"");
    private static final int FAILED_LOGINS = 10;

    /** The run's shared clocks: the MiniCluster runs in this JVM. */
    static volatile AtomicLongArray probeEntered;
    static volatile AtomicLongArray probeAlerted;
    static volatile int[] probeOfRecord;
    static volatile byte[][] records;
    static volatile int[] eventsOfRecord;
    /** Events that entered the source in each second of the run, to report the rate actually sustained. */
    static volatile AtomicLongArray eventsInSecond;
    /** The run's length: record {@code p} is due {@code p / records.length} of it after the first. */
    static volatile long scheduleNanos;
    /**
     * The run's start (System.nanoTime, 0 before it): when the first reader asked for its first
     * record. Every reader's schedule counts from it, so no reader's event times trail another's for
     * the whole run; so do the warm-up and the seconds into the run.
     */
    static final AtomicLong scheduleStart = new AtomicLong();
    /** How far each split's reader was behind the schedule, in ms: the most after the warm-up, and at its last record. */
    static volatile AtomicLongArray maxLagMillis;
    static volatile AtomicLongArray lastLagMillis;
    static volatile long warmUpNanos;
    static final AtomicLong lastEmit = new AtomicLong();
    /** Every alert the webhook received, by rule: the probes share the destination's rate limit with them. */
    static final Map<String, AtomicLong> posted = new ConcurrentSkipListMap<>();

    private LatencyBenchmark() {}

    /** What a latency run measures. */
    public static final class Settings {
        public int eventsPerSecond = 20_000;
        public Duration duration = Duration.ofSeconds(120);
        public Duration warmUp = Duration.ofSeconds(30);
        public Duration probeEvery = Duration.ofMillis(500);
        public Duration outOfOrderness = Duration.ofSeconds(1);
        public int parallelism = 2;
        public String backend = "hashmap";
        /** Flink settings of the run, over the job's own (to measure what a setting changes). */
        public Map<String, String> flink = Map.of();
        /** Nagare settings of the run, over the benchmark's. */
        public Map<String, String> nagare = Map.of();
    }

    public static void run(Settings s, PrintStream out) throws Exception {
        // The demo's records carry 1 to 5 events; pace records so the events come at the target rate.
        DemoScenario sample = new DemoScenario(42, START, 1000);
        long sampled = 0;
        for (int i = 0; i < 8_000; i++) {
            sampled += sample.record(i).events().size();
        }
        double eventsPerRecord = sampled / 8_000.0;
        int recordsPerSecond = (int) Math.round(s.eventsPerSecond / eventsPerRecord);
        DemoScenario scenario = new DemoScenario(42, START, recordsPerSecond);
        long seconds = s.duration.toSeconds();
        int total = (int) (recordsPerSecond * seconds);
        long probeMillis = s.probeEvery.toMillis();
        int probes = (int) (s.duration.toMillis() / probeMillis);
        out.printf("Java %s, %d cores, parallelism %d, %s state; %,d events/s (%,d records/s) for %d s, a probe every %d ms%s; "
                        + "generating...%n", System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                s.parallelism, s.backend, s.eventsPerSecond, recordsPerSecond, seconds, probeMillis,
                s.flink.isEmpty() ? "" : "; Flink settings " + s.flink);

        List<byte[]> all = new ArrayList<>(total + probes);
        int[] eventsAt = new int[total + probes];
        int[] probeAt = new int[total + probes];
        Arrays.fill(probeAt, -1);
        int probe = 0;
        for (int i = 0; i < total; i++) {
            long t = scenario.timeOf(i);
            while (probe < probes && START.toEpochMilli() + probe * probeMillis <= t) {
                probeAt[all.size()] = probe;
                eventsAt[all.size()] = FAILED_LOGINS;
                all.add(probeRecord(probe, START.toEpochMilli() + probe * probeMillis));
                probe++;
            }
            DemoRecord record = scenario.record(i);
            eventsAt[all.size()] = record.events().size();
            all.add(record.toBytes());
        }
        while (all.size() % s.parallelism != 0) { // whole shards: every reader gets as many records
            int last = all.size() - 1;
            if (probeAt[last] >= 0) {
                probe--;
            }
            probeAt[last] = -1;
            all.remove(last);
        }
        records = all.toArray(new byte[0][]);
        probeOfRecord = Arrays.copyOf(probeAt, records.length);
        eventsOfRecord = Arrays.copyOf(eventsAt, records.length);
        // Room for a run slowed down to a third of the target rate by backpressure.
        eventsInSecond = new AtomicLongArray((int) seconds * 3 + 10);
        probeEntered = new AtomicLongArray(probe);
        probeAlerted = new AtomicLongArray(probe);
        scheduleStart.set(0);
        scheduleNanos = s.duration.toNanos();
        warmUpNanos = s.warmUp.toNanos();
        maxLagMillis = new AtomicLongArray(s.parallelism);
        lastLagMillis = new AtomicLongArray(s.parallelism);
        lastEmit.set(0);
        posted.clear();

        HttpServer webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        webhook.createContext("/", exchange -> {
            long now = System.nanoTime();
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Matcher ruleId = RULE_ID.matcher(body);
            String rule = ruleId.find() ? ruleId.group(1) : "?";
            posted.computeIfAbsent(rule, r -> new AtomicLong()).incrementAndGet();
            Matcher m = PROBE_HOST.matcher(body);
            if ("db_failed_login_burst".equals(rule) && m.find()) {
                int n = ((Integer.parseInt(m.group(1)) - 18) << 16) | (Integer.parseInt(m.group(2)) << 8) | Integer.parseInt(m.group(3));
                if (n < probeAlerted.length()) {
                    probeAlerted.compareAndSet(n, 0, now);
                }
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        webhook.start();
        Path lake = Files.createTempDirectory("nagare-latency");
        Path checkpoints = Files.createTempDirectory("nagare-latency-checkpoints");
        try {
            NagareConfig config = NagareConfig.defaults()
                    .with("lake.path", lake.toString())
                    .with("job.watermark.out-of-orderness", s.outOfOrderness.toMillis() + " ms")
                    .with("alerts.print", "false")
                    .with("alerts.webhook.format", "json")
                    // A JSON receiver, not Slack's one message per second: the probes' two alerts a
                    // second must not queue behind the destination's rate limit.
                    .with("alerts.rate-limit", "20")
                    .with("alerts.webhook.url", "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hooks/latency");
            for (Map.Entry<String, String> setting : s.nagare.entrySet()) {
                config = config.with(setting.getKey(), setting.getValue());
            }
            Configuration flink = LocalRun.loopback();
            flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
            flink.set(StateBackendOptions.STATE_BACKEND, s.backend);
            if ("rocksdb".equals(s.backend)) {
                flink.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
                flink.addAll(DurableState.rocksDbTuning(flink)); // as the job sets it
            }
            s.flink.forEach(flink::setString);
            PipelineBenchmark.productionMemory(flink, s.parallelism);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(s.parallelism, flink);
            env.enableCheckpointing(10_000);
            RecordSource source = RecordSource.parallel(new DataGeneratorSource<>(new Paced(), records.length,
                    OnSchedule.perSecond(records.length / (double) seconds), RecordSource.TYPE));
            NagarePipeline.from(config).source(source).attachTo(env);
            out.printf("%,d records, %d probes; running...%n", records.length, probe);
            env.execute("nagare-latency-benchmark");
        } finally {
            webhook.stop(0);
            PipelineBenchmark.delete(lake);
            PipelineBenchmark.delete(checkpoints);
        }
        report(s, Arrays.stream(eventsOfRecord).asLongStream().sum(), out);
    }

    static void report(Settings s, long events, PrintStream out) {
        double emitSeconds = (lastEmit.get() - scheduleStart.get()) / 1e9;
        // Counted: probes after the warm-up, and not in the last seconds, where the end of the input
        // advances the watermark to the end of time and would flush them early.
        long from = scheduleStart.get() + s.warmUp.toNanos();
        long to = lastEmit.get() - s.outOfOrderness.toNanos() - Duration.ofSeconds(5).toNanos();
        int fromSecond = (int) s.warmUp.toSeconds();
        int toSecond = (int) ((to - scheduleStart.get()) / 1_000_000_000L);
        long counted = 0;
        for (int second = fromSecond; second < toSecond && second < eventsInSecond.length(); second++) {
            counted += eventsInSecond.get(second);
        }
        // The source slows down when the job cannot keep up (backpressure): the rate it sustained in
        // the measured seconds is the rate these latencies belong to.
        out.printf("source: %,d events entered in %.1f s (target %,d events/s for %d s); %,.0f events/s sustained in the %d measured"
                        + " seconds after the warm-up%n", events, emitSeconds, s.eventsPerSecond, s.duration.toSeconds(),
                counted / (double) Math.max(1, toSecond - fromSecond), Math.max(0, toSecond - fromSecond));
        List<long[]> probes = new ArrayList<>(); // {latency ns, ns since the start}
        int missing = 0;
        for (int i = 0; i < probeEntered.length(); i++) {
            long entered = probeEntered.get(i);
            if (entered < from || entered > to) {
                continue;
            }
            long alerted = probeAlerted.get(i);
            if (alerted == 0) {
                missing++;
            } else {
                probes.add(new long[] {alerted - entered, entered - scheduleStart.get()});
            }
        }
        probes.sort((a, b) -> Long.compare(a[0], b[0]));
        List<Double> latencies = probes.stream().map(p -> p[0] / 1e6).collect(Collectors.toList());
        if (latencies.isEmpty()) {
            out.printf("alert latency: no probe was counted (%d without an alert)%n", missing);
            return;
        }
        out.printf("alert latency, crossing event entering the source -> webhook POST received, %d probes"
                        + " (out-of-orderness %d ms included): p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms; %d probes without an alert%n",
                latencies.size(), s.outOfOrderness.toMillis(), percentile(latencies, 50), percentile(latencies, 90),
                percentile(latencies, 99), latencies.get(latencies.size() - 1), missing);
        out.printf("  beyond the out-of-orderness: p50 %.0f ms, p99 %.0f ms%n",
                percentile(latencies, 50) - s.outOfOrderness.toMillis(), percentile(latencies, 99) - s.outOfOrderness.toMillis());
        StringBuilder lags = new StringBuilder();
        for (int k = 0; k < maxLagMillis.length(); k++) {
            lags.append(String.format("%s split %d: most %,d ms after the warm-up, %,d ms at its last record", k == 0 ? "" : ";", k,
                    maxLagMillis.get(k), lastLagMillis.get(k)));
        }
        // A reader behind its schedule holds back the watermark, and with it every alert.
        out.printf("  readers behind the schedule:%s%n", lags);
        out.printf("  alerts posted to the webhook in the whole run, by rule: %s%n", posted);
        // When the tail happens says what it is: a checkpoint's pause recurs with its interval.
        out.printf("  slowest probes (latency at seconds into the run): %s%n", IntStream.range(0, Math.min(8, probes.size()))
                .mapToObj(i -> probes.get(probes.size() - 1 - i))
                .map(p -> String.format("%,d ms at %.1f s", p[0] / 1_000_000L, p[1] / 1e9)).collect(Collectors.joining(", ")));
    }

    static double percentile(List<Double> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /**
     * Ten failed logins in one audit record, from client host number {@code n} in 198.18.0.0/15,
     * one millisecond apart from {@code t}: the tenth crosses {@code db_failed_login_burst}'s threshold.
     */
    static byte[] probeRecord(int n, long t) {
        String host = "198." + (18 + (n >> 16)) + "." + ((n >> 8) & 0xff) + "." + (n & 0xff);
        ObjectNode root = JSON.createObjectNode();
        root.put("messageType", "DATA_MESSAGE");
        root.put("owner", DemoScenario.ACCOUNT);
        root.put("logGroup", DemoScenario.AUDIT_LOG_GROUP);
        root.put("logStream", "latency-probe");
        root.putArray("subscriptionFilters").add("nagare-latency");
        ArrayNode logEvents = root.putArray("logEvents");
        for (int j = 0; j < FAILED_LOGINS; j++) {
            long millis = t + j;
            ObjectNode e = logEvents.addObject();
            e.put("id", String.format("9%019d%018d%018d", 0, n, j));
            e.put("timestamp", millis);
            e.put("message", millis * 1000 + ",exchange-db-instance-1,app_rw," + host + "," + (60000 + (n % 1000)) + ",0,FAILED_CONNECT,exchange,,1045");
        }
        try {
            return DemoRecord.gzip(JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Each reader's share of the rate, on a fixed schedule from the first record any reader asked
     * for (a reader that starts later does not trail the others for the whole run): a reader that
     * fell behind (a checkpoint, a collection, a busy core) emits at once until it is back on
     * schedule, as a Kinesis consumer behind the tip reads what is already there. Flink's
     * {@link RateLimiterStrategy#perSecond} (Guava's limiter) forgives a reader at most a second:
     * one stalled for longer stayed behind for the rest of the run, its event times held back the
     * watermark, and every later alert waited for it (runs of one jar differed by a second at p50).
     */
    static final class OnSchedule implements RateLimiter {
        private final double perSecond;
        private final LongSupplier clock;
        private long start;
        private long emitted;

        /** Called by the reader's task thread only. */
        OnSchedule(double perSecond, LongSupplier clock) {
            this.perSecond = perSecond;
            this.clock = clock;
        }

        static RateLimiterStrategy perSecond(double total) {
            return parallelism -> new OnSchedule(total / parallelism, System::nanoTime);
        }

        @Override
        public CompletionStage<Void> acquire() {
            long now = clock.getAsLong();
            if (emitted == 0) {
                start = scheduleStart.updateAndGet(first -> first == 0 ? now : first);
            }
            long wait = start + (long) (emitted++ * 1e9 / perSecond) - now;
            if (wait <= EARLY_NANOS) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> due = new CompletableFuture<>();
            PACING.schedule(() -> due.complete(null), wait, TimeUnit.NANOSECONDS);
            return due;
        }

        /**
         * How early a record may go: a reader ahead of its schedule wakes once for all the records
         * due in the next few milliseconds instead of once per record (a wake-up of the task per
         * record cost the pacing thread a sixth of a core at 7,000 records/s). Latency is timed
         * from when a record actually entered, so this moves no figure.
         */
        static final long EARLY_NANOS = 5_000_000;

        /**
         * One timer thread for every reader's waits. {@code CompletableFuture.delayedExecutor}
         * without an executor runs each delayed task in a new thread when the common pool has
         * fewer than two workers (any 2-core machine): a thread per record, 7,000 a second, which
         * took a quarter of the machine's CPU from the job it was pacing.
         */
        private static final ScheduledExecutorService PACING = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "bench-pacing");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Record {@code i * splits + k} as index {@code i} of split {@code k}, so each reader is a shard
     * in time order; notes when a probe and the last record enter the source, and how far each reader is behind.
     */
    private static final class Paced implements GeneratorFunction<Long, KinesisRecord> {
        private static final long serialVersionUID = 1L;
        private transient int splits;

        @Override
        public void open(SourceReaderContext context) {
            splits = context.currentParallelism();
        }

        @Override
        public KinesisRecord map(Long index) {
            long now = System.nanoTime();
            lastEmit.accumulateAndGet(now, Math::max);
            int perSplit = records.length / splits;
            int i = (int) (index % perSplit);
            int k = (int) (index / perSplit);
            int position = Math.min(records.length - 1, i * splits + k);
            long sinceStart = now - scheduleStart.get();
            int second = (int) (sinceStart / 1_000_000_000L);
            if (second < eventsInSecond.length()) {
                eventsInSecond.addAndGet(second, eventsOfRecord[position]);
            }
            // A record may go up to OnSchedule.EARLY_NANOS early: ahead of the schedule is not behind it.
            long lag = Math.max(0, (sinceStart - (long) ((double) position / records.length * scheduleNanos)) / 1_000_000L);
            if (sinceStart > warmUpNanos) {
                maxLagMillis.accumulateAndGet(k, lag, Math::max);
            }
            lastLagMillis.set(k, lag);
            int probe = probeOfRecord[position];
            if (probe >= 0) {
                probeEntered.compareAndSet(probe, 0, now);
            }
            return KinesisRecord.of(records[position], null);
        }
    }
}
