package dev.nagare.job.lake;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;

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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code metrics_1m} rollup on a MiniCluster, read back with DuckDB: three accounts run a
 * service of the same name (prod, staging, a sandbox), in records that tie on one timestamp at a
 * minute's edge. Each account keeps its own counts, and every row of the rollup equals the same
 * count taken independently from the {@code logs} table.
 */
class RollupITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final long T0 = Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();
    static final String[] ACCOUNTS = {"111111111111", "222222222222", "333333333333"};

    @TempDir
    Path work;

    @Test
    void eachAccountKeepsItsOwnCountsAndEveryRowMatchesTheLogs() throws Exception {
        List<byte[]> records = new ArrayList<>();
        for (int minute = 0; minute < 3; minute++) {
            for (int a = 0; a < ACCOUNTS.length; a++) {
                // Account a sends (a + 1) x 10 events a minute, a fifth of them errors; the first
                // record of every minute is at the minute's first millisecond in every account.
                int events = (a + 1) * 10;
                String[] lines = new String[events];
                for (int i = 0; i < events; i++) {
                    lines[i] = "{\"level\":\"" + (i % 5 == 0 ? "ERROR" : "INFO") + "\",\"message\":\"request " + i + "\"}";
                }
                records.add(Records.cwlFrom(ACCOUNTS[a], "/ecs/ledger-api", "a" + a + "-m" + minute, T0 + minute * 60_000L, lines));
            }
        }
        Path lakePath = work.resolve("lake");
        StreamExecutionEnvironment env = MiniClusters.environment();
        NagarePipeline.from(NagareConfig.defaults().with("lake.path", lakePath.toString()))
                .source(Records.source(records)).outputs().attachTo(env);
        MiniClusters.awaitFinished(env.executeAsync("rollup-it"), Duration.ofMinutes(3));

        try (Lakes lake = new Lakes(lakePath, "logs", "metrics_1m")) {
            assertThat(lake.lines("SELECT account, level, event_count FROM metrics_1m "
                    + "WHERE service = 'ledger-api' AND window_start = TIMESTAMP '2024-06-01 10:01:00' ORDER BY 1, 2"))
                    .containsExactly(
                            "111111111111|ERROR|2", "111111111111|INFO|8",
                            "222222222222|ERROR|4", "222222222222|INFO|16",
                            "333333333333|ERROR|6", "333333333333|INFO|24");
            // Every row of the rollup is the count of the same group and minute in the logs, and
            // no group is missing.
            String rollup = "SELECT strftime(window_start, '%H:%M'), account, log_type, service, level, event_count FROM metrics_1m";
            String fromLogs = "SELECT strftime(date_trunc('minute', event_time), '%H:%M'), account, log_type, service, level, count(*) "
                    + "FROM logs GROUP BY ALL";
            List<String> expected = lake.lines(fromLogs + " ORDER BY ALL");
            assertThat(expected).hasSize(3 * ACCOUNTS.length * 2);
            assertThat(lake.lines(rollup + " ORDER BY ALL")).isEqualTo(expected);
        }
    }
}
