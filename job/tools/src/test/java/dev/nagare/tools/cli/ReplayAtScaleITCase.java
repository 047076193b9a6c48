package dev.nagare.tools.cli;

import dev.nagare.job.source.demo.DemoRecord;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.testing.Lakes;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code nagare replay} of a capture of production size: 75,000 records, over 200,000 events, the
 * size whose event-id state once outgrew the JobManager's in-memory checkpoint storage so that the
 * replay never finished. The replay runs on its own local cluster, as the command does, with
 * durable checkpoints and RocksDB and with restarts off: it must finish, with every event in the
 * lake exactly once.
 */
class ReplayAtScaleITCase {
    static final DemoScenario SCENARIO = new DemoScenario(3, Instant.parse("2024-03-05T09:00:00Z"), 40);
    static final int RECORDS = 75_000;

    @TempDir
    Path dir;

    @Test
    void aReplayOfTwoHundredThousandEventsFinishesWithEveryEventOnce() throws Exception {
        Path capture = dir.resolve("capture.jsonl");
        long expected = 0;
        try (BufferedWriter out = Files.newBufferedWriter(capture)) {
            for (int i = 0; i < RECORDS; i++) {
                DemoRecord record = SCENARIO.record(i);
                expected += record.validEvents();
                Long arrival = record.arrivalMillis();
                out.write("{\"ApproximateArrivalTimestamp\":" + (arrival == null ? "null" : arrival / 1000.0)
                        + ",\"Data\":\"" + Base64.getEncoder().encodeToString(record.toBytes()) + "\"}\n");
            }
        }
        assertThat(expected).isGreaterThan(200_000);
        Path config = dir.resolve("config.json");
        Files.writeString(config, "[{\"PropertyGroupId\":\"lake\",\"PropertyMap\":{\"path\":\"" + dir.resolve("lake") + "\"}},"
                + "{\"PropertyGroupId\":\"job\",\"PropertyMap\":{\"checkpoint.interval\":\"2 s\"}},"
                + "{\"PropertyGroupId\":\"alerts\",\"PropertyMap\":{\"print\":\"false\"}}]");

        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        int code = Nagare.execute(new PrintStream(buffer, true, StandardCharsets.UTF_8), new PrintStream(progress, true, StandardCharsets.UTF_8),
                "replay", "--config", config.toString(), "--progress-every", "1", capture.toString());
        String output = buffer.toString(StandardCharsets.UTF_8);
        // Long work shows itself: progress lines on stderr while the job runs, with the total to read.
        assertThat(progress.toString(StandardCharsets.UTF_8))
                .containsPattern("replay: records [0-9,]+ of " + String.format("%,d", RECORDS) + "  events [0-9,]+ \\([0-9,]+/s\\)  alerts [0-9,]+  elapsed 0:00:[0-9]{2}");
        // Restarts are off in a replay: exit code 0 means it ran through without one.
        assertThat(code).as(output).isZero();
        assertThat(output).contains(String.format("  records read        %,d%n", RECORDS));
        try (Lakes lake = new Lakes(dir.resolve("lake"), "logs")) {
            assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(expected);
            assertThat(lake.count("SELECT count(DISTINCT (account, log_group, log_stream, event_id)) FROM logs")).isEqualTo(expected);
        }
        // The temporary checkpoint folder is gone.
        try (var left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(left.filter(p -> p.getFileName().toString().startsWith("nagare-replay-checkpoints"))).isEmpty();
        }
    }
}
