package dev.nagare.job;

import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.metrics.JobMetrics;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.testing.HttpStub;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job's own metrics as Managed Flink would publish them. A metric reporter in the MiniCluster
 * sees every metric the real pipeline registers; the test reads them the way Managed Flink does:
 * only those under the {@code kinesisanalytics} group, named by the metric's own name, with the
 * key/value groups below it as dimensions. The input makes each count known: one duplicate, one
 * late event, one undecodable record, one control message, and an incident that pages a webhook
 * (answers 200) and a Lambda function (answers 403: undelivered).
 */
class JobMetricsITCase {
    static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension(REPORTER.addToConfiguration(new Configuration()));

    static final Instant T0 = Instant.parse("2024-06-01T10:00:00Z");
    static final int IN_ORDER = 24;

    @TempDir
    static Path work;

    static HttpStub server;
    static Path lakePath;
    static Map<String, Long> metrics;
    static int records;

    @BeforeAll
    static void start() throws Exception {
        server = new HttpStub();
        System.setProperty("aws.accessKeyId", "AKIDTEST");
        System.setProperty("aws.secretAccessKey", "test-secret");
        server.respondWith(request -> HttpStub.Response.of(request.path.startsWith("/2015-03-31/functions/") ? 403 : 200));
    }

    /**
     * Runs the job once, from the first test: the extension points the execution environment at
     * its MiniCluster (the one with the reporter) only around each test, not in {@code @BeforeAll}.
     */
    @BeforeEach
    void runOnce() throws Exception {
        if (metrics != null) {
            return;
        }

        List<KinesisRecord> input = new ArrayList<>();
        for (int i = 0; i < IN_ORDER; i++) {
            long at = T0.toEpochMilli() + i * 10_000L;
            input.add(KinesisRecord.of(app("in-order-" + i, at, "INFO"), at + 1000));
            if (i == 6) {
                input.add(KinesisRecord.of(incident(at + 1000), at + 2000));
            }
        }
        long last = T0.toEpochMilli() + (IN_ORDER - 1) * 10_000L;
        input.add(KinesisRecord.of(app("in-order-3", T0.toEpochMilli() + 30_000L, "INFO"), last + 1000)); // a redelivery
        input.add(KinesisRecord.of(new byte[] {(byte) 0xc3, 0x28, (byte) 0xff, 0x00, 0x41}, last + 1000)); // not UTF-8
        input.add(KinesisRecord.of(Records.gzip(("{\"messageType\":\"CONTROL_MESSAGE\",\"owner\":\"CloudwatchLogs\",\"logGroup\":\"\","
                + "\"logStream\":\"\",\"subscriptionFilters\":[],\"logEvents\":[{\"id\":\"\",\"timestamp\":0,"
                + "\"message\":\"CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.\"}]}").getBytes(StandardCharsets.UTF_8)),
                last + 1000));
        // 10:00:15, long behind the watermark by now (the records arrive 20 a second, the
        // watermark is emitted every 200 ms).
        input.add(KinesisRecord.of(app("late", T0.toEpochMilli() + 15_000L, "INFO"), last + 2000));
        records = input.size();

        lakePath = work.resolve("lake");
        NagareConfig config = NagareConfig.defaults()
                .with("lake.path", lakePath.toString())
                .with("job.watermark.out-of-orderness", "5 s")
                .with("alerts.webhook.url", server.baseUrl() + "/hook")
                .with("alerts.lambda.function", "nagare-alerts")
                .with("alerts.lambda.region", "eu-west-1")
                .with("alerts.lambda.endpoint", server.baseUrl())
                .with("alerts.lambda.min-severity", "info");
        StreamExecutionEnvironment env = MiniClusters.environment();
        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        env.configure(noRestarts);
        RecordSource source = RecordSource.single(new DataGeneratorSource<>(
                new FromList(input), input.size(), RateLimiterStrategy.perSecond(5), RecordSource.TYPE));
        NagarePipeline.from(config).source(source).outputs(AlertOutput.destinations(config, name -> null)).attachTo(env);
        JobClient job = env.executeAsync("job-metrics-it");
        MiniClusters.awaitFinished(job, Duration.ofMinutes(3));
        metrics = exported(job.getJobID());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    @Test
    void everyNameTheJobDeclaresIsExportedUnderTheManagedFlinkGroup() {
        List<String> names = new ArrayList<>();
        metrics.keySet().forEach(key -> names.add(key.split(" ", 2)[0]));
        assertThat(names).containsAll(JobMetrics.ALL);
        assertThat(names).as("every exported metric is declared in JobMetrics").allMatch(JobMetrics.ALL::contains);
        // Job-wide names exist without dimensions (the template's alarms use them with Application only).
        assertThat(metrics.keySet()).containsAll(JobMetrics.JOB_WIDE);
    }

    @Test
    void decodeCountsMatchTheInput() throws Exception {
        assertThat(metrics.get(JobMetrics.RECORDS)).isEqualTo(records);
        assertThat(metrics.get(JobMetrics.DUPLICATES)).isEqualTo(1);
        assertThat(metrics.get(JobMetrics.DUPLICATES + " log_type=app")).isEqualTo(1);
        assertThat(metrics.get(JobMetrics.LATE_EVENTS)).isEqualTo(1);
        assertThat(metrics.get(JobMetrics.CONTROL_MESSAGES)).isEqualTo(1);
        try (Lakes lake = new Lakes(lakePath, "logs", "dead_letter")) {
            long logs = lake.count("SELECT count(*) FROM logs");
            assertThat(metrics.get(JobMetrics.EVENTS)).as("events are counted before dedup").isEqualTo(logs + 1);
            assertThat(metrics.get(JobMetrics.LAKE_ROWS_WRITTEN + " table=logs")).isEqualTo(logs);
            long deadLetters = lake.count("SELECT count(*) FROM dead_letter");
            assertThat(deadLetters).isEqualTo(1);
            assertThat(metrics.get(JobMetrics.DEAD_LETTERS)).isEqualTo(deadLetters);
        }
        assertThat(metrics.get(JobMetrics.LAKE_COMMITTED_FILES)).isPositive();
        assertThat(metrics.get(JobMetrics.LAKE_LOST_FILES)).isZero();
    }

    @Test
    void alertCountsExistWhateverTheDestinationAndMatchWhatWasDelivered() throws Exception {
        try (Lakes lake = new Lakes(lakePath, "alerts", "alerts_undelivered")) {
            long alerts = lake.count("SELECT count(*) FROM alerts");
            assertThat(alerts).isPositive();
            assertThat(metrics.get(JobMetrics.ALERTS)).isEqualTo(alerts);
            assertThat(metrics.get(JobMetrics.RULE_ALERTS + " rule=app_error_rate")).isEqualTo(alerts);
            assertThat(metrics.get(JobMetrics.RULE_MATCHES + " rule=app_error_rate")).isGreaterThanOrEqualTo(alerts);
            long undelivered = lake.count("SELECT count(*) FROM alerts_undelivered");
            assertThat(undelivered).as("the Lambda function refused every alert").isEqualTo(alerts);
            assertThat(metrics.get(JobMetrics.ALERTS_UNDELIVERED)).isEqualTo(undelivered);
            assertThat(metrics.get(JobMetrics.DELIVERY_DEAD_LETTERED + " destination=lambda")).isEqualTo(undelivered);
        }
        long posted = server.requests().stream().filter(r -> r.path.equals("/hook") && r.status == 200).count();
        assertThat(metrics.get(JobMetrics.DELIVERY_SENT + " destination=webhook")).isEqualTo(posted).isPositive();
        assertThat(metrics.get(JobMetrics.DELIVERY_LATENCY_MS + " destination=webhook")).as("a gauge of the latest delivery").isPositive();
        assertThat(metrics.get(JobMetrics.DELIVERY_QUEUED + " destination=webhook")).isZero();
    }

    /**
     * The job's metrics as CloudWatch would name them, summed over operators and subtasks:
     * {@code name} or {@code name key=value} for a metric below a key/value group. Fails on a
     * plain group between {@code kinesisanalytics} and a metric, whose publishing is not defined.
     */
    static Map<String, Long> exported(JobID job) {
        Map<String, Long> sums = new TreeMap<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> entry : REPORTER.getMetricsByGroup().entrySet()) {
            MetricGroup group = entry.getKey();
            if (!job.toString().equals(group.getAllVariables().get("<job_id>"))) {
                continue;
            }
            List<String> scope = Arrays.asList(group.getScopeComponents());
            int at = scope.indexOf(JobMetrics.GROUP);
            if (at < 0) {
                continue;
            }
            List<String> user = scope.subList(at + 1, scope.size());
            assertThat(user.size() % 2).as("only key/value groups below %s: %s", JobMetrics.GROUP, user).isZero();
            StringBuilder dimensions = new StringBuilder();
            for (int i = 0; i < user.size(); i += 2) {
                dimensions.append(' ').append(user.get(i)).append('=').append(user.get(i + 1));
                assertThat(group.getAllVariables()).containsEntry("<" + user.get(i) + ">", user.get(i + 1));
            }
            for (Map.Entry<String, Metric> metric : entry.getValue().entrySet()) {
                sums.merge(metric.getKey() + dimensions, value(metric.getValue()), Long::sum);
            }
        }
        return sums;
    }

    private static long value(Metric metric) {
        if (metric instanceof Counter) {
            return ((Counter) metric).getCount();
        }
        Object value = ((Gauge<?>) metric).getValue();
        return ((Number) value).longValue();
    }

    private static byte[] app(String id, long at, String level) {
        return Records.cwl("/ecs/orders-api", id, at,
                "{\"@timestamp\":\"" + Instant.ofEpochMilli(at) + "\",\"level\":\"" + level + "\",\"message\":\"ok\"}");
    }

    /** Thirty lines in fifteen seconds, every third an error: the app_error_rate rule pages. */
    static byte[] incident(long at) {
        String[] lines = new String[30];
        for (int k = 0; k < lines.length; k++) {
            lines[k] = "{\"@timestamp\":\"" + Instant.ofEpochMilli(at + k * 500L) + "\",\"level\":\""
                    + (k % 3 == 0 ? "ERROR" : "INFO") + "\",\"message\":\"request " + k + "\"}";
        }
        return Records.cwl("/ecs/incident", "incident", at, lines);
    }

    private static final class FromList implements GeneratorFunction<Long, KinesisRecord> {
        private static final long serialVersionUID = 1L;
        private final ArrayList<KinesisRecord> records;

        FromList(List<KinesisRecord> records) {
            this.records = new ArrayList<>(records);
        }

        @Override
        public KinesisRecord map(Long index) {
            return records.get(index.intValue());
        }
    }
}
