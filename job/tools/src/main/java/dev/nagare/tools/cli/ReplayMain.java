package dev.nagare.tools.cli;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.alerts.Destination;
import dev.nagare.job.alerts.PrintAlertSink;
import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.DurableState;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.lake.Lake;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleException;
import dev.nagare.job.rules.RuleLoader;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.Sources;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.FileUtils;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code nagare replay [--config FILE] FILES...}: runs captured Kinesis records (one base64 record
 * per line) through the same pipeline, bounded, on an embedded cluster — a backtest of the rules on
 * real data — writes the lake and prints a summary: events per log type, dead letters, duplicates
 * and alerts per rule. Alerts are printed, not delivered.
 */
public final class ReplayMain {
    private ReplayMain() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    public static int run(String[] args, PrintStream out) throws Exception {
        String configFile = ConfigLoader.argument(args, "--config");
        List<String> files = ConfigLoader.withoutOption(args, "--config");
        if (files.isEmpty()) {
            out.println("usage: nagare replay [--config FILE] FILE...   (one Kinesis record per line: get-records JSON or base64 data)");
            return 2;
        }
        NagareConfig config;
        List<Rule> rules;
        RecordSource source;
        try {
            config = configFile == null ? NagareConfig.defaults() : ConfigLoader.load(new String[] {"--config", configFile});
            rules = RuleLoader.load(config);
            source = Sources.replay(files);
        } catch (ConfigException | RuleException e) {
            out.println("nagare: " + e.getMessage());
            return 2;
        }
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
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
            env.enableCheckpointing(config.get(NagareOptions.CHECKPOINT_INTERVAL).toMillis());
            new NagarePipeline(config, source, config.get(NagareOptions.ALERTS_PRINT) ? new PrintAlertSink() : null,
                    List.<Destination>of(), rules).attachTo(env);
            JobExecutionResult result = env.execute("nagare replay");
            out.print(summary(result.getAllAccumulatorResults(), Path.of(new Lake(config).path(Lake.LOGS)).getParent()));
            return 0;
        } finally {
            if (temporary != null) {
                FileUtils.deleteDirectoryQuietly(temporary.toFile());
            }
        }
    }

    /** The summary of a finished run from its accumulators. */
    static String summary(Map<String, Object> accumulators, Path lake) {
        Map<String, Long> counts = new TreeMap<>();
        accumulators.forEach((name, value) -> {
            if (name.startsWith(Tally.PREFIX) && value instanceof Number) {
                counts.put(name.substring(Tally.PREFIX.length()), ((Number) value).longValue());
            }
        });
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
