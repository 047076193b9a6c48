package dev.nagare.job;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.tools.local.KinesisLocal;
import dev.nagare.tools.local.S3Local;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.tools.testing.StandInTools;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The production path against real APIs on 127.0.0.1: CloudWatch Logs gzip records in a two-shard
 * kinesis-local stream, the job's Kinesis source, and the Parquet lake on S3 (S3Proxy) through the
 * flink-s3-fs-hadoop plugin. The lake is read back from S3 and checked with DuckDB.
 */
class KinesisToS3ITCase {
    static final S3Local S3 = start();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension(S3.flinkConfiguration());

    static final DemoScenario SCENARIO = new DemoScenario(5, Instant.parse("2024-06-01T23:59:55Z"), 20);
    static final int RECORDS = 240;

    @TempDir
    Path work;

    private static S3Local start() {
        try {
            return S3Local.start(StandInTools.DIR);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void bucket() throws Exception {
        S3Local.initializeFileSystems(S3.flinkConfiguration());
        S3.createBucket("nagare-lake");
    }

    @AfterAll
    static void stop() throws Exception {
        S3.close();
    }

    @Test
    void kinesisRecordsLandInTheS3LakeOnce() throws Exception {
        try (KinesisLocal kinesis = KinesisLocal.start(StandInTools.DIR)) {
            String arn = kinesis.createStream("cwl-to-s3", 2);
            long expected = kinesis.putDemo("cwl-to-s3", SCENARIO, 0, RECORDS);

            NagareConfig config = StandInTools.kinesisSource(kinesis, NagareConfig.defaults(), arn)
                    .with("lake.path", "s3://nagare-lake/lake")
                    .with("lake.compression", "zstd");
            JobClient job = MiniClusters.startKinesisJob(config, "kinesis-to-s3-it");
            try {
                StandInTools.awaitS3Rows("s3://nagare-lake/lake", "logs", expected, Duration.ofMinutes(2), work);
                TimeUnit.SECONDS.sleep(3); // more checkpoints: nothing may arrive twice
                Path copy = StandInTools.awaitS3Rows("s3://nagare-lake/lake", "logs", 0, Duration.ZERO, work);
                try (Lakes lake = new Lakes(copy, "logs")) {
                    assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(expected);
                    assertThat(lake.count("SELECT count(DISTINCT event_id) FROM logs")).isEqualTo(expected);
                    // 23:59:55 to 00:00:07: partitions by event time across midnight.
                    assertThat(lake.lines("SELECT DISTINCT dt, hr FROM logs ORDER BY 1, 2"))
                            .containsExactly("2024-06-01|23", "2024-06-02|00");
                    assertThat(lake.count("SELECT count(*) FROM logs WHERE dt <> strftime(event_time, '%Y-%m-%d')")).isZero();
                }
                try (Stream<Path> files = Files.walk(copy)) {
                    List<Path> parquet = files.filter(p -> p.getFileName().toString().contains("part-")).collect(Collectors.toList());
                    assertThat(parquet).isNotEmpty();
                    for (Path file : parquet) {
                        byte[] bytes = Files.readAllBytes(file);
                        // Valid Parquet: "PAR1" at both ends.
                        assertThat(new String(bytes, 0, 4)).isEqualTo("PAR1");
                        assertThat(new String(bytes, bytes.length - 4, 4)).isEqualTo("PAR1");
                    }
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        }
    }
}
