package dev.nagare.job.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.NagarePipeline;
import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.testing.Await;
import dev.nagare.job.testing.HttpStub;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rule fed watermark steps ({@link WatermarkSteps}) fires while the stream runs, not only at
 * the end of input (which flushes every window, as every rule case ends): a brute force, then
 * other traffic that moves event time on, and the page arrives while the source is still open.
 */
class SteppedRuleITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final long T0 = 1717236900000L; // 2024-06-01T10:15:00Z
    /** Records per source split: far more than the test reads, so the source never ends. */
    static final long PER_SPLIT = 1_000_000;
    static final AtomicLong GENERATED = new AtomicLong();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    /**
     * Record i of each split is second i: on the first split six failed logins and a success of
     * one user and host, then (on both) application logs, one per second of event time.
     */
    static final class BruteForceThenTraffic implements GeneratorFunction<Long, KinesisRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public KinesisRecord map(Long index) {
            GENERATED.incrementAndGet();
            long second = index % PER_SPLIT;
            long time = T0 + second * 1000;
            if (index < 7) {
                String operation = index < 6 ? "FAILED_CONNECT," : "CONNECT,exchange";
                String retcode = index < 6 ? "1045" : "0";
                return KinesisRecord.of(Records.cwl("/aws/rds/cluster/exchange-db/audit", "login-" + index, time,
                        (time * 1000) + ",exchange-db-1,treasury,203.0.113.66," + (5000 + index) + ",0," + operation + ",," + retcode), null);
            }
            return KinesisRecord.of(Records.cwl("/ecs/orders-api", "app-" + index, time,
                    "{\"@timestamp\":\"" + java.time.Instant.ofEpochMilli(time) + "\",\"level\":\"INFO\",\"message\":\"ok\"}"), null);
        }
    }

    /** The pages the webhook received from the brute-force rule so far. */
    private static List<JsonNode> bruteForcePages(HttpStub webhook) throws Exception {
        List<JsonNode> pages = new ArrayList<>();
        for (HttpStub.Request request : webhook.requests()) {
            JsonNode page = JSON.readTree(request.body);
            if ("db_bruteforce_then_success".equals(page.get("rule_id").asText())) {
                pages.add(page);
            }
        }
        return pages;
    }

    @Test
    void aSequenceRulePagesWhileTheStreamRuns() throws Exception {
        try (HttpStub webhook = new HttpStub()) {
            webhook.respondWith(r -> HttpStub.Response.of(200));
            NagareConfig config = NagareConfig.defaults()
                    .with("lake.path", work.resolve("lake").toString())
                    .with("job.watermark.out-of-orderness", "5 s")
                    .with("rules.sequence-watermark-step", "10 s")
                    .with("alerts.webhook.url", webhook.baseUrl() + "/hooks/incident")
                    .with("alerts.webhook.format", "json");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(MiniClusters.PARALLELISM);
            env.enableCheckpointing(1000);
            // 40 records a second: event time runs 20 s a second on each split.
            RecordSource source = RecordSource.single(new DataGeneratorSource<>(new BruteForceThenTraffic(),
                    PER_SPLIT * MiniClusters.PARALLELISM, RateLimiterStrategy.perSecond(40), RecordSource.TYPE));
            NagarePipeline.from(config).source(source).outputs(AlertOutput.destinations(config, name -> null)).attachTo(env);
            GENERATED.set(0);
            JobClient job = env.executeAsync("stepped-rule-it");
            List<JsonNode> pages;
            try {
                pages = Await.until(() -> bruteForcePages(webhook), found -> !found.isEmpty(), Duration.ofSeconds(90));
                // Paged while the source was open: far from the end of input, which would flush everything.
                assertThat(job.getJobStatus().get().isGloballyTerminalState()).isFalse();
                assertThat(GENERATED.get()).isLessThan(PER_SPLIT);
            } finally {
                job.cancel().get(1, TimeUnit.MINUTES);
            }
            assertThat(pages).as("the brute force paged while the stream ran").hasSize(1);
            assertThat(pages.get(0).get("group_key").asText()).isEqualTo("treasury@203.0.113.66");
            assertThat(pages.get(0).get("event_count").asLong()).isEqualTo(7);
        }
    }
}
