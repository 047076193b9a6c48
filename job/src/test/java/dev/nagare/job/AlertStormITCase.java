package dev.nagare.job;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An alert storm against a webhook that takes one request a second: 1,000 root-user CloudTrail
 * events from 1,000 accounts make 1,000 {@code aws_root_activity} alerts in 25 seconds, and the
 * webhook (a real HTTP server on 127.0.0.1) answers 429 with Retry-After when called faster than
 * one request a second; Nagare's rate limit is set to the same. The destination can take about
 * 30 of them; the rest must go to {@code alerts_undelivered} with the reason, at once, while the
 * lake's checkpoints go on completing on schedule. Every alert is delivered or undelivered, never
 * both, never under two ids, and no alert is sent after it was given up.
 */
class AlertStormITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final int ALERTS = 1000;
    static final int EVENTS_PER_SECOND = 40;
    static final long CHECKPOINT_INTERVAL_MS = 1000;
    static final Instant T0 = Instant.parse("2024-12-31T23:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;

    static HttpStub webhook;

    @BeforeAll
    static void start() throws Exception {
        webhook = new HttpStub();
    }

    @AfterAll
    static void stop() {
        webhook.close();
    }

    /**
     * One request a second as a token bucket that holds two (the two subtasks each send at half
     * the rate, unsynchronised): a request without a token gets 429 and Retry-After.
     */
    static final class OnePerSecond {
        private double tokens = 2;
        private long lastNanos = System.nanoTime();

        synchronized boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(2, tokens + (now - lastNanos) / 1e9);
            lastNanos = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }

    @Test
    void aStormOfAlertsNeverStallsTheLakeAndEveryAlertIsDeliveredOrUndeliveredWithItsReason(
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        OnePerSecond limit = new OnePerSecond();
        webhook.respondWith(request -> limit.take()
                ? HttpStub.Response.of(200)
                : new HttpStub.Response(429, Map.of("Retry-After", "1")));

        Path lakePath = work.resolve("lake");
        NagareConfig config = NagareConfig.defaults()
                .with("lake.path", lakePath.toString())
                .with("alerts.webhook.url", webhook.baseUrl() + "/services/T0001/B0001/storm")
                .with("alerts.webhook.format", "json")
                .with("alerts.rate-limit", "1")
                .with("alerts.max-in-flight", "3")
                .with("alerts.connect-timeout", "500 ms")
                .with("alerts.request-timeout", "1 s")
                .with("alerts.retry.initial-backoff", "200 ms")
                .with("alerts.retry.max-backoff", "1 s")
                .with("alerts.retry.max-wait", "5 s");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Configuration conf = new Configuration();
        // Any failure fails the test: a storm must never restart the job.
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        env.configure(conf);
        env.setParallelism(MiniClusters.PARALLELISM);
        env.enableCheckpointing(CHECKPOINT_INTERVAL_MS);
        RecordSource storm = RecordSource.single(new DataGeneratorSource<>(AlertStormITCase::rootActivity, ALERTS,
                RateLimiterStrategy.perSecond(EVENTS_PER_SECOND), RecordSource.TYPE));
        NagarePipeline.from(config).source(storm).outputs(AlertOutput.destinations(config, name -> null)).attachTo(env);

        String rest = cluster.getRestAddress().get().toString();
        JobClient job = env.executeAsync("alert-storm-it");
        Map<Long, JsonNode> checkpoints = new TreeMap<>();
        long deadline = System.currentTimeMillis() + 150_000;
        CompletableFuture<?> finished = job.getJobExecutionResult();
        try {
            while (!finished.isDone() && System.currentTimeMillis() < deadline && !stormLongPast()) {
                JsonNode stats = job.getJobStatus().get() == JobStatus.RUNNING ? get(rest + "/jobs/" + job.getJobID() + "/checkpoints") : null;
                if (stats != null && stats.has("history")) {
                    stats.get("history").forEach(c -> checkpoints.put(c.get("id").asLong(), c));
                }
                Thread.sleep(250);
            }
            // The storm: from the first call of the webhook until the last event left the source
            // (ALERTS / EVENTS_PER_SECOND seconds, if nothing holds the source back).
            List<HttpStub.Request> calls = webhook.requests();
            assertThat(calls).isNotEmpty();
            long stormStart = calls.get(0).receivedAtMillis;
            long stormEnd = stormStart + 1000L * ALERTS / EVENTS_PER_SECOND - 5000;
            assertCheckpointsKeptCompleting(checkpoints, stormStart, stormEnd);
            MiniClusters.awaitFinished(job, Duration.ofSeconds(30));
        } finally {
            if (!finished.isDone()) {
                job.cancel().get();
            }
        }

        List<HttpStub.Request> calls = webhook.requests();
        Map<String, List<HttpStub.Request>> callsByAlert = calls.stream().collect(Collectors.groupingBy(r -> json(r.body).get("alert_id").asText()));
        List<HttpStub.Request> accepted = calls.stream().filter(r -> r.status == 200).collect(Collectors.toList());
        assertWebhookTookAtMostOnePerSecond(accepted);

        try (Lakes lake = new Lakes(lakePath, "alerts", "alerts_undelivered")) {
            // One alert per account, under one id.
            Map<String, String> idByAccount = new HashMap<>();
            for (List<Object> row : lake.rows("SELECT DISTINCT account, alert_id FROM alerts WHERE rule_id = 'aws_root_activity'")) {
                assertThat(idByAccount.put((String) row.get(0), (String) row.get(1))).as("one id for account " + row.get(0)).isNull();
            }
            assertThat(idByAccount).hasSize(ALERTS);
            Set<String> ids = new HashSet<>(idByAccount.values());
            assertThat(ids).hasSize(ALERTS);
            assertThat(lake.count("SELECT count(DISTINCT alert_id) FROM alerts")).as("no other alerts").isEqualTo(ALERTS);

            Set<String> delivered = new HashSet<>();
            for (HttpStub.Request r : accepted) {
                JsonNode alert = json(r.body);
                String id = alert.get("alert_id").asText();
                assertThat(delivered.add(id)).as("delivered once: " + id).isTrue();
                assertThat(idByAccount.get(alert.get("account").asText())).as("sent under its own id").isEqualTo(id);
            }
            assertThat(delivered).as("delivered at the webhook's pace").hasSizeGreaterThanOrEqualTo(10);

            List<List<Object>> undeliveredRows = lake.rows("SELECT alert_id, error, attempts, failed_at, destination FROM alerts_undelivered");
            Map<String, List<Object>> undelivered = new HashMap<>();
            Map<String, Integer> reasons = new TreeMap<>();
            for (List<Object> row : undeliveredRows) {
                String id = (String) row.get(0);
                String error = (String) row.get(1);
                int attempts = (Integer) row.get(2);
                assertThat(undelivered.put(id, row)).as("undelivered once: " + id).isNull();
                assertThat(ids).contains(id);
                assertThat(row.get(4)).isEqualTo("webhook");
                assertThat(error).matches("queue full: \\d+ alerts waiting for webhook"
                        + "|rate limited: next slot in \\d+\\.\\d s is past the delivery deadline \\(.*\\)"
                        + "|gave up after \\d+ attempts: HTTP 429");
                reasons.merge(error.replaceAll("[:(].*", ""), 1, Integer::sum);
                long failedAt = toMillis(row.get(3));
                List<HttpStub.Request> tries = callsByAlert.getOrDefault(id, List.of());
                assertThat(tries).as("attempts of " + id).hasSize(attempts);
                // Nothing is sent after it was given up (failed_at has millisecond precision).
                assertThat(tries).allSatisfy(r -> assertThat(r.receivedAtMillis).isLessThanOrEqualTo(failedAt + 1));
            }
            System.out.println("AlertStormITCase: " + delivered.size() + " delivered, undelivered by reason " + reasons
                    + ", " + accepted.size() + " of " + calls.size() + " webhook calls accepted, checkpoints " + checkpoints.size());
            assertThat(reasons).containsKey("rate limited");
            assertThat(delivered).as("delivered and undelivered").doesNotContainAnyElementsOf(undelivered.keySet());
            Set<String> all = new HashSet<>(delivered);
            all.addAll(undelivered.keySet());
            assertThat(all).as("every alert delivered or undelivered").isEqualTo(ids);
        }
    }

    /** A minute after the storm began: it should have ended half a minute ago. */
    static boolean stormLongPast() {
        List<HttpStub.Request> calls = webhook.requests();
        return !calls.isEmpty() && System.currentTimeMillis() > calls.get(0).receivedAtMillis + 60_000;
    }

    /**
     * During the storm, checkpoints are triggered on schedule, every one completes, and none takes
     * longer than a few intervals: delivery back-pressures nothing. The first two seconds are left
     * out (the first checkpoints of a job are slower).
     */
    static void assertCheckpointsKeptCompleting(Map<Long, JsonNode> checkpoints, long stormStart, long stormEnd) {
        StringBuilder seen = new StringBuilder("AlertStormITCase checkpoints (id: triggered at s of the storm, status, duration):");
        checkpoints.values().forEach(c -> seen.append(String.format(" %d: %.1f %s %d ms;", c.get("id").asLong(),
                (c.get("trigger_timestamp").asLong() - stormStart) / 1000.0, c.get("status").asText(), c.get("end_to_end_duration").asLong())));
        System.out.println(seen);
        long from = stormStart + 2000;
        assertThat(stormEnd - from).isGreaterThan(10_000);
        List<JsonNode> duringStorm = checkpoints.values().stream()
                .filter(c -> c.get("trigger_timestamp").asLong() >= from && c.get("trigger_timestamp").asLong() <= stormEnd)
                .collect(Collectors.toList());
        assertThat(duringStorm.size()).as("checkpoints triggered during the storm (one a second if none is held up)")
                .isGreaterThanOrEqualTo((int) ((stormEnd - from) / 2000));
        // Consecutive ids: every checkpoint of the storm was seen.
        assertThat(duringStorm.get(duringStorm.size() - 1).get("id").asLong() - duringStorm.get(0).get("id").asLong() + 1)
                .isEqualTo(duringStorm.size());
        for (JsonNode c : duringStorm) {
            assertThat(c.get("status").asText()).as("checkpoint " + c.get("id")).isEqualTo("COMPLETED");
            assertThat(c.get("end_to_end_duration").asLong()).as("duration of checkpoint " + c.get("id"))
                    .isLessThanOrEqualTo(3 * CHECKPOINT_INTERVAL_MS);
        }
    }

    /** The webhook's own limit held: in every stretch of n seconds, at most n + 2 calls were accepted. */
    static void assertWebhookTookAtMostOnePerSecond(List<HttpStub.Request> accepted) {
        for (int i = 0; i < accepted.size(); i++) {
            for (int j = i + 1; j < accepted.size(); j++) {
                long span = accepted.get(j).receivedAtMillis - accepted.get(i).receivedAtMillis;
                assertThat(j - i + 1).as("accepted calls within %d ms", span).isLessThanOrEqualTo((int) (span / 1000) + 3);
            }
        }
    }

    /** Event {@code i}: the root user of account {@code 100000000000 + i} lists instances. */
    static KinesisRecord rootActivity(Long i) {
        String account = String.valueOf(100_000_000_000L + i);
        long at = T0.toEpochMilli() + i * 100;
        String event = "{\"eventVersion\":\"1.10\",\"userIdentity\":{\"type\":\"Root\",\"accountId\":\"" + account
                + "\",\"principalId\":\"" + account + "\",\"arn\":\"arn:aws:iam::" + account + ":root\"},"
                + "\"eventTime\":\"" + Instant.ofEpochMilli(at).toString().replaceAll("\\.\\d+Z", "Z") + "\","
                + "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"DescribeInstances\",\"awsRegion\":\"eu-west-1\","
                + "\"sourceIPAddress\":\"203.0.113.50\",\"userAgent\":\"aws-cli/2.15.30\",\"requestParameters\":null,"
                + "\"responseElements\":null,\"eventID\":\"storm-" + i + "\",\"eventType\":\"AwsApiCall\","
                + "\"recipientAccountId\":\"" + account + "\"}";
        return KinesisRecord.of(Records.cwlFrom(account, "aws-cloudtrail-logs-" + account + "-org", "storm-" + i, at, event),
                Records.ARRIVAL);
    }

    static long toMillis(Object timestamp) {
        if (timestamp instanceof Timestamp) {
            return ((Timestamp) timestamp).toLocalDateTime().toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        return ((LocalDateTime) timestamp).toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    static final HttpClient HTTP = HttpClient.newHttpClient();

    static JsonNode get(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
    }

    static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
