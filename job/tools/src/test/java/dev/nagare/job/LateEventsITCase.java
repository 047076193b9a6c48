package dev.nagare.job;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.metrics.Tally;
import dev.nagare.tools.local.KinesisLocal;
import dev.nagare.job.testing.Await;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;
import dev.nagare.tools.testing.StandInTools;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events that arrive after the watermark has passed them: they land in the partition of their own
 * event time, are counted ({@code nagare.lateEvents}), and do not re-fire the one-minute windows
 * that closed before they came. The stream is real (kinesis-local), so the late batch is put only
 * once the watermark is known to be past it: the rollup of its minute is already in the lake.
 */
class LateEventsITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    private static final long T0 = Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();
    /**
     * In order: one event every 10 s from 10:00:00 to 10:03:50, so the watermark passes 10:03. The
     * stream has one shard, so one reader is idle (after {@code job.watermark.idle-timeout}) and
     * the other's watermark leads; idleness never moves a watermark, it stops holding one back.
     */
    private static final int IN_ORDER = 24;
    private static final int LATE = 3;

    @TempDir
    Path work;

    @Test
    void lateEventsLandInTheirPartitionAreCountedAndDoNotRefireClosedWindows() throws Exception {
        try (KinesisLocal kinesis = KinesisLocal.start(StandInTools.DIR)) {
            String arn = kinesis.createStream("late", 1);
            List<byte[]> inOrder = new ArrayList<>();
            for (int i = 0; i < IN_ORDER; i++) {
                inOrder.add(app("in-order-" + i, T0 + i * 10_000L));
            }
            kinesis.put("late", inOrder);

            Path lakePath = work.resolve("lake");
            NagareConfig config = StandInTools.kinesisSource(kinesis, NagareConfig.defaults(), arn)
                    .with("lake.path", lakePath.toString());
            JobClient job = MiniClusters.startKinesisJob(config, "late-events-it");
            try {
                // The rollup of 10:00, 10:01 and 10:02 is written: the watermark is past 10:03.
                assertThat(Lakes.awaitRows(lakePath, "metrics_1m", 3, Duration.ofMinutes(2))).isEqualTo(3);

                List<byte[]> late = new ArrayList<>();
                for (int i = 0; i < LATE; i++) {
                    late.add(app("late-" + i, T0 + 15_000 + i)); // 10:00:15, long closed
                }
                kinesis.put("late", late);
                // Then an event of 10:06 closes the window of 10:03. Its rollup row can only be
                // committed with a checkpoint whose barrier followed the late events, so once it is
                // in the lake, anything the late events could have re-fired is there too.
                kinesis.put("late", List.of(app("marker", T0 + 6 * 60_000L)));
                assertThat(Lakes.awaitRows(lakePath, "metrics_1m", 4, Duration.ofMinutes(2))).isEqualTo(4);
                assertThat(Lakes.awaitRows(lakePath, "logs", IN_ORDER + LATE + 1, Duration.ofMinutes(2)))
                        .isEqualTo(IN_ORDER + LATE + 1);
                assertThat(awaitLateCount(job, LATE, Duration.ofMinutes(1))).isEqualTo(LATE);

                try (Lakes lake = new Lakes(lakePath, "logs", "metrics_1m")) {
                    assertThat(lake.lines("SELECT dt, hr, count(*) FROM logs WHERE event_id LIKE 'late-%' GROUP BY 1, 2"))
                            .containsExactly("2024-06-01|10|3");
                    // The window 10:00 closed with its 6 in-order events and was not fired again.
                    assertThat(lake.lines("SELECT strftime(window_start, '%H:%M'), event_count FROM metrics_1m ORDER BY 1"))
                            .containsExactly("10:00|6", "10:01|6", "10:02|6", "10:03|6");
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static byte[] app(String id, long time) {
        return Records.cwl("/ecs/orders-api", id, time,
                "{\"@timestamp\":\"" + Instant.ofEpochMilli(time) + "\",\"level\":\"INFO\",\"message\":\"ok\"}");
    }

    /** The job's late-event accumulator; running jobs report accumulators with their heartbeats. */
    private static long awaitLateCount(JobClient job, long expected, Duration timeout) throws Exception {
        return Await.until(() -> {
            Object value = job.getAccumulators().get(10, TimeUnit.SECONDS).get(Tally.PREFIX + "lateEvents");
            return value == null ? 0L : ((Number) value).longValue();
        }, found -> found >= expected, timeout);
    }
}
