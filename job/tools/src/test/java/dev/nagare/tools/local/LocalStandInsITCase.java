package dev.nagare.tools.local;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.source.demo.DemoSource;
import dev.nagare.job.testing.Await;
import dev.nagare.job.testing.Lakes;
import dev.nagare.tools.testing.StandInTools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The local run with stand-ins, as {@code mvn -Prun-standins package} starts it: the shipped
 * {@code conf/local-standins.json} (production keys) with free ports, kinesis-local, S3Proxy and
 * the alert endpoint started by the run itself, the demo generator fed into the stream. The lake
 * is read back from S3 with DuckDB, alerts are taken from the endpoint, and after the run is
 * closed every port is free again.
 */
class LocalStandInsITCase {
    /** Nine simulated minutes of records, fed as a backlog: the incidents of minutes 5 and 8 are in it. */
    private static final int RATE = 5;
    private static final long RECORDS = 9 * 60 * RATE;

    @TempDir
    Path work;

    @Test
    void runsTheProductionKeysAgainstStandInsItStartsItself() throws Exception {
        int kinesisPort = Ports.free();
        int s3Port = Ports.free();
        int webhookPort = Ports.free();
        int webUiPort = Ports.free();
        Instant start = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(9));
        NagareConfig config = ConfigLoader.load(new String[] {"--config", "../../conf/local-standins.json"})
                .with("source.kinesis.endpoint", "http://127.0.0.1:" + kinesisPort)
                .with("local.s3.endpoint", "http://127.0.0.1:" + s3Port)
                .with("alerts.webhook.url", "http://127.0.0.1:" + webhookPort + "/hooks/nagare")
                .with("local.web-ui.port", Integer.toString(webUiPort))
                .with("local.checkpoint.dir", work.resolve("checkpoints").toString())
                .with("job.checkpoint.interval", "2 s")
                .with("source.demo.start", start.toString())
                .with("source.demo.rate", Integer.toString(RATE))
                .with("source.demo.records", Long.toString(RECORDS));
        DemoScenario scenario = DemoSource.scenario(config);
        long expected = 0;
        for (long i = 0; i < RECORDS; i++) {
            expected += scenario.record(i).validEvents();
        }

        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8);
        try (LocalRun run = LocalRun.start(NagarePipeline.from(config).environment(name -> null),
                StandInTools.DIR, out, out)) {
            AlertEndpoint webhook = run.standIns().flatMap(StandIns::alertEndpoint).orElseThrow();

            Path copy = StandInTools.awaitS3Rows("s3://nagare-lake/nagare", "logs", expected, Duration.ofMinutes(3), work);
            try (Lakes lake = new Lakes(copy, "logs")) {
                assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(expected);
                assertThat(lake.count("SELECT count(DISTINCT event_id) FROM logs")).isEqualTo(expected);
                assertThat(lake.count("SELECT count(*) FROM logs WHERE dt <> strftime(event_time, '%Y-%m-%d')")).isZero();
            }
            assertThat(run.standIns().orElseThrow().feeder().fed()).isEqualTo(RECORDS);

            // The two incidents of the backlog reach the webhook stand-in as Slack messages.
            List<String> bodies = Await.until(webhook::received,
                    received -> pagedFor(received, "app_error_rate", "db_privilege_change"), Duration.ofMinutes(1));
            assertThat(pagedFor(bodies, "app_error_rate", "db_privilege_change")).as("webhook bodies: %s", bodies).isTrue();
            assertThat(console.toString(StandardCharsets.UTF_8))
                    .contains("stand-in kinesis-local: http://127.0.0.1:" + kinesisPort)
                    .contains("webhook <- [HIGH] ");
            assertThat(run.statusLine()).contains("RUNNING").contains("fed to stream 2,700");
        }

        // Closed: the job is gone and so is every stand-in (the MiniCluster stops just after the job).
        for (int port : List.of(kinesisPort, s3Port, webhookPort, webUiPort)) {
            Await.until(() -> isFree(port), free -> free, Duration.ofSeconds(30));
            assertThatCode(() -> Ports.requireFree(port, "port " + port)).doesNotThrowAnyException();
        }
    }

    private static boolean isFree(int port) {
        try {
            Ports.requireFree(port, "port " + port);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static boolean pagedFor(List<String> bodies, String... rules) {
        for (String rule : rules) {
            if (bodies.stream().noneMatch(body -> body.contains("*Rule*\\n" + rule))) {
                return false;
            }
        }
        return true;
    }
}
