package dev.nagare.tools.cli;

import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.udf.KinesisRecords;

import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code nagare replay} on the example Kinesis records, captured as base64 lines. */
class ReplayITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    @TempDir
    Path dir;

    @Test
    void replaysTheExampleRecordsIntoTheLakeAndSummarises() throws Exception {
        List<String> args = new ArrayList<>();
        Path config = dir.resolve("config.json");
        Files.writeString(config, "[{\"PropertyGroupId\":\"lake\",\"PropertyMap\":{\"path\":\"" + dir.resolve("lake") + "\"}},"
                + "{\"PropertyGroupId\":\"job\",\"PropertyMap\":{\"checkpoint.interval\":\"1 s\"}},"
                + "{\"PropertyGroupId\":\"alerts\",\"PropertyMap\":{\"print\":\"false\"}}]");
        args.add("--config");
        args.add(config.toString());
        // The example records as `aws kinesis get-records ... | jq -c '.Records[]'` captures them: JSON
        // lines with the base64 data and the arrival time (AWS CLI v2 prints ISO-8601; epoch seconds are read too).
        List<String> captured = new ArrayList<>();
        for (String name : KinesisRecords.NAMES) {
            String data = Base64.getEncoder().encodeToString(KinesisRecords.of(name));
            String arrival = captured.size() % 2 == 0 ? "\"2024-06-01T10:30:00.000000+00:00\"" : "1717237800.25";
            captured.add("{\"SequenceNumber\":\"4959" + captured.size() + "\",\"ApproximateArrivalTimestamp\":" + arrival
                    + ",\"Data\":\"" + data + "\",\"PartitionKey\":\"k\"}");
        }
        // A folder with a space: each path reaches the file source as one argument, unescaped.
        Path capture = Files.createDirectories(dir.resolve("captured records")).resolve("capture.jsonl");
        Files.write(capture, captured);
        args.add(capture.toString());
        // One more file of bare payloads: a comment, a blank line and a line that is not base64. Bare
        // payloads carry no arrival time, so that line, with no time of its own, is a dead letter.
        Path extra = dir.resolve("capture.txt");
        Files.writeString(extra, "# captured with: aws kinesis get-records ... | jq -r '.Records[].Data'\n\nnot base64 at all!\n");
        args.add(extra.toString());

        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code = run(buffer, args.toArray(new String[0]));
        String output = buffer.toString(StandardCharsets.UTF_8);
        assertThat(code).as(output).isZero();
        assertThat(output).contains(
                "  records read        7\n",
                "  events              26\n",
                "    cloudtrail        6\n",
                "    lambda            7\n",
                "    mysql_audit       6\n",
                "    postgres_audit    2\n",
                "    text              4\n",
                "  dead letters        1\n",
                "  control messages    1\n",
                "  alerts              2\n",
                "    aws_console_login_without_mfa 1\n",
                "    aws_root_activity             1\n");
        try (Lakes lake = new Lakes(dir.resolve("lake"), "logs", "alerts")) {
            assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(26);
            // Partitions by the events' own time, or their record's arrival time: never the wall clock.
            assertThat(lake.lines("SELECT DISTINCT dt, hr FROM logs ORDER BY 1, 2")).containsExactly("2024-06-01|10");
            assertThat(lake.count("SELECT count(*) FROM logs WHERE message = 'not base64 at all!'")).isZero();
            assertThat(lake.count("SELECT count(DISTINCT alert_id) FROM alerts")).isEqualTo(2);
        }
    }

    @Test
    void aMissingFileIsOneClearLine() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code = run(buffer, dir.resolve("nope.b64").toString());
        assertThat(code).isEqualTo(2);
        assertThat(buffer.toString(StandardCharsets.UTF_8))
                .isEqualTo("nagare: Invalid configuration: replay file " + dir.resolve("nope.b64") + " does not exist\n");
    }

    /** The nagare command, its output and errors into one buffer. */
    private static int run(ByteArrayOutputStream buffer, String... args) {
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        String[] command = new String[args.length + 1];
        command[0] = "replay";
        System.arraycopy(args, 0, command, 1, args.length);
        return Nagare.execute(out, out, command);
    }
}
