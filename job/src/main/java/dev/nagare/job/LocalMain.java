package dev.nagare.job;

import dev.nagare.job.alerts.Destination;
import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.lake.Lake;
import dev.nagare.job.local.StatusReporter;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleException;
import dev.nagare.job.rules.RuleLoader;
import dev.nagare.job.source.Sources;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs the job on an embedded MiniCluster with the Flink web UI, every port on 127.0.0.1, and
 * prints a status line every few seconds until Ctrl-C, which cancels the job cleanly.
 */
public final class LocalMain {
    private LocalMain() {}

    public static void main(String[] args) throws Exception {
        NagareConfig config;
        List<Rule> rules;
        List<Destination> destinations;
        try {
            config = ConfigLoader.load(args);
            rules = RuleLoader.load(config);
            destinations = Destination.fromConfig(config, System::getenv);
        } catch (ConfigException | RuleException e) {
            System.err.println("nagare: " + e.getMessage());
            System.exit(2);
            return;
        }
        run(config, rules, destinations);
    }

    static void run(NagareConfig config, List<Rule> rules, List<Destination> destinations) throws Exception {
        int port = config.get(NagareOptions.LOCAL_WEB_UI_PORT);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flinkConfiguration(config));
        env.setParallelism(config.get(NagareOptions.LOCAL_PARALLELISM));
        env.enableCheckpointing(config.get(NagareOptions.CHECKPOINT_INTERVAL).toMillis());
        new NagarePipeline(config, Sources.create(config), NagareJob.alertSink(config),
                destinations, rules).attachTo(env);

        JobClient job = env.executeAsync("nagare (local)");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> cancel(job), "nagare-shutdown"));
        String ui = "http://localhost:" + port;
        Path lake = Path.of(new Lake(config).path(Lake.LOGS)).getParent();
        System.out.println("Nagare is running: web UI " + ui + ", lake " + lake.toAbsolutePath().normalize()
                + ", rules " + rules.stream().map(Rule::id).collect(Collectors.joining(", ")) + ". Ctrl-C stops it.");

        StatusReporter status = new StatusReporter("http://127.0.0.1:" + port, job.getJobID().toHexString(), lake);
        long interval = config.get(NagareOptions.LOCAL_STATUS_INTERVAL).toMillis();
        while (true) {
            JobStatus state = job.getJobStatus().get(10, TimeUnit.SECONDS);
            System.out.println(status.statusLine());
            if (state.isGloballyTerminalState()) {
                System.out.println("Job " + state.name().toLowerCase() + ".");
                return;
            }
            TimeUnit.MILLISECONDS.sleep(interval);
        }
    }

    /** Every listening socket on loopback: a laptop run must not be reachable from the network. */
    static Configuration flinkConfiguration(NagareConfig config) {
        Configuration flink = new Configuration();
        flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        flink.set(RestOptions.ADDRESS, "127.0.0.1");
        flink.set(RestOptions.PORT, config.get(NagareOptions.LOCAL_WEB_UI_PORT));
        flink.set(JobManagerOptions.ADDRESS, "127.0.0.1");
        flink.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        flink.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        flink.set(TaskManagerOptions.HOST, "127.0.0.1");
        flink.set(TaskManagerOptions.NUM_TASK_SLOTS, config.get(NagareOptions.LOCAL_PARALLELISM));
        // The status line reads metrics through REST; refresh them faster than the 10 s default.
        flink.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
        flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                Path.of(config.get(NagareOptions.LOCAL_CHECKPOINT_DIR)).toAbsolutePath().normalize().toUri().toString());
        return flink;
    }

    private static void cancel(JobClient job) {
        try {
            if (!job.getJobStatus().get(5, TimeUnit.SECONDS).isGloballyTerminalState()) {
                System.out.println("Stopping: cancelling the job...");
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            System.err.println("nagare: could not cancel the job cleanly: " + e.getMessage());
        }
    }
}
