package dev.nagare.job.testing;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.KinesisSource;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** MiniCluster set-up shared by the integration tests: loopback only, two slots. */
public final class MiniClusters {
    public static final int PARALLELISM = 2;

    private MiniClusters() {}

    public static MiniClusterExtension extension() {
        return extension(new Configuration());
    }

    /** Every address of a test cluster on 127.0.0.1: tests must not be reachable from the network. */
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

    /** A loopback MiniCluster with extra settings (for example the s3 file system's). */
    public static MiniClusterExtension extension(Configuration extra) {
        Configuration conf = loopback();
        conf.addAll(extra);
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setConfiguration(conf)
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(PARALLELISM)
                        .build());
    }

    /** The environment the tests run the job in: the cluster's two slots, a checkpoint every second. */
    public static StreamExecutionEnvironment environment() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(PARALLELISM);
        env.enableCheckpointing(1000);
        return env;
    }

    /** Starts the job on the configuration's Kinesis stream with its rules and no alert outputs. */
    public static JobClient startKinesisJob(NagareConfig config, String name) throws Exception {
        StreamExecutionEnvironment env = environment();
        NagarePipeline.from(config).source(KinesisSource.create(config, stream -> null)).outputs().attachTo(env);
        return env.executeAsync(name);
    }

    /**
     * Waits for a bounded job to finish. A failing job restarts forever under the default
     * strategy, so the wait has a deadline and the job is cancelled when it passes.
     */
    public static void awaitFinished(JobClient job, Duration timeout) throws Exception {
        try {
            job.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            job.cancel().get(30, TimeUnit.SECONDS);
            throw new AssertionError("job did not finish within " + timeout, e);
        }
    }
}
