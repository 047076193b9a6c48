package dev.nagare.job.alerts;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.testing.HttpStub;

import org.apache.flink.types.Row;
import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Secret references resolved by the real AWS SDK v2 Secrets Manager client against a real HTTP
 * server on 127.0.0.1 answering the Secrets Manager JSON protocol ({@code alerts.secrets.endpoint}
 * points the client at it): the value, and each way reading it fails, named without the value.
 */
class SecretResolverTest {
    static final String ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:nagare/webhook-AbCdEf";
    /** The secret part of the webhook URL; it must appear in no message and no serialized object. */
    static final String SECRET_PATH = "T9/B9/Xq4fromSecretZz";

    HttpStub secrets;
    HttpStub webhook;

    @BeforeEach
    void start() throws Exception {
        secrets = new HttpStub();
        webhook = new HttpStub();
        System.setProperty("aws.accessKeyId", "AKIDTEST");
        System.setProperty("aws.secretAccessKey", "test-secret");
    }

    @AfterEach
    void stop() {
        secrets.close();
        webhook.close();
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    /** GetSecretValue answering {@code status} with {@code body} for every secret. */
    void answer(int status, String body) {
        secrets.respondWithBody(r -> body);
        secrets.respondWith(r -> HttpStub.Response.of(status));
    }

    static String secretString(String value) {
        return "{\"ARN\":\"" + ARN + "\",\"Name\":\"nagare/webhook\",\"SecretString\":" + quote(value) + "}";
    }

    static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    SecretResolver resolver() {
        return new SecretResolver(secrets.baseUrl(), "eu-west-1", name -> null);
    }

    @Test
    void aNameWithoutARegionIsRefusedBeforeAnyCall() {
        try (SecretResolver resolver = new SecretResolver(secrets.baseUrl(), null, name -> null)) {
            System.setProperty("aws.region", "");
            assertThatThrownBy(() -> resolver.resolve(SecretReference.parse("alerts.webhook.url", "secretsmanager:nagare/webhook")))
                    .hasMessageStartingWith("Cannot read a secret: alerts.webhook.url names secret nagare/webhook, and no region is known "
                            + "for it: name it by its ARN or set alerts.secrets.region");
        } finally {
            System.clearProperty("aws.region");
        }
        assertThat(secrets.requests()).isEmpty();
    }

    String resolve(String reference) {
        try (SecretResolver resolver = resolver()) {
            return resolver.resolve(SecretReference.parse("alerts.webhook.url", reference));
        }
    }

    @Test
    void readsTheValueOrOneFieldOfAJsonSecret() {
        String url = webhook.baseUrl() + "/services/" + SECRET_PATH;
        answer(200, secretString("{\"url\":\"" + url + "\",\"token\":\"tok-123\"}"));
        assertThat(resolve(ARN)).isEqualTo(url);
        assertThat(resolve("secretsmanager:" + ARN + "#token")).isEqualTo("tok-123");
        assertThat(resolve("secretsmanager:nagare/webhook#url")).isEqualTo(url);
        answer(200, secretString(url));
        assertThat(resolve("secretsmanager:nagare/webhook")).isEqualTo(url);

        HttpStub.Request request = secrets.requests().get(0);
        assertThat(request.header("X-Amz-Target")).isEqualTo("secretsmanager.GetSecretValue");
        assertThat(request.body).contains("\"SecretId\":\"" + ARN + "\"");
        assertThat(secrets.requests().get(2).body).contains("\"SecretId\":\"nagare/webhook\"");
    }

    @Test
    void aMissingSecretIsNamed() {
        answer(400, "{\"__type\":\"ResourceNotFoundException\",\"Message\":\"Secrets Manager can't find the specified secret.\"}");
        assertThatThrownBy(() -> resolve(ARN))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Cannot read a secret: alerts.webhook.url names secret " + ARN
                        + ", which Secrets Manager does not have (ResourceNotFoundException)");
    }

    @Test
    void deniedAccessSaysWhatTheRoleNeeds() {
        answer(400, "{\"__type\":\"AccessDeniedException\",\"Message\":\"User: arn:aws:sts::111122223333:assumed-role/nagare/x "
                + "is not authorized to perform: secretsmanager:GetSecretValue\"}");
        assertThatThrownBy(() -> resolve("secretsmanager:nagare/webhook#url"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Cannot read a secret: alerts.webhook.url names secret nagare/webhook#url, and access to it is denied "
                        + "(AccessDeniedException); the role needs secretsmanager:GetSecretValue on it (and kms:Decrypt for a customer key)");
    }

    @Test
    void malformedSecretsAreNamedWithoutTheirValue() {
        answer(200, secretString("{\"url\": \"https://hooks.example.com/services/" + SECRET_PATH + "\""));  // cut short
        assertThatThrownBy(() -> resolve("secretsmanager:" + ARN + "#url"))
                .hasMessage("Cannot read a secret: alerts.webhook.url names secret " + ARN + "#url, which is not a JSON object")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET_PATH));
        answer(200, secretString("{\"webhook\":\"https://hooks.example.com/services/" + SECRET_PATH + "\"}"));
        assertThatThrownBy(() -> resolve("secretsmanager:" + ARN + "#url"))
                .hasMessage("Cannot read a secret: alerts.webhook.url names secret " + ARN + "#url, which has no text field 'url'");
        assertThatThrownBy(() -> resolve(ARN))
                .hasMessage("Cannot read a secret: alerts.webhook.url names secret " + ARN + ", which is JSON without a 'url' field "
                        + "(name the field with alerts.webhook.url=secretsmanager:" + ARN + "#<field>)");
    }

    @Test
    void anUnreachableEndpointIsNamed() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + closedPort;
        try (SecretResolver resolver = new SecretResolver(endpoint, null, name -> null)) {
            assertThatThrownBy(() -> resolver.resolve(SecretReference.parse("alerts.webhook.url", ARN)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("Cannot read a secret: alerts.webhook.url names secret " + ARN
                            + ", and Secrets Manager at " + endpoint + " cannot be reached: ConnectException");
        }
    }

    @Test
    void theDestinationCarriesTheReferenceNotTheValue() throws Exception {
        String url = webhook.baseUrl() + "/services/" + SECRET_PATH;
        answer(200, secretString("{\"url\":\"" + url + "\"}"));
        NagareConfig config = NagareConfig.defaults()
                .with("alerts.webhook.url", ARN)
                .with("alerts.secrets.endpoint", secrets.baseUrl());
        Destination destination = Destination.fromConfig(config, name -> null).get(0);
        assertThat(secrets.requests()).as("nothing is read where the job is built").isEmpty();
        byte[] serialized = InstantiationUtil.serializeObject(destination);
        assertThat(new String(serialized, StandardCharsets.ISO_8859_1)).contains(ARN).doesNotContain(SECRET_PATH);
        assertThat(destination.toString()).isEqualTo("webhook secret " + ARN + " (slack)");

        // The sender reads it (the operator's open()) and posts to it.
        Destination copy = InstantiationUtil.deserializeObject(serialized, getClass().getClassLoader());
        try (WebhookSender sender = new WebhookSender(copy)) {
            assertThat(sender.send(AlertJsonTest.alert()).get(10, TimeUnit.SECONDS).delivered).isTrue();
        }
        assertThat(webhook.requests()).extracting(r -> r.path).containsExactly("/services/" + SECRET_PATH);
    }

    @Test
    void aRotatedSecretIsReadAgainWhenTheOldValueIsRefused() throws Exception {
        String oldUrl = webhook.baseUrl() + "/services/T9/B9/old";
        String newUrl = webhook.baseUrl() + "/services/T9/B9/new";
        answer(200, secretString(oldUrl));
        webhook.respondWith(r -> HttpStub.Response.of(r.path.endsWith("/old") ? 403 : 200));
        NagareConfig config = NagareConfig.defaults().with("alerts.webhook.url", ARN).with("alerts.secrets.endpoint", secrets.baseUrl());
        try (WebhookSender sender = new WebhookSender(Destination.fromConfig(config, name -> null).get(0))) {
            answer(200, secretString(newUrl)); // rotated after the operator opened
            Row alert = AlertJsonTest.alert();
            Sender.Attempt refused = sender.send(alert).get(10, TimeUnit.SECONDS);
            assertThat(refused.retryable).isTrue();
            assertThat(refused.error).isEqualTo("HTTP 403; the webhook's secret changed, retrying with its new value");
            assertThat(sender.send(alert).get(10, TimeUnit.SECONDS).delivered).isTrue();

            // Revoked again without a new value: given up, and not read again within the minute.
            webhook.respondWith(r -> HttpStub.Response.of(403));
            int reads = secrets.requests().size();
            Sender.Attempt again = sender.send(alert).get(10, TimeUnit.SECONDS);
            assertThat(again.retryable).isFalse();
            assertThat(again.error).isEqualTo("HTTP 403");
            assertThat(secrets.requests()).hasSize(reads);
        }
        List<String> paths = webhook.requests().stream().map(r -> r.path).collect(java.util.stream.Collectors.toList());
        assertThat(paths).containsExactly("/services/T9/B9/old", "/services/T9/B9/new", "/services/T9/B9/new");
        assertThat(secrets.requests()).hasSize(2);
    }

    @Test
    void headerValuesAreReferencesToo() throws Exception {
        answer(200, secretString("{\"token\":\"Bearer s3cr3t-token\"}"));
        NagareConfig config = NagareConfig.defaults()
                .with("alerts.webhook.url", webhook.baseUrl() + "/hook")
                .with("alerts.webhook.headers", "Authorization:'secretsmanager:nagare/token#token'")
                .with("alerts.secrets.endpoint", secrets.baseUrl())
                .with("alerts.secrets.region", "eu-west-1");
        Destination destination = Destination.fromConfig(config, name -> null).get(0);
        assertThat(new String(InstantiationUtil.serializeObject(destination), StandardCharsets.ISO_8859_1)).doesNotContain("s3cr3t-token");
        try (WebhookSender sender = new WebhookSender(destination)) {
            assertThat(sender.send(AlertJsonTest.alert()).get(10, TimeUnit.SECONDS).delivered).isTrue();
        }
        assertThat(webhook.requests().get(0).header("Authorization")).isEqualTo("Bearer s3cr3t-token");
        assertThat(Map.of("region", secrets.requests().get(0).header("Authorization"))).hasEntrySatisfying("region",
                auth -> assertThat(auth).contains("/eu-west-1/secretsmanager/"));
    }
}
