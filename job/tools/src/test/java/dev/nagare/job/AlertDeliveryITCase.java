package dev.nagare.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.source.demo.DemoSource;
import dev.nagare.job.testing.HttpStub;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Alert delivery against a real HTTP server on 127.0.0.1 playing the webhook and the Lambda API:
 * an outage of 500s and 429s that ends, and a webhook that never recovers. The demo stream gives
 * four incidents in twenty simulated minutes, three of them high.
 */
class AlertDeliveryITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    /** The part of the webhook URL that is its credential; it must not appear anywhere. */
    static final String SECRET = "Zq7SecretPathXyz";
    static final ObjectMapper JSON = new ObjectMapper();
    static final DemoScenario SCENARIO = new DemoScenario(42, Instant.parse("2024-06-01T23:55:00Z"), 5);
    static final long RECORDS = 6000;

    @TempDir
    static Path work;

    static HttpStub server;
    static final ByteArrayOutputStream console = new ByteArrayOutputStream();
    static PrintStream originalOut;

    @BeforeAll
    static void start() throws Exception {
        server = new HttpStub();
        System.setProperty("aws.accessKeyId", "AKIDTEST");
        System.setProperty("aws.secretAccessKey", "test-secret");
        originalOut = System.out;
        System.setOut(new PrintStream(new TeeStream(originalOut, console), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        System.setOut(originalOut);
        server.close();
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    static NagareConfig config(Path lake, String maxWait) {
        return NagareConfig.defaults()
                .with("lake.path", lake.toString())
                .with("job.watermark.out-of-orderness", "5 s")
                .with("alerts.webhook.url", server.baseUrl() + "/services/T0001/B0001/" + SECRET)
                .with("alerts.lambda.function", "nagare-alerts")
                .with("alerts.lambda.region", "eu-west-1")
                .with("alerts.lambda.endpoint", server.baseUrl())
                .with("alerts.lambda.min-severity", "high")
                .with("alerts.rate-limit", "20")
                .with("alerts.retry.initial-backoff", "200 ms")
                .with("alerts.retry.max-backoff", "2 s")
                // Short attempts, so that attempts fit into the 3 s max-wait of the second test.
                .with("alerts.connect-timeout", "1 s")
                .with("alerts.request-timeout", "1 s")
                .with("alerts.retry.max-wait", maxWait);
    }

    static StreamExecutionEnvironment environment() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Configuration conf = new Configuration();
        // Any failure fails the test: delivery problems must never restart the job.
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        env.configure(conf);
        env.setParallelism(MiniClusters.PARALLELISM);
        env.enableCheckpointing(1000);
        return env;
    }

    @Test
    void anOutageDelaysAlertsButLosesNoneAndTheLakeKeepsCommitting() throws Exception {
        Path lakePath = work.resolve("outage");
        // The outage lasts 30 s from the first webhook call, however long the job takes to get there.
        AtomicLong outageEnds = new AtomicLong(Long.MAX_VALUE);
        AtomicLong calls = new AtomicLong();
        server.respondWith(request -> {
            if (request.path.startsWith("/2015-03-31/functions/")) {
                return HttpStub.Response.of(202);
            }
            outageEnds.compareAndSet(Long.MAX_VALUE, System.currentTimeMillis() + 30_000);
            if (System.currentTimeMillis() < outageEnds.get()) {
                return calls.incrementAndGet() % 2 == 0
                        ? new HttpStub.Response(429, Map.of("Retry-After", "1"))
                        : HttpStub.Response.of(500);
            }
            return HttpStub.Response.of(200);
        });
        NagareConfig config = config(lakePath, "2 min");
        StreamExecutionEnvironment env = environment();
        // Throttled, so data still flows (about 40 s) while the webhook is down.
        NagarePipeline.from(config).source(DemoSource.create(SCENARIO, RECORDS, RateLimiterStrategy.perSecond(150)))
                .environment(name -> null).attachTo(env); // alerts.* as configured: printed and delivered
        var job = env.executeAsync("alert-outage-it");
        long filesDuringOutage = 0;
        long deadline = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < Math.min(outageEnds.get() - 1000, deadline)) {
            filesDuringOutage = dev.nagare.job.lake.Lake.committedFiles(lakePath.resolve("logs"));
            Thread.sleep(500);
        }
        MiniClusters.awaitFinished(job, Duration.ofMinutes(3));

        List<HttpStub.Request> webhook = server.requests().stream().filter(r -> r.path.startsWith("/services/")).collect(Collectors.toList());
        List<HttpStub.Request> failedDuringOutage = webhook.stream().filter(r -> r.status >= 400).collect(Collectors.toList());
        assertThat(failedDuringOutage).extracting(r -> r.status).contains(500, 429);
        assertThat(filesDuringOutage).as("lake files committed while the webhook was down").isPositive();

        try (Lakes lake = new Lakes(lakePath, "alerts")) {
            Set<String> alertIds = new HashSet<>(lake.lines("SELECT alert_id FROM alerts"));
            assertThat(alertIds).hasSize(4);
            Set<String> highOrAbove = new HashSet<>(lake.lines("SELECT alert_id FROM alerts WHERE severity IN ('high', 'critical')"));
            assertThat(highOrAbove).hasSize(3);
            Set<String> delivered = webhook.stream().filter(r -> r.status == 200).map(AlertDeliveryITCase::alertIdOfSlackBody)
                    .collect(Collectors.toSet());
            Set<String> attempted = webhook.stream().map(AlertDeliveryITCase::alertIdOfSlackBody).collect(Collectors.toSet());
            assertThat(delivered).isEqualTo(alertIds);
            assertThat(attempted).as("repeats only with the same alert_id").isEqualTo(alertIds);
            Set<String> invoked = server.requests().stream().filter(r -> r.path.equals("/2015-03-31/functions/nagare-alerts/invocations"))
                    .map(r -> json(r.body).get("alert_id").asText()).collect(Collectors.toSet());
            assertThat(invoked).as("Lambda takes high and critical only").isEqualTo(highOrAbove);
        }
        assertThat(Files.exists(lakePath.resolve("alerts_undelivered"))).isFalse();
        assertNoSecretAnywhere();
    }

    @Test
    void alertsADestinationNeverTakesLandInAlertsUndelivered() throws Exception {
        Path lakePath = work.resolve("down");
        server.respondWith(request -> request.path.startsWith("/2015-03-31/") ? HttpStub.Response.of(202) : HttpStub.Response.of(500));
        NagareConfig config = config(lakePath, "3 s");
        StreamExecutionEnvironment env = environment();
        NagarePipeline.from(config).source(DemoSource.create(SCENARIO, RECORDS, RateLimiterStrategy.noOp())).outputs(AlertOutput.destinations(config, name -> null)).attachTo(env);
        MiniClusters.awaitFinished(env.executeAsync("alert-down-it"), Duration.ofMinutes(3));
        try (Lakes lake = new Lakes(lakePath, "alerts", "alerts_undelivered")) {
            assertThat(lake.lines("SELECT alert_id FROM alerts_undelivered ORDER BY 1"))
                    .isEqualTo(lake.lines("SELECT DISTINCT alert_id FROM alerts ORDER BY 1"))
                    .hasSize(4);
            for (List<Object> row : lake.rows("SELECT destination, error, attempts FROM alerts_undelivered")) {
                assertThat(row.get(0)).isEqualTo("webhook");
                assertThat((String) row.get(1)).matches("gave up after \\d+ attempts: HTTP 500");
                assertThat((Integer) row.get(2)).isGreaterThan(1);
            }
        }
        assertNoSecretAnywhere();
    }

    private static String alertIdOfSlackBody(HttpStub.Request request) {
        JsonNode blocks = json(request.body).get("blocks");
        return blocks.get(blocks.size() - 1).get("elements").get(0).get("text").asText().replace("alert_id ", "");
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (Exception e) {
            throw new AssertionError(body, e);
        }
    }

    /** Logs, console output and every file of the lake: none holds the webhook URL's secret path. */
    private static void assertNoSecretAnywhere() throws Exception {
        assertThat(console.toString(StandardCharsets.UTF_8)).doesNotContain(SECRET).contains("ALERT high");
        Path log = Path.of("target/nagare-tests.log");
        assertThat(Files.readString(log, StandardCharsets.ISO_8859_1)).doesNotContain(SECRET).contains("Delivering alerts to webhook");
        try (Stream<Path> files = Files.walk(work)) {
            for (Path file : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
                assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).as(file.toString()).doesNotContain(SECRET);
            }
        }
    }

    /** Writes to two streams: the console stays visible while the test reads what was printed. */
    static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] bytes, int off, int len) throws java.io.IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }
}
