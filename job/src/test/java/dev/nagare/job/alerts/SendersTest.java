package dev.nagare.job.alerts;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.testing.HttpStub;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One attempt of each sender against a real HTTP server on 127.0.0.1. */
class SendersTest {
    static HttpStub server;

    @BeforeAll
    static void start() throws Exception {
        server = new HttpStub();
        // The Lambda client takes credentials from the default chain; these system properties are part of it.
        System.setProperty("aws.accessKeyId", "AKIDTEST");
        System.setProperty("aws.secretAccessKey", "test-secret");
    }

    @AfterAll
    static void stop() {
        server.close();
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    static Destination lambda(String endpoint) {
        NagareConfig config = NagareConfig.defaults()
                .with("alerts.lambda.function", "nagare-alerts")
                .with("alerts.lambda.region", "eu-west-1")
                .with("alerts.lambda.endpoint", endpoint);
        return Destination.fromConfig(config, name -> null).get(0);
    }

    static Destination webhook(String url) {
        NagareConfig config = NagareConfig.defaults().with("alerts.webhook.url", url).with("alerts.webhook.headers", "X-Team:secops");
        return Destination.fromConfig(config, name -> null).get(0);
    }

    @Test
    void lambdaIsInvokedAsAnEventWithTheAlertAsPayload() throws Exception {
        server.respondWith(r -> HttpStub.Response.of(202));
        try (LambdaSender sender = new LambdaSender(lambda(server.baseUrl()))) {
            Sender.Attempt attempt = sender.send(AlertJsonTest.alert()).get();
            assertThat(attempt.delivered).isTrue();
        }
        HttpStub.Request request = server.requests().get(server.requests().size() - 1);
        assertThat(request.method).isEqualTo("POST");
        assertThat(request.path).isEqualTo("/2015-03-31/functions/nagare-alerts/invocations");
        assertThat(request.header("X-Amz-Invocation-Type")).isEqualTo("Event");
        assertThat(request.header("Authorization")).startsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/");
        assertThat(new ObjectMapper().readTree(request.body)).isEqualTo(new ObjectMapper().readTree(AlertJson.plain(AlertJsonTest.alert())));
    }

    @Test
    void lambdaThrottlingIsRetryableAndAMissingFunctionIsNot() throws Exception {
        server.respondWith(r -> new HttpStub.Response(429, Map.of("x-amzn-ErrorType", "TooManyRequestsException")));
        try (LambdaSender sender = new LambdaSender(lambda(server.baseUrl()))) {
            Sender.Attempt throttled = sender.send(AlertJsonTest.alert()).get();
            assertThat(throttled.delivered).isFalse();
            assertThat(throttled.retryable).isTrue();
            server.respondWith(r -> new HttpStub.Response(404, Map.of("x-amzn-ErrorType", "ResourceNotFoundException")));
            Sender.Attempt missing = sender.send(AlertJsonTest.alert()).get();
            assertThat(missing.retryable).isFalse();
            assertThat(missing.error).startsWith("Lambda 404");
        }
    }

    @Test
    void webhookPostsTheSlackBodyWithHeaders() throws Exception {
        server.respondWith(r -> HttpStub.Response.of(200));
        try (WebhookSender sender = new WebhookSender(webhook(server.baseUrl() + "/services/T1/B2/xyz"))) {
            assertThat(sender.send(AlertJsonTest.alert()).get().delivered).isTrue();
        }
        HttpStub.Request request = server.requests().get(server.requests().size() - 1);
        assertThat(request.path).isEqualTo("/services/T1/B2/xyz");
        assertThat(request.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
        assertThat(request.header("X-Team")).isEqualTo("secops");
        assertThat(request.body).isEqualTo(AlertJson.slack(AlertJsonTest.alert()));
    }

    @Test
    void hostileLogTextReachesTheWebhookEscapedAndWithinSlacksLimits() throws Exception {
        server.respondWith(r -> HttpStub.Response.of(200));
        NagareConfig config = NagareConfig.defaults().with("alerts.webhook.url", server.baseUrl() + "/services/T1/B2/hostile")
                .with("alerts.runbook-base-url", SlackMessageTest.BASE);
        String huge = SlackMessageTest.HOSTILE + "😀".repeat(60_000);
        try (WebhookSender sender = new WebhookSender(Destination.fromConfig(config, name -> null).get(0))) {
            assertThat(sender.send(SlackMessageTest.hostileAlert(huge, SlackMessageTest.HOSTILE)).get().delivered).isTrue();
        }
        HttpStub.Request request = server.requests().stream().filter(r -> r.path.equals("/services/T1/B2/hostile")).findFirst().orElseThrow();
        // What went over the wire, decoded as UTF-8 by the server: valid JSON, within the limits, nothing planted.
        com.fasterxml.jackson.databind.JsonNode message = new ObjectMapper().readTree(request.body);
        SlackMessageTest.assertWithinSlackLimits(message);
        for (String text : SlackMessageTest.mrkdwnTexts(message)) {
            SlackMessageTest.assertNoPlantedMarkup(text.replace(SlackMessageTest.RUNBOOK_LINK, ""));
        }
        assertThat(request.body).contains(SlackMessageTest.RUNBOOK_LINK).doesNotContain("\uFFFD").doesNotContain("?");
    }

    @Test
    void webhookStatusesAndRetryAfter() throws Exception {
        try (WebhookSender sender = new WebhookSender(webhook(server.baseUrl() + "/hook"))) {
            server.respondWith(r -> new HttpStub.Response(429, Map.of("Retry-After", "7")));
            Sender.Attempt limited = sender.send(AlertJsonTest.alert()).get();
            assertThat(limited.retryable).isTrue();
            assertThat(limited.retryAfterMillis).isEqualTo(7000);
            server.respondWith(r -> HttpStub.Response.of(503));
            assertThat(sender.send(AlertJsonTest.alert()).get().retryable).isTrue();
            server.respondWith(r -> HttpStub.Response.of(410));
            Sender.Attempt gone = sender.send(AlertJsonTest.alert()).get();
            assertThat(gone.retryable).isFalse();
            assertThat(gone.error).isEqualTo("HTTP 410");
        }
        assertThat(WebhookSender.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isZero(); // in the past
        assertThat(WebhookSender.retryAfter("soon")).isEqualTo(-1);
    }

    @Test
    void webhookUrlsMustBeHttpsOrLoopback() {
        assertThatThrownBy(() -> webhook("http://hooks.example.com/services/T1/B2/secretpath"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration: alerts.webhook.url must be an https:// URL (http:// only for loopback "
                        + "addresses); it has scheme 'http' and host 'hooks.example.com'");
        assertThat(webhook("https://hooks.slack.com/services/T1/B2/secretpath").toString())
                .isEqualTo("webhook https://hooks.slack.com/*** (slack)");
        NagareConfig fromEnv = NagareConfig.defaults().with("alerts.webhook.url", "env:NAGARE_WEBHOOK");
        // Checked where the job is built, read again by the sender: the destination keeps the name only.
        assertThat(Destination.fromConfig(fromEnv, name -> "NAGARE_WEBHOOK".equals(name) ? "https://hooks.example.com/x" : null))
                .extracting(Destination::toString).containsExactly("webhook env:NAGARE_WEBHOOK (slack)");
        assertThatThrownBy(() -> Destination.fromConfig(fromEnv, name -> null))
                .hasMessage("Invalid configuration: alerts.webhook.url names environment variable NAGARE_WEBHOOK, which is not set");
        assertThatThrownBy(() -> NagareConfig.defaults().with("alerts.rate-limit", "-1"))
                .hasMessage("Invalid configuration value '-1' for key 'rate-limit' in group 'alerts': "
                        + "must be a number of requests per second above 0 and at most 1000");
    }

    @Test
    void routingBySeverityAndTags() {
        NagareConfig config = NagareConfig.defaults()
                .with("alerts.webhook.url", "https://hooks.example.com/x")
                .with("alerts.webhook.min-severity", "critical")
                .with("alerts.lambda.function", "siem")
                .with("alerts.lambda.tags", "T1098;reliability");
        List<Destination> destinations = Destination.fromConfig(config, name -> null);
        Map<String, List<String>> tags = Map.of("app_error_rate", List.of("reliability"), "other", List.of("T1110"));
        assertThat(destinations.get(0).accepts(AlertJsonTest.alert(), tags)).isFalse(); // high < critical
        assertThat(destinations.get(1).accepts(AlertJsonTest.alert(), tags)).isTrue();  // tagged reliability
        org.apache.flink.types.Row other = AlertJsonTest.alert();
        other.setField("rule_id", "other");
        assertThat(destinations.get(1).accepts(other, tags)).isFalse();
    }
}
