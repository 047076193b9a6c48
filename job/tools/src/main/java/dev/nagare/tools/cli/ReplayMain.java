package dev.nagare.tools.cli;

import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.DurableState;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.lake.Lake;
import dev.nagare.job.rules.RuleException;
import dev.nagare.job.Sources;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.FileUtils;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * {@code nagare replay [--config FILE] FILES...}: runs captured Kinesis records (one base64 record
 * per line) through the same pipeline, bounded, on an embedded cluster — a backtest of the rules on
 * real data — writes the lake and prints a summary: events per log type, dead letters, duplicates
 * and alerts per rule. Alerts are printed, not delivered.
 */
public final class ReplayMain {
    private ReplayMain() {}

    /**
     * Replays the files and prints the summary on {@code out}; a progress line goes to {@code err}
     * every {@code progressEvery} while the job runs.
     */
    public static int run(String configFile, List<String> files, PrintStream out, PrintStream err, Duration progressEvery)
            throws Exception {
        NagareConfig config;
        NagarePipeline pipeline;
        try {
            config = configFile == null ? NagareConfig.defaults() : ConfigLoader.load(new String[] {"--config", configFile});
            // A backtest: alerts are printed (alerts.print), never delivered.
            pipeline = NagarePipeline.from(config).source(Sources.replay(files))
                    .outputs(config.get(NagareOptions.ALERTS_PRINT) ? List.of(AlertOutput.print()) : List.of());
            pipeline.rules(); // rule errors before anything runs
        } catch (ConfigException | RuleException e) {
            err.println("nagare: " + e.getMessage());
            return 2;
        }
        long total = countRecords(files);
        // Durable checkpoints (job.checkpoint.dir, else a temporary folder removed afterwards) and
        // heap state: a replay of any size holds its dedup state. No restarts: a
        // backtest that fails says why at once instead of starting over in a loop.
        Path temporary = config.getOptional(NagareOptions.CHECKPOINT_DIR).isPresent()
                ? null : Files.createTempDirectory("nagare-replay-checkpoints");
        try {
            // Heap state: a bounded replay on one machine fits in memory, and RocksDB's per-event
            // JNI calls would make it several times slower; the checkpoints still go to files.
            Configuration heap = new Configuration();
            heap.set(StateBackendOptions.STATE_BACKEND, "hashmap");
            Configuration flink = DurableState.settings(heap, config.getOptional(NagareOptions.CHECKPOINT_DIR)
                    .or(() -> Optional.of(temporary.toUri().toString())));
            flink.addAll(heap);
            flink.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            // Task managers report accumulators with their heartbeats: often enough for the progress line.
            flink.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(1));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
            env.enableCheckpointing(config.get(NagareOptions.CHECKPOINT_INTERVAL).toMillis());
            pipeline.attachTo(env);
            JobClient job = env.executeAsync("nagare replay");
            JobExecutionResult result = awaitWithProgress(job, total, err, progressEvery);
            out.print(summary(result.getAllAccumulatorResults(), Path.of(new Lake(config).path(Lake.LOGS)).getParent()));
            return 0;
        } finally {
            if (temporary != null) {
                FileUtils.deleteDirectoryQuietly(temporary.toFile());
            }
        }
    }

    /** Waits for the job, printing records read of total, events/s, elapsed time and alerts so far. */
    private static JobExecutionResult awaitWithProgress(JobClient job, long total, PrintStream err, Duration every) throws Exception {
        long start = System.nanoTime();
        CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
        while (true) {
            try {
                return result.get(every.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                Map<String, Object> accumulators;
                try {
                    accumulators = job.getAccumulators().get(5, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException unavailable) {
                    continue; // the job is finishing: its result comes next
                }
                err.println(progressLine(counts(accumulators), total, (System.nanoTime() - start) / 1e9));
            }
        }
    }

    /** One progress line from the running job's counts. */
    static String progressLine(Map<String, Long> counts, long total, double seconds) {
        long records = counts.getOrDefault("records", 0L);
        long events = sum(counts, "events.");
        long s = (long) seconds;
        return String.format("replay: records %,d of %s  events %,d (%,.0f/s)  alerts %,d  elapsed %d:%02d:%02d",
                records, total < 0 ? "?" : String.format("%,d", total), events, seconds > 0 ? events / seconds : 0.0,
                sum(counts, "alerts."), s / 3600, s / 60 % 60, s % 60);
    }

    /** Non-blank, non-comment lines of the local files: one record each; -1 when a file is remote. */
    private static long countRecords(List<String> files) throws IOException {
        long records = 0;
        for (String file : files) {
            if (file.contains("://")) {
                return -1;
            }
            try (Stream<String> lines = Files.lines(Path.of(file))) {
                records += lines.filter(l -> !l.isBlank() && !l.startsWith("#")).count();
            }
        }
        return records;
    }

    private static Map<String, Long> counts(Map<String, Object> accumulators) {
        Map<String, Long> counts = new TreeMap<>();
        accumulators.forEach((name, value) -> {
            if (name.startsWith(Tally.PREFIX) && value instanceof Number) {
                counts.put(name.substring(Tally.PREFIX.length()), ((Number) value).longValue());
            }
        });
        return counts;
    }

    private static long sum(Map<String, Long> counts, String prefix) {
        return counts.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(Map.Entry::getValue).sum();
    }

    /** The summary of a finished run from its accumulators. */
    static String summary(Map<String, Object> accumulators, Path lake) {
        Map<String, Long> counts = counts(accumulators);
        StringBuilder sb = new StringBuilder("Replay summary\n");
        sb.append(String.format("  records read        %,d%n", counts.getOrDefault("records", 0L)));
        long events = counts.entrySet().stream().filter(e -> e.getKey().startsWith("events.")).mapToLong(Map.Entry::getValue).sum();
        sb.append(String.format("  events              %,d%n", events));
        counts.forEach((k, v) -> {
            if (k.startsWith("events.")) {
                sb.append(String.format("    %-18s%,d%n", k.substring("events.".length()), v));
            }
        });
        long dead = counts.entrySet().stream().filter(e -> e.getKey().startsWith("deadLetters.")).mapToLong(Map.Entry::getValue).sum();
        sb.append(String.format("  dead letters        %,d%n", dead));
        counts.forEach((k, v) -> {
            if (k.startsWith("deadLetters.")) {
                sb.append(String.format("    %-18s%,d%n", k.substring("deadLetters.".length()), v));
            }
        });
        sb.append(String.format("  duplicates dropped  %,d%n", counts.getOrDefault("duplicates", 0L)));
        sb.append(String.format("  control messages    %,d%n", counts.getOrDefault("controlMessages", 0L)));
        sb.append(String.format("  late events         %,d%n", counts.getOrDefault("lateEvents", 0L)));
        long alerts = counts.entrySet().stream().filter(e -> e.getKey().startsWith("alerts.")).mapToLong(Map.Entry::getValue).sum();
        sb.append(String.format("  alerts              %,d%n", alerts));
        counts.forEach((k, v) -> {
            if (k.startsWith("alerts.")) {
                sb.append(String.format("    %-30s%,d%n", k.substring("alerts.".length()), v));
            }
        });
        sb.append("  lake                ").append(lake.toAbsolutePath().normalize()).append('\n');
        return sb.toString();
    }
}
