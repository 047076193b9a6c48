package dev.nagare.job;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.tools.local.KinesisLocal;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.tools.testing.StandInTools;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TaskManager is lost while the job reads a two-shard Kinesis stream; the job restarts from its
 * last checkpoint on the remaining one. The lake then holds exactly the input events: nothing lost
 * (Kinesis positions are part of the checkpoint) and nothing twice (files commit with checkpoints).
 */
class KinesisFailoverITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(() -> {
        Configuration conf = MiniClusters.loopback();
        // Two TaskManagers, each able to run the whole job, so losing one leaves room to restart.
        return new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(conf).setNumberTaskManagers(2).setNumberSlotsPerTaskManager(2).build();
    });

    static final DemoScenario SCENARIO = new DemoScenario(11, Instant.parse("2024-06-01T12:00:00Z"), 20);

    @TempDir
    Path work;

    @Test
    void losingATaskManagerLosesAndDuplicatesNothing(@InjectMiniCluster MiniCluster cluster) throws Exception {
        try (KinesisLocal kinesis = KinesisLocal.start(StandInTools.DIR)) {
            String arn = kinesis.createStream("failover", 2);
            long expected = kinesis.putDemo("failover", SCENARIO, 0, 200);

            Path lakePath = work.resolve("lake");
            NagareConfig config = StandInTools.kinesisSource(kinesis, NagareConfig.defaults(), arn)
                    .with("lake.path", lakePath.toString());
            JobClient job = MiniClusters.startKinesisJob(config, "kinesis-failover-it");
            try {
                // Wait until the first records are committed, then lose a TaskManager mid-stream.
                Lakes.awaitRows(lakePath, "logs", 1, Duration.ofMinutes(2));
                // Which TaskManager runs the job is the scheduler's choice: stop both original ones
                // (with a fresh one started in between), so the job is certainly hit.
                cluster.terminateTaskManager(0).get(30, TimeUnit.SECONDS);
                cluster.startTaskManager(); // the restarted job waits for its slots
                cluster.terminateTaskManager(1).get(30, TimeUnit.SECONDS);
                expected += kinesis.putDemo("failover", SCENARIO, 200, 400);
                long found = Lakes.awaitRows(lakePath, "logs", expected, Duration.ofMinutes(2));
                TimeUnit.SECONDS.sleep(3); // a few more checkpoints: nothing may arrive twice
                assertThat(cluster.getExecutionGraph(job.getJobID()).get().getStatusTimestamp(JobStatus.RESTARTING))
                        .as("the job restarted after losing the TaskManager").isPositive();
                try (Lakes lake = new Lakes(lakePath, "logs")) {
                    assertThat(found).isEqualTo(expected);
                    assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(expected);
                    assertThat(lake.count("SELECT count(DISTINCT event_id) FROM logs")).isEqualTo(expected);
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        }
    }
}
