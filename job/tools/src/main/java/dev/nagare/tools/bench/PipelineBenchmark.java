package dev.nagare.tools.bench;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.source.demo.DemoRecord;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.source.demo.DemoSource;
import dev.nagare.tools.local.LocalRun;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Whole-job throughput: demo records (CloudWatch Logs gzip envelopes of app JSON, Lambda, MySQL
 * audit and CloudTrail) through
 * decode, parse, dedup, every bundled rule, the rollup and the Parquet lake on a local folder, on
 * a MiniCluster of the given parallelism. Not a test: run it with
 * {@code mvn -q -Pbench package -Dbench.args="RECORDS [PARALLELISM]"} and record the figures in
 * docs/BENCHMARKS.md. A warm-up run of a tenth of the records comes first, then a measured run of
 * a tenth and one of all.
 */
public final class PipelineBenchmark {
    /** 1,000 records per simulated second: a busy stream, one-minute windows fill and close. */
    private static final DemoScenario SCENARIO = new DemoScenario(42, Instant.parse("2024-06-01T00:00:00Z"), 1000);

    private PipelineBenchmark() {}

    public static void main(String[] args) throws Exception {
        run(args.length > 0 ? Long.parseLong(args[0]) : 100_000, args.length > 1 ? Integer.parseInt(args[1]) : 2, System.out);
    }

    /** Runs the benchmark and prints its figures. */
    public static void run(long records, int parallelism, java.io.PrintStream out) throws Exception {
        out.printf("Java %s, %d cores, parallelism %d%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), parallelism);

        run(records / 10, parallelism); // warm-up: JIT, class loading, the planner
        Result small = run(records / 10, parallelism);
        Result full = run(records, parallelism);
        out.printf("%,d records, %,d events, %.1f MB of Kinesis payload: %.1f s end to end (submission to last file committed)%n",
                records, full.events, full.payloadBytes / 1e6, full.seconds);
        out.printf("  overall:      %,.0f events/s, %,.0f records/s%n", full.events / full.seconds, records / full.seconds);
        // The fixed cost of a run (planning 15 rules, deploying, the final checkpoint) cancels out
        // in the difference of the two runs: what remains is the rate a running job sustains.
        double seconds = full.seconds - small.seconds;
        out.printf("  steady state: %,.0f events/s, %,.0f records/s, %.2f MB/s of payload (the %,d-record run subtracted)%n",
                (full.events - small.events) / seconds, (records - records / 10) / seconds,
                (full.payloadBytes - small.payloadBytes) / seconds / 1e6, records / 10);
        out.printf("  lake: %,d Parquet files, %.1f MB, %.0f bytes per event%n",
                full.files, full.lakeBytes / 1e6, (double) full.lakeBytes / full.events);
    }

    /** One run over the first {@code records} records of the scenario; checks the job saw every event. */
    private static Result run(long records, int parallelism) throws Exception {
        long expected = 0;
        long payloadBytes = 0;
        for (long i = 0; i < records; i++) {
            DemoRecord record = SCENARIO.record(i);
            expected += record.validEvents();
            payloadBytes += record.toBytes().length;
        }
        Path lake = Files.createTempDirectory("nagare-bench");
        Path checkpoints = Files.createTempDirectory("nagare-bench-checkpoints");
        try {
            NagareConfig config = NagareConfig.defaults()
                    .with("lake.path", lake.toString())
                    .with("job.watermark.out-of-orderness", "5 s");
            Configuration flink = LocalRun.loopback();
            // State grows with the dedup window: checkpoints go to files, as in every real deployment.
            flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, flink);
            env.enableCheckpointing(10_000);
            // The demo source generates records on its reader thread, about 8,000 records/s: more
            // than the job takes, so it is not what is measured.
            NagarePipeline.from(config).source(DemoSource.create(SCENARIO, records, RateLimiterStrategy.noOp())).outputs()
                    .attachTo(env);
            long start = System.nanoTime();
            JobExecutionResult result = env.execute("nagare-benchmark");
            double seconds = (System.nanoTime() - start) / 1e9;
            long events = 0;
            for (var entry : result.getAllAccumulatorResults().entrySet()) {
                if (entry.getKey().startsWith(Tally.PREFIX + "events.")) {
                    events += ((Number) entry.getValue()).longValue();
                }
            }
            if (events != expected) {
                throw new IllegalStateException("the job counted " + events + " events, the generator made " + expected);
            }
            long files = 0;
            long lakeBytes = 0;
            try (Stream<Path> walk = Files.walk(lake)) {
                for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                    String name = file.getFileName().toString();
                    if (name.contains("part-") && !name.startsWith(".")) {
                        files++;
                        lakeBytes += Files.size(file);
                    }
                }
            }
            return new Result(events, payloadBytes, seconds, files, lakeBytes);
        } finally {
            delete(lake);
            delete(checkpoints);
        }
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

    private static final class Result {
        final long events;
        final long payloadBytes;
        final double seconds;
        final long files;
        final long lakeBytes;

        Result(long events, long payloadBytes, double seconds, long files, long lakeBytes) {
            this.events = events;
            this.payloadBytes = payloadBytes;
            this.seconds = seconds;
            this.files = files;
            this.lakeBytes = lakeBytes;
        }
    }
}
