package dev.nagare.tools.local;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.DurableState;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.lake.Lake;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One local run: the job on an embedded MiniCluster with the web UI, every port on 127.0.0.1,
 * and — with {@code local.stand-ins} — kinesis-local, S3Proxy and an alert endpoint in front of
 * it. {@link #close()} cancels the job and stops the stand-ins.
 */
public final class LocalRun implements AutoCloseable {
    private final NagareConfig config;
    private final StandIns standIns;
    private final JobClient job;
    private final StatusReporter status;

    private LocalRun(NagareConfig config, StandIns standIns, JobClient job, StatusReporter status) {
        this.config = config;
        this.standIns = standIns;
        this.job = job;
        this.status = status;
    }

    /**
     * Starts the stand-ins if configured, then the job (its source and alert outputs as
     * configured: with stand-ins the configuration points them at the stand-ins).
     *
     * @param tools where the build installed the stand-ins and the Flink plugins
     */
    public static LocalRun start(NagarePipeline pipeline, Path tools, PrintStream out, PrintStream err) throws Exception {
        NagareConfig config = pipeline.resolve().config();
        StandIns standIns = config.get(NagareOptions.LOCAL_STAND_INS) ? StandIns.start(config, tools, out, err) : null;
        try {
            Configuration flink = flinkConfiguration(config);
            if (standIns != null) {
                flink.addAll(standIns.flinkConfiguration());
            } else {
                config.getOptional(NagareOptions.LOCAL_S3_ENDPOINT)
                        .ifPresent(endpoint -> flink.addAll(S3Local.flinkConfiguration(endpoint, null, null)));
            }
            // s3:// comes from the flink-s3-fs-hadoop plugin, as on a cluster; the MiniCluster
            // shares this JVM's file systems, so they are set up here, with the S3 endpoint.
            S3Local.initializeFileSystems(flink);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            env.setParallelism(config.get(NagareOptions.LOCAL_PARALLELISM));
            env.enableCheckpointing(config.get(NagareOptions.CHECKPOINT_INTERVAL).toMillis());
            pipeline.attachTo(env);
            JobClient job = env.executeAsync("nagare (local)");
            StatusReporter status = new StatusReporter("http://127.0.0.1:" + config.get(NagareOptions.LOCAL_WEB_UI_PORT),
                    job.getJobID().toHexString(), lakeRoot(config), standIns == null ? null : standIns::status);
            return new LocalRun(config, standIns, job, status);
        } catch (Exception e) {
            if (standIns != null) {
                standIns.close();
            }
            throw e;
        }
    }

    public JobClient job() {
        return job;
    }

    public Optional<StandIns> standIns() {
        return Optional.ofNullable(standIns);
    }

    public String statusLine() {
        return status.statusLine();
    }

    public String webUi() {
        return "http://localhost:" + config.get(NagareOptions.LOCAL_WEB_UI_PORT);
    }

    /** The lake's root folder or URI. */
    public static String lakeRoot(NagareConfig config) {
        String logs = new Lake(config).path(Lake.LOGS);
        return logs.substring(0, logs.length() - Lake.LOGS.length() - 1);
    }

    /** Every address of an embedded cluster on 127.0.0.1: a laptop run must not be reachable from the network. */
    public static Configuration loopback() {
        Configuration flink = new Configuration();
        flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        flink.set(RestOptions.ADDRESS, "127.0.0.1");
        flink.set(JobManagerOptions.ADDRESS, "127.0.0.1");
        flink.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        flink.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        flink.set(TaskManagerOptions.HOST, "127.0.0.1");
        return flink;
    }

    /**
     * The local run's cluster: loopback, the web UI port without jar upload, one slot per parallel
     * subtask, checkpoints to files.
     */
    static Configuration flinkConfiguration(NagareConfig config) {
        Configuration flink = loopback();
        flink.set(RestOptions.PORT, config.get(NagareOptions.LOCAL_WEB_UI_PORT));
        // Flink's default lets anyone who reaches the REST port upload a jar and run it: code
        // execution as this user. Loopback alone does not stop that, since any local process and
        // any web page the browser opens can POST to 127.0.0.1. Without submission the /jars
        // handlers are not there at all (POST /jobs, Flink's client API, remains: loopback is what
        // limits it to this machine). Cancelling from the UI stays: it only stops this run's own
        // job, which Ctrl-C does as well.
        flink.set(WebOptions.SUBMIT_ENABLE, false);
        flink.set(TaskManagerOptions.NUM_TASK_SLOTS, config.get(NagareOptions.LOCAL_PARALLELISM));
        // The status line reads metrics through REST; refresh them faster than the 10 s default.
        flink.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
        // Checkpoints to files and RocksDB state, as on a cluster and on Managed Flink.
        flink.addAll(DurableState.settings(flink,
                Optional.of(Path.of(config.get(NagareOptions.LOCAL_CHECKPOINT_DIR)).toAbsolutePath().normalize().toUri().toString())));
        return flink;
    }

    /** Cancels the job if it still runs, then stops the stand-ins; safe to call twice. */
    @Override
    public void close() throws Exception {
        try {
            cancelJob();
        } finally {
            if (standIns != null) {
                standIns.close();
            }
        }
    }

    private void cancelJob() throws Exception {
        JobStatus state;
        try {
            state = job.getJobStatus().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return; // the MiniCluster of a finished job shuts down with it: nothing left to cancel
        }
        if (!state.isGloballyTerminalState()) {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }
}
