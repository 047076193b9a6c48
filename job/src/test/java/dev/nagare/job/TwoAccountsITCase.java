package dev.nagare.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.testing.HttpStub;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two AWS accounts (prod and staging) run the same service, database user and Lambda function
 * names, and both send their logs into one stream, as CloudWatch Logs cross-account delivery
 * does. Each account's incident pages once, with its account in the alert and the Slack message;
 * the quiet account never pages, and no window mixes the two accounts' events.
 */
class TwoAccountsITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final String PROD = "111122223333";
    static final String STAGING = "444455556666";
    static final Instant T0 = Instant.parse("2024-03-05T10:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;

    static HttpStub webhook;
    static Lakes lake;

    @BeforeAll
    static void run() throws Exception {
        webhook = new HttpStub();
        List<byte[]> records = new ArrayList<>();
        long t = T0.toEpochMilli();
        // ledger-api in both accounts, in the same minute: prod fails a third of its requests,
        // staging a third too (a separate incident), and a third service is healthy in both.
        records.add(app(PROD, "ledger-api", t, 30, 3));
        records.add(app(STAGING, "ledger-api", t + 10, 45, 3));
        records.add(app(PROD, "quotes-api", t, 40, 0));
        records.add(app(STAGING, "quotes-api", t, 40, 0));
        // The function settle times out in prod only; staging's runs are fine.
        records.add(Records.cwlFrom(PROD, "/aws/lambda/settle", "settle-prod", t + 20_000,
                "REPORT RequestId: 9e1f3a5c-7b2d-4e6f-8a0c-1b3d5f7a9c2e\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
                        + "Memory Size: 512 MB\tMax Memory Used: 74 MB\tStatus: timeout"));
        records.add(Records.cwlFrom(STAGING, "/aws/lambda/settle", "settle-staging", t + 20_000,
                "REPORT RequestId: 5b0e6d1a-9c4f-4e7b-8a2d-3f1c0b9e7d64\tDuration: 31.27 ms\tBilled Duration: 32 ms\t"
                        + "Memory Size: 256 MB\tMax Memory Used: 88 MB\t"));
        // The same private address in both VPCs: 12 failed logins in prod, 6 in staging.
        records.add(failedLogins(PROD, "prod", t + 30_000, 12));
        records.add(failedLogins(STAGING, "staging", t + 30_000, 6));
        // Later events close the windows.
        records.add(app(PROD, "quotes-api", t + 5 * 60_000, 1, 0));

        Path lakePath = work.resolve("lake");
        NagareConfig config = NagareConfig.defaults()
                .with("lake.path", lakePath.toString())
                .with("job.watermark.out-of-orderness", "5 s")
                .with("alerts.webhook.url", webhook.baseUrl() + "/services/T0001/B0001/two-accounts")
                .with("alerts.rate-limit", "50");
        StreamExecutionEnvironment env = MiniClusters.environment();
        NagarePipeline.from(config).source(Records.source(records)).outputs(AlertOutput.destinations(config, name -> null)).attachTo(env);
        MiniClusters.awaitFinished(env.executeAsync("two-accounts-it"), Duration.ofMinutes(3));
        lake = new Lakes(lakePath, "alerts");
    }

    @AfterAll
    static void stop() {
        webhook.close();
    }

    @Test
    void eachAccountsIncidentPagesOnceWithItsAccountAndOwnCount() throws Exception {
        // One incident per row (the lake also holds an incident's final merged row under the same id).
        assertThat(lake.lines("SELECT rule_id, account, group_key, min(event_count) FROM alerts "
                + "GROUP BY alert_id, rule_id, account, group_key ORDER BY 1, 2"))
                .containsExactly(
                        "app_error_rate|" + PROD + "|ledger-api|30",
                        "app_error_rate|" + STAGING + "|ledger-api|45",
                        "db_failed_login_burst|" + PROD + "|10.0.0.5|10",
                        "lambda_timeouts_or_oom|" + PROD + "|settle|1");
        assertThat(lake.count("SELECT count(DISTINCT alert_id) FROM alerts")).isEqualTo(4);
    }

    @Test
    void theSlackMessageNamesTheAccount() {
        List<String> texts = webhook.requests().stream()
                .filter(r -> r.path.startsWith("/services/"))
                .map(r -> json(r.body).get("text").asText())
                .sorted()
                .collect(Collectors.toList());
        assertThat(texts).hasSize(4);
        assertThat(texts.stream().filter(s -> s.contains("(account " + PROD + ")")).count()).isEqualTo(3);
        assertThat(texts.stream().filter(s -> s.contains("(account " + STAGING + ")")).count()).isEqualTo(1);
        assertThat(texts).anySatisfy(s -> assertThat(s).contains("(account " + STAGING + ")").contains("ledger-api"));
        List<String> accountFields = webhook.requests().stream()
                .filter(r -> r.path.startsWith("/services/"))
                .map(r -> json(r.body).get("blocks").toString())
                .filter(b -> b.contains("*Account*"))
                .collect(Collectors.toList());
        assertThat(accountFields).hasSize(4);
    }

    /** {@code events} JSON lines of a service in one record, every {@code errorEvery}-th an ERROR (0: none). */
    static byte[] app(String account, String service, long at, int events, int errorEvery) {
        String[] lines = new String[events];
        for (int i = 0; i < events; i++) {
            String level = errorEvery > 0 && i % errorEvery == 0 ? "ERROR" : "INFO";
            lines[i] = "{\"@timestamp\":\"" + Instant.ofEpochMilli(at + i * 100L) + "\",\"level\":\"" + level
                    + "\",\"message\":\"request " + i + "\"}";
        }
        return Records.cwlFrom(account, "/ecs/" + service, service + "-" + account + "-" + at, at, lines);
    }

    static byte[] failedLogins(String account, String prefix, long at, int count) {
        String[] lines = new String[count];
        for (int i = 0; i < count; i++) {
            lines[i] = ((at + i * 1000L) * 1000) + ",exchange-db-1,admin,10.0.0.5," + (4000 + i) + ",0,FAILED_CONNECT,,,1045";
        }
        return Records.cwlFrom(account, "/aws/rds/cluster/exchange-db/audit", prefix + "-logins", at, lines);
    }

    static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
