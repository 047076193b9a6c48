package dev.nagare.tools.bench;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.DurableState;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.source.demo.DemoRecord;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.tools.local.LocalRun;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Whole-job cost per event against the floor, in one run on the same bytes. The records (demo
 * CloudWatch Logs gzip envelopes of three services' app JSON, a Lambda function, an Aurora MySQL
 * audit log and CloudTrail) are generated before anything is measured and read from memory by a
 * parallel source, interleaved so each reader is a shard in time order.
 *
 * <ul>
 *   <li><b>the floor</b>: one thread gunzips each record and parses its envelope and every inner
 *       JSON message into Jackson trees, in a tight loop: what the bytes cost at least;</li>
 *   <li><b>the whole job</b> on each state backend: decode, parse, dedup, all bundled rules, the
 *       rollup and the Parquet lake on a local folder, on a MiniCluster, checkpoints every 10 s to
 *       files (the job's default is a minute: {@code --set job.checkpoint.interval=1min}). A
 *       warm-up run (up to 120,000 records) comes first; then a run of a tenth and one of all. The
 *       CPU time of the process (all threads) minus the JIT compilers' time, over the difference of
 *       the two runs, is the <b>steady-state cost per event</b>: the fixed cost of a run (planning,
 *       deploying, the last checkpoint) and compilation cancel out.</li>
 * </ul>
 * Not a test: {@code java -Xmx8g -jar nagare.jar bench RECORDS [PARALLELISM] [BACKENDS]} or
 * {@code mvn -q -Pbench package -Dbench.args="120000 2 hashmap,rocksdb"}; figures go to docs/BENCHMARKS.md.
 */
public final class PipelineBenchmark {
    /** 1,000 records per simulated second: a busy stream, one-minute windows fill and close. */
    private static final DemoScenario SCENARIO = new DemoScenario(42, Instant.parse("2024-06-01T00:00:00Z"), 1000);
    /** The records of a run, by run id: the MiniCluster runs in this JVM, so the source reads them from here. */
    private static final Map<String, byte[][]> RECORDS = new ConcurrentHashMap<>();

    /**
     * The warm-up run's records (all of them in a shorter run). After a warm-up of a tenth of
     * 120,000 records the JIT was still compiling the job's hot code, so the tenth-run measured
     * next ran partly interpreted: its cost per event varied by 3x between runs, and the
     * difference of the two runs swung by half, once below zero. 120,000 records (321,000 events)
     * leave little to compile.
     */
    private static final long WARM_UP_RECORDS = 120_000;

    private PipelineBenchmark() {}

    public static void main(String[] args) throws Exception {
        run(args.length > 0 ? Long.parseLong(args[0]) : 120_000, args.length > 1 ? Integer.parseInt(args[1]) : 2,
                args.length > 2 ? List.of(args[2].split(",")) : List.of("hashmap", "rocksdb"), Map.of(), Map.of(), System.out);
    }

    /**
     * Runs the benchmark and prints its figures.
     *
     * @param backends Flink state backends to measure the job on: {@code hashmap} (heap) and/or
     *        {@code rocksdb} (with incremental checkpoints, as on Managed Flink)
     * @param flinkSettings Flink settings of every run, over the benchmark's (to measure what one changes)
     * @param nagareSettings Nagare settings of every run, over the benchmark's (e.g. {@code rules.disabled}, to
     *        measure what one rule costs)
     */
    public static void run(long records, int parallelism, List<String> backends, Map<String, String> flinkSettings,
            Map<String, String> nagareSettings, PrintStream out) throws Exception {
        long n = Math.max(parallelism, records / parallelism * parallelism); // whole shards
        long tenth = Math.max(parallelism, n / 10 / parallelism * parallelism);
        long warm = Math.min(n, WARM_UP_RECORDS / parallelism * parallelism);
        out.printf("Java %s, %d cores, parallelism %d%s%s; generating %,d records...%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), parallelism,
                flinkSettings.isEmpty() ? "" : ", Flink settings " + flinkSettings,
                nagareSettings.isEmpty() ? "" : ", Nagare settings " + nagareSettings, n);
        byte[][] all = new byte[(int) n][];
        long expected = 0;
        long expectedTenth = 0;
        long expectedWarm = 0;
        long payload = 0;
        for (int i = 0; i < n; i++) {
            DemoRecord record = SCENARIO.record(i);
            all[i] = record.toBytes();
            payload += all[i].length;
            expected += record.validEvents();
            if (i < tenth) {
                expectedTenth += record.validEvents();
            }
            if (i < warm) {
                expectedWarm += record.validEvents();
            }
        }
        byte[][] first = java.util.Arrays.copyOf(all, (int) tenth);
        byte[][] warmUp = java.util.Arrays.copyOf(all, (int) warm);

        Floor floor = floor(all);
        out.printf("%,d records, %,d events, %.1f MB of Kinesis payload, %.1f MB of raw log JSON%n",
                n, expected, payload / 1e6, floor.rawBytes / 1e6);
        out.printf("floor (gunzip + Jackson trees of envelope and messages, one thread): %,.0f events/s per core, %.2f core-us/event%n",
                floor.events / floor.cpuSeconds, floor.cpuSeconds * 1e6 / floor.events);

        for (String backend : backends) {
            run(warmUp, expectedWarm, parallelism, backend, flinkSettings, nagareSettings);
            Run small = run(first, expectedTenth, parallelism, backend, flinkSettings, nagareSettings);
            Run full = run(all, expected, parallelism, backend, flinkSettings, nagareSettings);
            double cpu = full.cpuSeconds - small.cpuSeconds;
            double wall = full.seconds - small.seconds;
            long events = full.events - small.events;
            double perCore = events / cpu;
            out.printf("job on %s (%s every %s): %,d events in %.1f s end to end%n", backend,
                    "rocksdb".equals(backend) ? "incremental checkpoints" : "heap, full checkpoints",
                    TimeUtils.formatWithHighestUnit(full.checkpointInterval), full.events, full.seconds);
            // Differences of two noisy figures (a run's wall time ends at the checkpoint that
            // commits the lake, up to an interval after its last event): say so rather than print
            // a negative or infinite rate.
            String onCores = events > 0 && wall > 0 ? String.format("%,.0f", events / wall) : "n/a (the shorter run took as long)";
            if (events > 0 && cpu > 0) {
                out.printf("  steady state: %s events/s on %d cores; %,.0f events/s per core (%.1f core-us/event, JIT excluded);"
                                + " ratio to the floor %.3f%n",
                        onCores, Runtime.getRuntime().availableProcessors(), perCore, cpu * 1e6 / events,
                        perCore / (floor.events / floor.cpuSeconds));
            } else {
                out.printf("  steady state: n/a (the shorter run cost as much CPU time; measure more records)%n");
            }
            out.printf("  cost per event: %.1f core-us in the %,d-record run, %.1f in the %,d-record run (whole runs, JIT excluded)%n",
                    small.cpuSeconds * 1e6 / small.events, tenth, full.cpuSeconds * 1e6 / full.events, n);
            // Bytes allocated vary little between runs of the same code where CPU time on a shared
            // VM varies by a third: a steadier gauge of the copying an A/B change saves.
            out.printf("  allocated: %,.0f bytes/event in steady state (%,.0f in the %,d-record run)%n",
                    (double) (full.allocatedBytes - small.allocatedBytes) / events, (double) full.allocatedBytes / full.events, n);
            out.printf("  lake: %,d Parquet files, %.1f MB, %.1f bytes/event, %.1f%% of the raw log JSON%n",
                    full.files, full.lakeBytes / 1e6, (double) full.lakeBytes / full.events, 100.0 * full.lakeBytes / floor.rawBytes);
            out.printf("  memory: heap used after the run %,d MB; process RSS peak %s%n",
                    full.heapUsedBytes / (1 << 20), rssPeak());
        }
    }

    /** The floor's figures: events, CPU seconds of the one thread, decompressed bytes. */
    static final class Floor {
        long events;
        double cpuSeconds;
        long rawBytes;
    }

    /**
     * Gunzip of each record and a Jackson tree of the envelope and of every inner JSON message,
     * on this thread, measured by its CPU time; three passes, the last one counted (the first two
     * warm the JIT).
     */
    static Floor floor(byte[][] records) throws IOException {
        ObjectMapper json = new ObjectMapper();
        var threads = ManagementFactory.getThreadMXBean();
        Floor floor = new Floor();
        byte[] buffer = new byte[1 << 16];
        long sink = 0;
        for (int pass = 0; pass < 3; pass++) {
            long events = 0;
            long raw = 0;
            long start = threads.getCurrentThreadCpuTime();
            for (byte[] record : records) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(record.length * 8);
                JsonNode envelope;
                try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(record), 8192)) {
                    int read;
                    while ((read = in.read(buffer)) > 0) {
                        out.write(buffer, 0, read);
                    }
                    envelope = json.readTree(out.toByteArray());
                } catch (IOException e) {
                    continue; // the demo's broken records (truncated gzip): dead letters in the job
                }
                raw += out.size();
                for (JsonNode event : envelope.path("logEvents")) {
                    String message = event.path("message").asText();
                    if (!message.isEmpty() && message.charAt(0) == '{') {
                        try {
                            sink += json.readTree(message).size();
                        } catch (IOException e) {
                            sink--; // a malformed line: the job keeps it as text
                        }
                    }
                    events++;
                }
            }
            floor.events = events;
            floor.rawBytes = raw;
            floor.cpuSeconds = (threads.getCurrentThreadCpuTime() - start) / 1e9;
        }
        if (sink == 42) {
            System.out.print(""); // keeps the trees from being optimised away
        }
        return floor;
    }

    /** One job over the records; checks it counted every event. */
    private static Run run(byte[][] records, long expected, int parallelism, String backend, Map<String, String> flinkSettings,
            Map<String, String> nagareSettings) throws Exception {
        Path lake = Files.createTempDirectory("nagare-bench");
        Path checkpoints = Files.createTempDirectory("nagare-bench-checkpoints");
        String runId = UUID.randomUUID().toString();
        RECORDS.put(runId, records);
        try {
            NagareConfig config = NagareConfig.defaults()
                    .with("lake.path", lake.toString())
                    .with("job.watermark.out-of-orderness", "5 s")
                    // Six times as often as the job's default (a minute, as on Managed Flink): the
                    // cost of checkpoints shows in a run of a minute. --set job.checkpoint.interval=...
                    .with(NagareOptions.CHECKPOINT_INTERVAL.key(), "10 s");
            for (Map.Entry<String, String> setting : nagareSettings.entrySet()) {
                config = config.with(setting.getKey(), setting.getValue());
            }
            Configuration flink = LocalRun.loopback();
            // Checkpoints to files, as in every real deployment; the state backend measured.
            flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
            flink.set(StateBackendOptions.STATE_BACKEND, backend);
            if ("rocksdb".equals(backend)) {
                flink.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
                flink.addAll(DurableState.rocksDbTuning(flink)); // as the job sets it
            }
            flinkSettings.forEach(flink::setString);
            productionMemory(flink, parallelism);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, flink);
            env.enableCheckpointing(config.get(NagareOptions.CHECKPOINT_INTERVAL).toMillis());
            NagarePipeline.from(config).source(inMemory(runId, records.length)).outputs().attachTo(env);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            var jit = ManagementFactory.getCompilationMXBean();
            long allocatedStart = totalAllocatedBytes();
            long cpuStart = os.getProcessCpuTime();
            long jitStart = jit.getTotalCompilationTime();
            long start = System.nanoTime();
            JobExecutionResult result = env.execute("nagare-benchmark");
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (os.getProcessCpuTime() - cpuStart) / 1e9 - (jit.getTotalCompilationTime() - jitStart) / 1e3;
            long allocated = totalAllocatedBytes() - allocatedStart;
            long events = 0;
            for (var entry : result.getAllAccumulatorResults().entrySet()) {
                if (entry.getKey().startsWith(Tally.PREFIX + "events.")) {
                    events += ((Number) entry.getValue()).longValue();
                }
            }
            if (events != expected) {
                throw new IllegalStateException("the job counted " + events + " events, the generator made " + expected);
            }
            Run run = new Run();
            run.checkpointInterval = config.get(NagareOptions.CHECKPOINT_INTERVAL);
            run.events = events;
            run.seconds = seconds;
            run.cpuSeconds = cpuSeconds;
            run.allocatedBytes = allocated;
            run.heapUsedBytes = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            try (Stream<Path> walk = Files.walk(lake)) {
                for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                    String name = file.getFileName().toString();
                    if (name.contains("part-") && !name.startsWith(".")) {
                        run.files++;
                        run.lakeBytes += Files.size(file);
                    }
                }
            }
            return run;
        } finally {
            RECORDS.remove(runId);
            delete(lake);
            delete(checkpoints);
        }
    }

    /**
     * A parallel bounded source of the run's records. Flink cuts the index range into one
     * contiguous split per reader; index {@code i} of split {@code k} is record
     * {@code i * splits + k}, so every reader is a shard whose records are in time order and the
     * shards advance together, as the shards of one stream do.
     */
    static RecordSource inMemory(String runId, int count) {
        return RecordSource.parallel(new DataGeneratorSource<>(new Interleaved(runId, count), count, RateLimiterStrategy.noOp(),
                RecordSource.TYPE));
    }

    private static final class Interleaved implements GeneratorFunction<Long, KinesisRecord> {
        private static final long serialVersionUID = 1L;
        private final String runId;
        private final int count;
        private transient byte[][] records;
        private transient int splits;

        Interleaved(String runId, int count) {
            this.runId = runId;
            this.count = count;
        }

        @Override
        public void open(org.apache.flink.api.connector.source.SourceReaderContext context) {
            records = RECORDS.get(runId);
            splits = context.currentParallelism();
        }

        @Override
        public KinesisRecord map(Long index) {
            int perSplit = count / splits;
            int i = (int) (index % perSplit);
            int k = (int) (index / perSplit);
            return KinesisRecord.of(records[i * splits + k], null);
        }
    }

    /**
     * Bytes allocated by every thread since the JVM started, terminated threads included (a job's
     * task threads end with it). The method came with Java 14 and this code targets 11: called
     * reflectively; -1 on an older runtime.
     */
    static long totalAllocatedBytes() {
        try {
            return (Long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getTotalThreadAllocatedBytes")
                    .invoke(ManagementFactory.getThreadMXBean());
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }

    /** The process's peak resident set (Linux), or "n/a". */
    static String rssPeak() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmHWM:")) {
                    return String.format("%,d MB", Long.parseLong(line.replaceAll("\\D", "")) / 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return "n/a";
    }

    /** Deletes a benchmark's temporary folder, as far as it can. */
    static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // the cluster may still be removing its last checkpoint: what is left is in the temp folder
            System.err.println("could not delete all of " + dir + ": " + e.getMessage());
        }
    }

    private static final class Run {
        Duration checkpointInterval;
        long events;
        double seconds;
        double cpuSeconds;
        long allocatedBytes;
        long files;
        long lakeBytes;
        long heapUsedBytes;
    }

    /**
     * Managed memory of 1 GB per slot, as a Managed Flink KPU or a sized TaskManager gives RocksDB,
     * unless the run sets it. A local environment's default is 128 MB for all slots: RocksDB's
     * write buffer manager then flushed the dedup's memtables twice a second into 45 KB files,
     * hit 20 level-0 files and throttled writes to 16 KB/s, and a 2.4M-event run never finished.
     */
    static void productionMemory(Configuration flink, int parallelism) {
        if (flink.getOptional(TaskManagerOptions.MANAGED_MEMORY_SIZE).isEmpty()) {
            flink.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(1024L * parallelism));
        }
    }
}
