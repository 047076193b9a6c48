package dev.nagare.job;

import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.testing.HttpStub;
import dev.nagare.job.testing.MiniClusters;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The webhook URL from Secrets Manager, through the real job: the job graph carries the secret's
 * name, the delivering operator reads the value in {@code open()} (the real SDK client against a
 * real HTTP server on 127.0.0.1 playing Secrets Manager), the alert reaches the webhook, and
 * neither the serialized job graph nor the test log holds the value.
 */
class WebhookSecretITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    /** The webhook path is its credential (as a Slack URL's is). */
    static final String SECRET_PATH = "/services/T7/B7/Wq9secretInTheVaultK3";
    static final String SECRET_NAME = "nagare/it-webhook";

    @TempDir
    Path work;

    @Test
    void theOperatorReadsTheSecretAndTheJobGraphNeverHoldsIt() throws Exception {
        System.setProperty("aws.accessKeyId", "AKIDTEST");
        System.setProperty("aws.secretAccessKey", "test-secret");
        try (HttpStub secrets = new HttpStub(); HttpStub webhook = new HttpStub()) {
            String url = webhook.baseUrl() + SECRET_PATH;
            secrets.respondWithBody(r -> "{\"Name\":\"" + SECRET_NAME + "\",\"SecretString\":\"{\\\"url\\\":\\\"" + url + "\\\"}\"}");
            NagareConfig config = NagareConfig.defaults()
                    .with("lake.path", work.resolve("lake").toString())
                    .with("job.watermark.out-of-orderness", "5 s")
                    .with("alerts.webhook.url", "secretsmanager:" + SECRET_NAME + "#url")
                    .with("alerts.secrets.endpoint", secrets.baseUrl())
                    .with("alerts.secrets.region", "eu-west-1");
            long at = Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();
            RecordSource source = RecordSource.ofRecords(List.of(KinesisRecord.of(JobMetricsITCase.incident(at), at + 1000)));

            StreamExecutionEnvironment env = MiniClusters.environment();
            Configuration noRestarts = new Configuration();
            noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            env.configure(noRestarts);
            NagarePipeline.from(config).source(source).outputs(AlertOutput.destinations(config, System::getenv)).attachTo(env);
            assertThat(secrets.requests()).as("nothing is read where the job is built").isEmpty();

            JobGraph graph = env.getStreamGraph(false).getJobGraph();
            String serialized = new String(InstantiationUtil.serializeObject(graph), StandardCharsets.ISO_8859_1);
            assertThat(serialized).as("the serialized job graph").contains(SECRET_NAME).doesNotContain(SECRET_PATH);

            MiniClusters.awaitFinished(env.executeAsync("webhook-secret-it"), Duration.ofMinutes(2));

            assertThat(secrets.requests()).isNotEmpty().allSatisfy(r ->
                    assertThat(r.header("X-Amz-Target")).isEqualTo("secretsmanager.GetSecretValue"));
            List<String> posted = webhook.requests().stream().map(r -> r.path).collect(Collectors.toList());
            assertThat(posted).containsExactly(SECRET_PATH);
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
        // Everything this JVM logged so far (log4j2-test.properties), this run included.
        Path log = Path.of("target", "nagare-tests.log");
        assertThat(log).exists();
        assertThat(Files.readAllLines(log, StandardCharsets.UTF_8)).noneMatch(line -> line.contains(SECRET_PATH))
                .anyMatch(line -> line.contains("Delivering alerts to webhook secret " + SECRET_NAME + "#url"));
    }
}
