package dev.nagare.job;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.tools.local.KinesisLocal;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.tools.testing.StandInTools;

import org.apache.flink.core.execution.JobClient;
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
 * The production source against a real Kinesis API (kinesis-local on 127.0.0.1): CloudWatch Logs
 * gzip records in a two-shard stream, read by the job's FLIP-27 Kinesis source from the horizon,
 * land in the lake exactly once.
 */
class KinesisITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final DemoScenario SCENARIO = new DemoScenario(7, Instant.parse("2024-06-01T12:00:00Z"), 20);
    static final int RECORDS = 240;

    @TempDir
    Path work;

    @Test
    void recordsInATwoShardStreamLandInTheLakeOnce() throws Exception {
        try (KinesisLocal kinesis = KinesisLocal.start(StandInTools.DIR)) {
            String arn = kinesis.createStream("cwl-logs", 2);
            long expected = kinesis.putDemo("cwl-logs", SCENARIO, 0, RECORDS);

            Path lakePath = work.resolve("lake");
            NagareConfig config = StandInTools.kinesisSource(kinesis, NagareConfig.defaults(), arn)
                    .with("lake.path", lakePath.toString());
            JobClient job = MiniClusters.startKinesisJob(config, "kinesis-it");
            try {
                Lakes.awaitRows(lakePath, "logs", expected, Duration.ofMinutes(2));
                // A few more checkpoints: nothing beyond the expected rows may arrive.
                TimeUnit.SECONDS.sleep(3);
                try (Lakes lake = new Lakes(lakePath, "logs")) {
                    assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(expected);
                    assertThat(lake.count("SELECT count(DISTINCT event_id) FROM logs")).isEqualTo(expected);
                    assertThat(lake.lines("SELECT DISTINCT dt, hr FROM logs ORDER BY 1, 2")).containsExactly("2024-06-01|12");
                    assertThat(lake.lines("SELECT DISTINCT log_type FROM logs ORDER BY 1"))
                            .containsExactly("app", "cloudtrail", "lambda", "mysql_audit");
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        }
    }
}
