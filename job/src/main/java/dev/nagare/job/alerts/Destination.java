package dev.nagare.job.alerts;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.DeliverySettings;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.config.Severity;
import dev.nagare.job.config.WebhookFormat;

import org.apache.flink.types.Row;

import java.io.Serializable;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** One place alerts are delivered to, with its routing filter and delivery settings. */
public final class Destination implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What kind of endpoint it is. */
    public enum Kind {
        WEBHOOK,
        LAMBDA
    }

    final String name;
    final Kind kind;
    final Severity minSeverity;
    final List<String> tags;
    /** The webhook URL's reference; the URL itself is resolved by the sender ({@link SecretResolver}). */
    final SecretReference url;
    final WebhookFormat format;
    /** Header values as references (a token header may be a secret). */
    final Map<String, SecretReference> headers;
    /** alerts.runbook-base-url: what relative runbooks in Slack messages are resolved against. */
    final String runbookBase;
    final String function;
    final String region;
    final String endpoint;
    /** alerts.secrets.endpoint and alerts.secrets.region, for the sender's {@link SecretResolver}. */
    final String secretsEndpoint;
    final String secretsRegion;
    final Duration connectTimeout;
    final Duration requestTimeout;
    final Duration maxWait;
    final Duration initialBackoff;
    final Duration maxBackoff;
    final double ratePerSecond;
    final int maxInFlight;

    private Destination(String name, Kind kind, Severity minSeverity, List<String> tags, SecretReference url, WebhookFormat format,
                        Map<String, SecretReference> headers, String function, String region, String endpoint, DeliverySettings delivery) {
        this.name = name;
        this.kind = kind;
        this.minSeverity = minSeverity;
        this.tags = List.copyOf(tags);
        this.url = url;
        this.format = format;
        this.headers = headers;
        this.runbookBase = delivery.runbookBase;
        this.function = function;
        this.region = region;
        this.endpoint = endpoint;
        this.secretsEndpoint = delivery.secretsEndpoint;
        this.secretsRegion = delivery.secretsRegion;
        this.connectTimeout = delivery.connectTimeout;
        this.requestTimeout = delivery.requestTimeout;
        this.maxWait = delivery.maxWait;
        this.initialBackoff = delivery.initialBackoff;
        this.maxBackoff = delivery.maxBackoff;
        this.ratePerSecond = delivery.ratePerSecond;
        this.maxInFlight = delivery.maxInFlight;
        if (maxWait.compareTo(attemptTimeout()) <= 0) {
            throw new ConfigException("Invalid configuration: " + NagareOptions.DELIVERY_MAX_WAIT.key() + " (" + maxWait.toMillis()
                    + " ms) must be longer than one " + name + " attempt (" + attemptTimeout().toMillis() + " ms, from "
                    + NagareOptions.DELIVERY_CONNECT_TIMEOUT.key() + " and " + NagareOptions.DELIVERY_REQUEST_TIMEOUT.key() + "), or no alert could ever be sent");
        }
    }

    /**
     * The destinations the configuration names, with references to their secrets, not the secrets:
     * the sender resolves them when the delivering operator opens. What can be checked here is
     * checked here, so a typo stops the job before it runs: a literal URL's scheme, and that an
     * {@code env:} variable is set in this process (for a local run, the one that delivers).
     */
    public static List<Destination> fromConfig(NagareConfig config, Function<String, String> env) {
        List<Destination> destinations = new ArrayList<>();
        DeliverySettings delivery = DeliverySettings.of(config);
        config.getOptional(NagareOptions.WEBHOOK_URL).ifPresent(reference -> {
            SecretReference url = SecretReference.parse(NagareOptions.WEBHOOK_URL.key(), reference);
            if (url.kind() == SecretReference.Kind.LITERAL) {
                checkWebhookUrl(url.id);
            } else if (url.kind() == SecretReference.Kind.ENV) {
                checkWebhookUrl(new SecretResolver(null, null, env).resolve(url));
            }
            Map<String, SecretReference> headers = new LinkedHashMap<>();
            config.get(NagareOptions.WEBHOOK_HEADERS).forEach((header, value) ->
                    headers.put(header, SecretReference.parse(NagareOptions.WEBHOOK_HEADERS.key() + " (" + header + ")", value)));
            destinations.add(new Destination("webhook", Kind.WEBHOOK, config.get(NagareOptions.WEBHOOK_MIN_SEVERITY),
                    config.get(NagareOptions.WEBHOOK_TAGS), url, config.get(NagareOptions.WEBHOOK_FORMAT), headers,
                    null, null, null, delivery));
        });
        config.getOptional(NagareOptions.LAMBDA_FUNCTION).ifPresent(function ->
                destinations.add(new Destination("lambda", Kind.LAMBDA, config.get(NagareOptions.LAMBDA_MIN_SEVERITY),
                        config.get(NagareOptions.LAMBDA_TAGS), null, null, Map.of(), function,
                        config.getOptional(NagareOptions.LAMBDA_REGION).orElse(null),
                        config.getOptional(NagareOptions.LAMBDA_ENDPOINT).orElse(null), delivery)));
        return destinations;
    }

    /** https everywhere; plain http only to this machine (tests, local relays). The URL itself is never shown. */
    static void checkWebhookUrl(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("Invalid configuration: alerts.webhook.url is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if ("https".equals(scheme) && uri.getHost() != null) {
            return;
        }
        if ("http".equals(scheme) && uri.getHost() != null && isLoopback(uri.getHost())) {
            return;
        }
        throw new ConfigException("Invalid configuration: alerts.webhook.url must be an https:// URL (http:// only for "
                + "loopback addresses); it has scheme '" + scheme + "' and host '" + uri.getHost() + "'");
    }

    private static boolean isLoopback(String host) {
        if ("localhost".equalsIgnoreCase(host)) {
            return true;
        }
        try {
            // Literal addresses only: a name is not resolved here, so DNS cannot make it "loopback".
            return host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?") && InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** True when the alert's severity and its rule's tags pass this destination's filter. */
    public boolean accepts(Row alert, Map<String, List<String>> tagsByRule) {
        Severity severity = Severity.of((String) alert.getField("severity"));
        if (severity.compareTo(minSeverity) < 0) {
            return false;
        }
        if (tags.isEmpty()) {
            return true;
        }
        List<String> ruleTags = tagsByRule.getOrDefault((String) alert.getField("rule_id"), List.of());
        return ruleTags.stream().anyMatch(tags::contains);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    /**
     * The longest one attempt can take by the sender's own timeouts: the webhook's connect and
     * request timeouts, or the Lambda client's call timeout (twice the request timeout).
     */
    public Duration attemptTimeout() {
        return kind == Kind.WEBHOOK ? connectTimeout.plus(requestTimeout) : requestTimeout.multipliedBy(2);
    }

    /**
     * Flink's async timeout, a safety net only: an attempt starts only if it can end before the
     * alert's deadline ({@code alerts.retry.max-wait} after it arrived), so every delivery ends
     * before this timeout unless an attempt overruns every bound.
     */
    public Duration asyncTimeout() {
        return maxWait.plus(attemptTimeout()).plus(Deliveries.ATTEMPT_GRACE).plusSeconds(5);
    }

    /**
     * The capacity of Flink's async operator: above {@code alerts.max-in-flight}, the most alerts
     * the destination admits, so that the operator's queue always has room and its task thread
     * never waits for the destination (answered alerts leave the queue as soon as the task thread
     * emits them).
     */
    public int asyncCapacity() {
        return 2 * maxInFlight + 16;
    }

    /** For logs: no secret parts. */
    @Override
    public String toString() {
        return kind == Kind.WEBHOOK ? "webhook " + (url.kind() == SecretReference.Kind.LITERAL ? Secrets.redactUrl(url.id) : url.toString())
                + " (" + format.name().toLowerCase() + ")"
                : "lambda " + function + (endpoint == null ? "" : " at " + endpoint);
    }
}
