package dev.nagare.job;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.metrics.Tally;
import dev.nagare.tools.local.KinesisLocal;
import dev.nagare.job.source.KinesisSource;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.testing.Await;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;
import dev.nagare.tools.testing.StandInTools;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Catching up on a backlog: half an hour of records spread over four shards, all written before
 * the job starts, read by one reader from the horizon. The reader takes each shard's records in
 * batches, so without watermarks per shard the first batch of one shard would declare the other
 * shards' older events late and the windows would drop them. With them, every event counts: the
 * rollup's sum equals the rows in the lake and the late count is 0.
 */
class KinesisBacklogITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final Instant START = Instant.parse("2024-03-05T09:00:00Z");
    /** One record a second for 30 minutes: each shard's backlog spans the whole half hour. */
    static final DemoScenario SCENARIO = new DemoScenario(11, START, 1);
    static final int RECORDS = 1800;
    /** After the backlog: events at 09:40 close every window of the half hour. */
    static final Instant CLOSING = START.plus(Duration.ofMinutes(40));

    @TempDir
    Path work;

    @Test
    void aBacklogOfFourShardsReadByOneReaderLosesNoEventToLateness() throws Exception {
        try (KinesisLocal kinesis = KinesisLocal.start(StandInTools.DIR)) {
            String arn = kinesis.createStream("backlog", 4);
            long expected = kinesis.putDemo("backlog", SCENARIO, 0, RECORDS);
            List<byte[]> closing = new ArrayList<>();
            for (int i = 0; i < 40; i++) { // random partition keys: every shard gets some
                closing.add(Records.cwl("/ecs/closing", "closing-" + i, CLOSING.toEpochMilli(),
                        "{\"@timestamp\":\"" + CLOSING + "\",\"level\":\"INFO\",\"message\":\"closing\"}"));
            }
            kinesis.put("backlog", closing);

            Path lakePath = work.resolve("lake");
            NagareConfig config = StandInTools.kinesisSource(kinesis, NagareConfig.defaults(), arn)
                    .with("lake.path", lakePath.toString())
                    .with("job.watermark.idle-timeout", "30 s");
            StreamExecutionEnvironment env = MiniClusters.environment();
            env.setParallelism(1);
            NagarePipeline.from(config).source(KinesisSource.create(config, name -> null)).outputs().attachTo(env);
            JobClient job = env.executeAsync("kinesis-backlog-it");
            try {
                Lakes.awaitRows(lakePath, "logs", expected + closing.size(), Duration.ofMinutes(3));
                // 30 minutes x (app, lambda, mysql_audit, cloudtrail ...) rollup rows: wait for the last minute's.
                Await.until(() -> rollupSum(lakePath), sum -> sum >= expected, Duration.ofMinutes(2));
                // Running jobs report accumulators with their heartbeats: wait for every record to be counted.
                Map<String, Object> accumulators = Await.until(() -> job.getAccumulators().get(10, TimeUnit.SECONDS),
                        a -> a.get(Tally.PREFIX + "records") != null
                                && ((Number) a.get(Tally.PREFIX + "records")).longValue() >= RECORDS + 40,
                        Duration.ofMinutes(1));
                try (Lakes lake = new Lakes(lakePath, "logs", "metrics_1m")) {
                    long rows = lake.count("SELECT count(*) FROM logs WHERE event_time < TIMESTAMP '2024-03-05 09:30:00'");
                    assertThat(rows).isEqualTo(expected);
                    assertThat(lake.count("SELECT sum(event_count) FROM metrics_1m WHERE window_end <= TIMESTAMP '2024-03-05 09:30:00'"))
                            .isEqualTo(rows);
                    assertThat(lake.count("SELECT count(DISTINCT log_stream) FROM logs")).isGreaterThan(1);
                }
                // The accumulators are read (records counted), and no event was late.
                assertThat(((Number) accumulators.get(Tally.PREFIX + "records")).longValue()).isEqualTo(RECORDS + closing.size());
                assertThat(accumulators.get(Tally.PREFIX + "lateEvents")).isNull();
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static long rollupSum(Path lakePath) throws Exception {
        try (Lakes lake = new Lakes(lakePath, "metrics_1m")) {
            return lake.count("SELECT coalesce(sum(event_count), 0) FROM metrics_1m WHERE window_end <= TIMESTAMP '2024-03-05 09:30:00'");
        } catch (Exception e) {
            return 0; // no file committed yet
        }
    }
}
