package dev.nagare.job.testing;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
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

    /** A loopback MiniCluster with extra settings (for example the s3 file system's). */
    public static MiniClusterExtension extension(Configuration extra) {
        Configuration conf = new Configuration(extra);
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        conf.set(TaskManagerOptions.HOST, "127.0.0.1");
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setConfiguration(conf)
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(PARALLELISM)
                        .build());
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
