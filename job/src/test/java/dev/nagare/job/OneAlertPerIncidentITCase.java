package dev.nagare.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.testing.HttpStub;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A burst of 200 privilege changes by one user from one host is one incident: one page, and the
 * lake holds the merged count. The job fails once mid-run and restarts from its checkpoint; the
 * incident still pages once, under the same id.
 */
class OneAlertPerIncidentITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final long T0 = 1717236900000L; // 2024-06-01T10:15:00Z
    static final int BURST = 200;
    static final int RECORDS = 400;
    static final int FAIL_AT = 300;
    static final AtomicBoolean FAILED_ONCE = new AtomicBoolean();

    @TempDir
    Path work;

    /** Record i: 200 GRANT statements one per second, then ordinary application logs. */
    static byte[] record(long i) {
        long time = T0 + i * 1000;
        if (i < BURST) {
            return Records.cwl("/aws/rds/cluster/exchange-db/audit", "grant-" + i, time,
                    (time * 1000) + ",exchange-db-1,dba_temp,203.0.113.50,48999," + (771300000 + i)
                            + ",QUERY,mysql,'GRANT SELECT ON exchange.t" + i + " TO \\'mallory\\'@\\'%\\'',0");
        }
        return Records.cwl("/ecs/orders-api", "app-" + i, time,
                "{\"@timestamp\":\"" + java.time.Instant.ofEpochMilli(time) + "\",\"level\":\"INFO\",\"message\":\"ok\"}");
    }

    /** The records, failing once at record FAIL_AT: the task fails and the job restarts from a checkpoint. */
    static final class FailingOnce implements GeneratorFunction<Long, KinesisRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public KinesisRecord map(Long index) {
            if (index == FAIL_AT && FAILED_ONCE.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure at record " + index);
            }
            return KinesisRecord.of(record(index), null);
        }
    }

    /** Runs the burst; returns the pages the webhook got as "alert_id count". */
    private List<String> run(Path lakePath, boolean failOnce) throws Exception {
        FAILED_ONCE.set(!failOnce);
        try (HttpStub webhook = new HttpStub()) {
            webhook.respondWith(r -> HttpStub.Response.of(200));
            NagareConfig config = NagareConfig.defaults()
                    .with("lake.path", lakePath.toString())
                    .with("job.watermark.out-of-orderness", "5 s")
                    .with("alerts.webhook.url", webhook.baseUrl() + "/hooks/incident")
                    .with("alerts.webhook.format", "json")
                    .with("alerts.rate-limit", "50");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            Configuration conf = new Configuration();
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
            env.configure(conf);
            env.setParallelism(MiniClusters.PARALLELISM);
            env.enableCheckpointing(300);
            // Throttled, so checkpoints complete between the burst and the injected failure.
            RecordSource source = RecordSource.single(new DataGeneratorSource<>(new FailingOnce(), RECORDS,
                    RateLimiterStrategy.perSecond(100), RecordSource.TYPE));
            NagarePipeline.from(config).source(source).outputs(AlertOutput.destinations(config, name -> null))
                    .attachTo(env);
            MiniClusters.awaitFinished(env.executeAsync("one-alert-per-incident-it"), Duration.ofMinutes(3));
            assertThat(FAILED_ONCE).as("the injected failure happened").isTrue();
            ObjectMapper json = new ObjectMapper();
            List<String> pages = new ArrayList<>();
            for (HttpStub.Request request : webhook.requests()) {
                pages.add(json.readTree(request.body).get("alert_id").asText() + " " + json.readTree(request.body).get("event_count").asLong());
            }
            return pages;
        }
    }

    @Test
    void aBurstOf200MatchesPagesOnceAndTheLakeHasTheCount() throws Exception {
        Path lakePath = work.resolve("lake");
        List<String> pages = run(lakePath, false);
        assertThat(pages).as("one page for 200 matches").hasSize(1);
        String alertId = pages.get(0).split(" ")[0];
        assertLake(lakePath, alertId);
    }

    @Test
    void aRestartFromACheckpointPagesNoIncidentUnderANewId() throws Exception {
        Path lakePath = work.resolve("lake-restart");
        List<String> pages = run(lakePath, true);
        // A page sent after the last checkpoint is sent again after the restart, under the same id.
        Set<String> ids = pages.stream().map(p -> p.split(" ")[0]).collect(Collectors.toSet());
        assertThat(ids).hasSize(1);
        assertThat(ids).containsExactly(pages.get(0).split(" ")[0]);
        // The lake is exactly-once: the same two rows as without the failure.
        assertLake(lakePath, ids.iterator().next());
    }

    private static void assertLake(Path lakePath, String alertId) throws Exception {
        try (Lakes lake = new Lakes(lakePath, "alerts", "logs")) {
            assertThat(lake.count("SELECT count(*) FROM logs WHERE db_user = 'dba_temp'")).isEqualTo(BURST);
            // The first alert and the incident's merged final row, both under the one id.
            assertThat(lake.lines("SELECT alert_id, rule_id, group_key, event_count FROM alerts ORDER BY event_count"))
                    .containsExactly(
                            alertId + "|db_privilege_change|dba_temp@203.0.113.50|1",
                            alertId + "|db_privilege_change|dba_temp@203.0.113.50|" + BURST);
            Set<String> summaries = lake.lines("SELECT summary FROM alerts").stream().collect(Collectors.toSet());
            assertThat(summaries).anyMatch(s -> s.endsWith("(+199 merged matches until 2024-06-01T10:18:19)"));
        }
    }
}
