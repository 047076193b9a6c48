package dev.nagare.job;

import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.demo.DemoRecord;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.source.demo.DemoSource;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole pipeline on a MiniCluster: a bounded demo stream of 20 simulated minutes that
 * crosses midnight, through decoding, parsing, the bundled rules and the Parquet lake, read back
 * with DuckDB.
 */
class NagarePipelineITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    /** 23:55 UTC, so the run crosses into the next day and hour. */
    static final Instant START = Instant.parse("2024-06-01T23:55:00Z");
    static final int RATE = 5;
    /** 20 simulated minutes at 5 records per second. */
    static final long RECORDS = 20 * 60 * RATE;

    static final DemoScenario SCENARIO = new DemoScenario(42, START, RATE);

    @TempDir
    static Path work;

    static Lakes lake;

    @BeforeAll
    static void runPipeline() throws Exception {
        Path lakePath = work.resolve("lake");
        NagareConfig config = NagareConfig.defaults()
                .with("lake.path", lakePath.toString())
                .with("job.watermark.out-of-orderness", "5 s");
        StreamExecutionEnvironment env = MiniClusters.environment();
        NagarePipeline.from(config).source(DemoSource.create(SCENARIO, RECORDS, RateLimiterStrategy.noOp())).outputs(AlertOutput.print())
                .attachTo(env);
        MiniClusters.awaitFinished(env.executeAsync("nagare-it"), Duration.ofMinutes(3));
        lake = new Lakes(lakePath, "logs", "alerts", "dead_letter", "metrics_1m");
    }

    @Test
    void everyGeneratedEventIsInTheLakeOnce() throws Exception {
        long expected = 0;
        for (long i = 0; i < RECORDS; i++) {
            expected += SCENARIO.record(i).validEvents();
        }
        assertThat(expected).isGreaterThan(10_000);
        assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(expected);
        assertThat(lake.count("SELECT count(DISTINCT event_id) FROM logs")).isEqualTo(expected);
        assertThat(lake.count("SELECT sum(event_count) FROM metrics_1m")).isEqualTo(expected);
    }

    @Test
    void partitionsFollowEventTime() throws Exception {
        assertThat(lake.count("SELECT count(*) FROM logs WHERE dt <> strftime(event_time, '%Y-%m-%d')"
                + " OR hr <> strftime(event_time, '%H')")).isZero();
        assertThat(lake.lines("SELECT DISTINCT dt, hr FROM logs ORDER BY 1, 2"))
                .containsExactly("2024-06-01|23", "2024-06-02|00");
        assertThat(lake.lines("SELECT DISTINCT log_type FROM logs ORDER BY 1"))
                .containsExactly("app", "cloudtrail", "lambda", "mysql_audit");
        assertThat(lake.lines("SELECT strftime(min(event_time), '%Y-%m-%d %H:%M:%S.%g'), "
                + "strftime(max(event_time), '%Y-%m-%d %H:%M:%S') FROM logs"))
                .containsExactly("2024-06-01 23:55:00.000|2024-06-02 00:14:59");
        // The watermark passed every partition at the end of the input: each one is closed.
        try (Stream<Path> files = Files.walk(work.resolve("lake/logs"))) {
            List<Path> markers = files.filter(p -> p.getFileName().toString().equals("_SUCCESS")).collect(Collectors.toList());
            assertThat(markers).hasSize(8); // 4 log types x 2 hours
        }
    }

    @Test
    void rulesFireOnTheInjectedIncidentsAndNothingElse() throws Exception {
        assertThat(lake.lines("SELECT DISTINCT rule_id, severity, group_key, strftime(window_start, '%Y-%m-%d %H:%M:%S.%g') "
                + "FROM alerts ORDER BY 4, 1"))
                .containsExactly(
                        "app_error_rate|high|orders-api|2024-06-02 00:00:00.000",
                        "db_privilege_change|high|dba_temp@203.0.113.50|2024-06-02 00:03:01.400",
                        "app_error_rate|high|payments-api|2024-06-02 00:10:00.000",
                        // By then payments-api has ten minutes of history: the burst is also a spike.
                        "app_error_spike|medium|payments-api|2024-06-02 00:10:00.000");
        // The GRANT ten minutes later is the same incident (dedup 1h): merged, not paged again.
        assertThat(lake.lines("SELECT event_count FROM alerts WHERE rule_id = 'db_privilege_change' ORDER BY 1"))
                .containsExactly("1", "2");
        assertThat(lake.lines("SELECT summary FROM alerts WHERE rule_id = 'db_privilege_change' ORDER BY event_count"))
                .containsExactly("privilege change by dba_temp from 203.0.113.50: "
                                + "GRANT ALL PRIVILEGES ON *.* TO 'mallory'@'%' WITH GRANT OPTION",
                        "privilege change by dba_temp from 203.0.113.50: "
                                + "GRANT ALL PRIVILEGES ON *.* TO 'mallory'@'%' WITH GRANT OPTION (+1 merged matches until 2024-06-02T00:13:01.400)");
        // The error-rate alert counts the window's events and says how many were errors.
        for (List<Object> row : lake.rows("SELECT event_count, summary, details FROM alerts WHERE rule_id = 'app_error_rate'")) {
            assertThat((Long) row.get(0)).isGreaterThanOrEqualTo(20);
            assertThat((String) row.get(1)).matches("(orders|payments)-api: \\d+ of " + row.get(0) + " events were errors");
            assertThat((String) row.get(2)).contains("\"threshold\":0.2");
        }
        assertThat(lake.count("SELECT count(DISTINCT alert_id) FROM alerts WHERE regexp_matches(alert_id, '^[0-9a-f]{32}$')"))
                .isEqualTo(4);
    }

    @Test
    void undecodableRecordsAndUnparseableLinesAreDeadLetters() throws Exception {
        long truncated = 0;
        long notJson = 0;
        long malformed = 0;
        for (long i = 0; i < RECORDS; i++) {
            DemoRecord r = SCENARIO.record(i);
            truncated += r.kind() == DemoRecord.Kind.TRUNCATED_GZIP ? 1 : 0;
            notJson += r.kind() == DemoRecord.Kind.NOT_JSON_GZIP ? 1 : 0;
            malformed += r.kind() == DemoRecord.Kind.DATA ? r.deadLetters() : 0;
        }
        assertThat(truncated).isPositive();
        assertThat(notJson).isPositive();
        assertThat(malformed).isPositive();
        assertThat(lake.lines("SELECT stage, reason, count(*) FROM dead_letter GROUP BY 1, 2 ORDER BY 1, 2"))
                .containsExactly(
                        "decode|gzip payload is not a CloudWatch Logs envelope (no JSON object)|" + notJson,
                        "decode|truncated gzip stream|" + truncated,
                        "parse|MySQL audit line has 6 fields, expected 10 to 12|" + malformed);
        // Undecodable bytes cannot be masked in place: only their hash and a masked text preview are kept.
        assertThat(lake.count("SELECT count(*) FROM dead_letter WHERE stage = 'decode' AND starts_with(from_base64(raw_base64)::VARCHAR, 'sha256:') AND truncated"))
                .isEqualTo(truncated + notJson);
        assertThat(lake.lines("SELECT DISTINCT log_group FROM dead_letter WHERE stage = 'parse'"))
                .containsExactly(DemoScenario.AUDIT_LOG_GROUP);
    }
}
