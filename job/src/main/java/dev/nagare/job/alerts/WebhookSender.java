package dev.nagare.job.alerts;

import dev.nagare.job.config.WebhookFormat;

import org.apache.flink.types.Row;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * POSTs alerts to a webhook with the JDK's HTTP client (TLS verification on, as the JDK does by
 * default). The URL and header values are resolved here, when the delivering operator opens, from
 * their references ({@link SecretResolver}): the job graph never holds them. A rotated secret is
 * picked up without a restart: when the webhook answers 401, 403, 404 or 410 (a revoked URL or
 * token), the sender reads the secrets again, at most once a minute, and if they changed the
 * attempt is retried with the new values instead of giving up.
 */
final class WebhookSender implements Sender {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);
    static final long REFRESH_MIN_INTERVAL_NANOS = 60_000_000_000L;

    private final Destination destination;
    private final SecretResolver secrets;
    private final HttpClient http;
    private final boolean refreshable;
    private volatile Resolved current;
    private volatile long lastRefreshNanos;

    /** The values in use: swapped whole, so an attempt never mixes an old URL with new headers. */
    private static final class Resolved {
        final URI uri;
        final String secretPath;
        final Map<String, String> headers;
        final String fingerprint;

        Resolved(String url, Map<String, String> headers) {
            this.uri = URI.create(url);
            this.secretPath = uri.getRawPath() == null || uri.getRawPath().length() < 2 ? null : uri.getRawPath();
            this.headers = headers;
            this.fingerprint = url + '\n' + headers;
        }
    }

    WebhookSender(Destination destination) {
        this(destination, new SecretResolver(destination.secretsEndpoint, destination.secretsRegion, System::getenv));
    }

    WebhookSender(Destination destination, SecretResolver secrets) {
        this.destination = destination;
        this.secrets = secrets;
        this.refreshable = destination.url.kind() != SecretReference.Kind.LITERAL
                || destination.headers.values().stream().anyMatch(r -> r.kind() != SecretReference.Kind.LITERAL);
        this.current = resolve();
        // The first revocation may re-read at once; later ones at most once a minute.
        this.lastRefreshNanos = System.nanoTime() - REFRESH_MIN_INTERVAL_NANOS;
        this.http = HttpClient.newBuilder()
                .connectTimeout(destination.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private Resolved resolve() {
        String url = secrets.resolve(destination.url);
        if (destination.url.kind() != SecretReference.Kind.LITERAL) {
            Destination.checkWebhookUrl(url);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        destination.headers.forEach((name, ref) -> headers.put(name, secrets.resolve(ref)));
        return new Resolved(url, headers);
    }

    @Override
    public CompletableFuture<Attempt> send(Row alert) {
        String body = destination.format == WebhookFormat.SLACK ? AlertJson.slack(alert, destination.runbookBase) : AlertJson.plain(alert);
        Resolved used = current;
        HttpRequest.Builder request = HttpRequest.newBuilder(used.uri)
                .timeout(destination.requestTimeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "nagare-alerts")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        used.headers.forEach(request::header);
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
                .handle((response, error) -> error != null ? Attempt.retry(describe(error, used), -1) : afterRefresh(classify(response), used));
    }

    /** A revoked URL or token: read the secrets again, and retry if they changed since this attempt. */
    private Attempt afterRefresh(Attempt attempt, Resolved used) {
        if (attempt.delivered || attempt.retryable || !refreshable || !REVOKED.contains(attempt.error)) {
            return attempt;
        }
        synchronized (this) {
            if (current == used && System.nanoTime() - lastRefreshNanos >= REFRESH_MIN_INTERVAL_NANOS) {
                lastRefreshNanos = System.nanoTime();
                try {
                    Resolved fresh = resolve();
                    if (!fresh.fingerprint.equals(used.fingerprint)) {
                        current = fresh;
                        LOG.info("The secrets of {} changed since they were read; retrying with the new values", destination);
                    }
                } catch (RuntimeException e) {
                    // Messages of SecretResolver name the secret, never its value.
                    LOG.warn("Could not read the secrets of {} again: {}", destination, e.getMessage());
                }
            }
            if (current != used) {
                return Attempt.retry(attempt.error + "; the webhook's secret changed, retrying with its new value", 0);
            }
        }
        return attempt;
    }

    private static final java.util.Set<String> REVOKED = java.util.Set.of("HTTP 401", "HTTP 403", "HTTP 404", "HTTP 410");

    private static Attempt classify(HttpResponse<?> response) {
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return Attempt.delivered();
        }
        if (status == 429 || status == 408 || status >= 500) {
            return Attempt.retry("HTTP " + status, retryAfter(response.headers().firstValue("Retry-After").orElse(null)));
        }
        // 4xx other than 429: the request itself is wrong (revoked webhook, bad token); retrying cannot help.
        return Attempt.permanent("HTTP " + status);
    }

    /** Retry-After as delay-seconds or an HTTP date, in milliseconds; -1 when absent or unreadable. */
    static long retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        try {
            return Math.max(0, Long.parseLong(value.trim()) * 1000);
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis());
            } catch (DateTimeParseException ignored) {
                return -1;
            }
        }
    }

    /** An error without the URL's secret path (a Slack webhook's path is its credential). */
    private static String describe(Throwable error, Resolved used) {
        Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
        String message = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return used.secretPath == null ? message : message.replace(used.secretPath, "/***");
    }

    @Override
    public void close() {
        // HttpClient has no close() before Java 21; its threads are daemons and end with the task.
        secrets.close();
    }
}
