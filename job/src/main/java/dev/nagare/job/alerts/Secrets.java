package dev.nagare.job.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.config.ConfigException;

import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.io.IOException;
import java.net.URI;
import java.util.function.Function;

/**
 * Resolves secret references at start-up — a literal, {@code env:NAME}, or a Secrets Manager ARN —
 * and shows URLs without their secret parts for logs and errors.
 */
public final class Secrets {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Secrets() {}

    /**
     * The secret's value.
     *
     * @param key the configuration key, for error messages (which never show the value)
     */
    public static String resolve(String key, String reference, Function<String, String> env) {
        if (reference.startsWith("env:")) {
            String name = reference.substring(4);
            String value = env.apply(name);
            if (value == null || value.isBlank()) {
                throw new ConfigException("Invalid configuration: " + key + " names environment variable " + name + ", which is not set");
            }
            return value.trim();
        }
        if (reference.startsWith("arn:aws") && reference.contains(":secretsmanager:")) {
            return fromSecretsManager(key, reference);
        }
        return reference;
    }

    private static String fromSecretsManager(String key, String arn) {
        String region = arn.split(":")[3];
        try (SecretsManagerClient client = SecretsManagerClient.builder()
                .region(Region.of(region))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build()) {
            String secret = client.getSecretValue(r -> r.secretId(arn)).secretString();
            // A secret may hold the URL itself or a JSON object with it ({"url": "..."}).
            if (secret != null && secret.trim().startsWith("{")) {
                JsonNode json = JSON.readTree(secret);
                for (String field : new String[] {"url", "webhook_url", "value"}) {
                    if (json.hasNonNull(field)) {
                        return json.get(field).asText();
                    }
                }
                throw new ConfigException("Invalid configuration: the secret named by " + key + " is JSON without a 'url' field");
            }
            return secret;
        } catch (IOException e) {
            throw new ConfigException("Invalid configuration: the secret named by " + key + " is not readable JSON");
        } catch (RuntimeException e) {
            if (e instanceof ConfigException) {
                throw e;
            }
            // The SDK's message names the ARN, not the value.
            throw new ConfigException("Invalid configuration: cannot read the secret named by " + key + ": " + e.getClass().getSimpleName());
        }
    }

    /** A URL safe to show: scheme, host and port only ({@code https://hooks.slack.com/***}). */
    public static String redactUrl(String url) {
        try {
            URI uri = URI.create(url);
            return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + "/***";
        } catch (IllegalArgumentException e) {
            return "***";
        }
    }
}
