package dev.nagare.job.alerts;

import dev.nagare.job.config.WebhookFormat;

import org.apache.flink.types.Row;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.CompletableFuture;

/** POSTs alerts to a webhook with the JDK's HTTP client (TLS verification on, as the JDK does by default). */
final class WebhookSender implements Sender {
    private final Destination destination;
    private final HttpClient http;
    private final URI uri;
    private final String secretPath;

    WebhookSender(Destination destination) {
        this.destination = destination;
        this.uri = URI.create(destination.url);
        this.secretPath = uri.getRawPath() == null || uri.getRawPath().length() < 2 ? null : uri.getRawPath();
        this.http = HttpClient.newBuilder()
                .connectTimeout(destination.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public CompletableFuture<Attempt> send(Row alert) {
        String body = destination.format == WebhookFormat.SLACK ? AlertJson.slack(alert, destination.runbookBase) : AlertJson.plain(alert);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(destination.requestTimeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "nagare-alerts")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        destination.headers.forEach(request::header);
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
                .handle((response, error) -> error != null ? Attempt.retry(describe(error), -1) : classify(response));
    }

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
    private String describe(Throwable error) {
        Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
        String message = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return secretPath == null ? message : message.replace(secretPath, "/***");
    }

    @Override
    public void close() {
        // HttpClient has no close() before Java 21; its threads are daemons and end with the task.
    }
}
