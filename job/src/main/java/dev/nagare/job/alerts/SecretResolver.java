package dev.nagare.job.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.config.ConfigException;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

import java.io.IOException;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Resolves {@link SecretReference}s where they are used: in the delivering operator's
 * {@code open()}, on the TaskManager, with the TaskManager's credentials (on Managed Flink the
 * application role). Errors say what failed (not found, access denied, not JSON, no such key,
 * unreachable) and name the secret, never its value: no SDK or JSON parser message that could
 * quote the value is passed on. One Secrets Manager client per region, closed with the resolver.
 */
final class SecretResolver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The fields a JSON secret without an explicit {@code #key} is searched for, in order. */
    private static final String[] URL_FIELDS = {"url", "webhook_url", "value"};

    private final String endpoint;
    private final String region;
    private final Function<String, String> env;
    private final Map<String, SecretsManagerClient> clients = new HashMap<>();

    /**
     * @param endpoint Secrets Manager endpoint override ({@code alerts.secrets.endpoint}), or null
     * @param region region for secrets named without an ARN ({@code alerts.secrets.region}), or null for the SDK's default chain
     * @param env the environment {@code env:} references read (the process's own outside tests)
     */
    SecretResolver(String endpoint, String region, Function<String, String> env) {
        this.endpoint = endpoint;
        this.region = region;
        this.env = env;
    }

    String resolve(SecretReference ref) {
        switch (ref.kind) {
            case ENV: {
                String value = env.apply(ref.id);
                if (value == null || value.isBlank()) {
                    throw new ConfigException("Invalid configuration: " + ref.key + " names environment variable " + ref.id + ", which is not set");
                }
                return value.trim();
            }
            case SECRETS_MANAGER:
                return fromSecretsManager(ref);
            default:
                return ref.id;
        }
    }

    private String fromSecretsManager(SecretReference ref) {
        String where = ref.key + " names secret " + ref.id + (ref.jsonKey == null ? "" : "#" + ref.jsonKey);
        SecretsManagerClient client;
        try {
            client = client(ref);
        } catch (SdkClientException e) {
            throw new ConfigException("Cannot read a secret: " + where + ", and no region is known for it: name it by its ARN or set "
                    + "alerts.secrets.region (" + e.getClass().getSimpleName() + ")");
        }
        String secret;
        try {
            secret = client.getSecretValue(r -> r.secretId(ref.id)).secretString();
        } catch (ResourceNotFoundException e) {
            throw new ConfigException("Cannot read a secret: " + where + ", which Secrets Manager does not have (ResourceNotFoundException)");
        } catch (SecretsManagerException e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            if ("AccessDeniedException".equals(code) || e.statusCode() == 403) {
                throw new ConfigException("Cannot read a secret: " + where + ", and access to it is denied (" + code
                        + "); the role needs secretsmanager:GetSecretValue on it (and kms:Decrypt for a customer key)");
            }
            throw new ConfigException("Cannot read a secret: " + where + ", and Secrets Manager answered " + code + " (HTTP " + e.statusCode() + ")");
        } catch (SdkClientException e) {
            throw new ConfigException("Cannot read a secret: " + where + ", and Secrets Manager" + (endpoint == null ? "" : " at " + endpoint)
                    + " cannot be reached: " + rootCause(e));
        }
        if (secret == null) {
            throw new ConfigException("Cannot read a secret: " + where + ", which holds no SecretString (a binary secret)");
        }
        if (ref.jsonKey == null && !secret.trim().startsWith("{")) {
            return secret.trim();
        }
        JsonNode json;
        try {
            json = JSON.readTree(secret);
        } catch (IOException e) {
            // The parser's message quotes the text around the error: the value. Not passed on.
            throw new ConfigException("Cannot read a secret: " + where + ", which is not a JSON object");
        }
        if (json == null || !json.isObject()) {
            throw new ConfigException("Cannot read a secret: " + where + ", which is not a JSON object");
        }
        if (ref.jsonKey != null) {
            JsonNode value = json.get(ref.jsonKey);
            if (value == null || !value.isTextual() || value.asText().isBlank()) {
                throw new ConfigException("Cannot read a secret: " + where + ", which has no text field '" + ref.jsonKey + "'");
            }
            return value.asText().trim();
        }
        for (String field : URL_FIELDS) {
            if (json.hasNonNull(field) && json.get(field).isTextual()) {
                return json.get(field).asText().trim();
            }
        }
        throw new ConfigException("Cannot read a secret: " + where + ", which is JSON without a 'url' field "
                + "(name the field with " + ref.key + "=secretsmanager:" + ref.id + "#<field>)");
    }

    private SecretsManagerClient client(SecretReference ref) {
        String r = ref.arnRegion() != null ? ref.arnRegion() : region;
        return clients.computeIfAbsent(r == null ? "" : r, key -> {
            SecretsManagerClientBuilder builder = SecretsManagerClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder());
            if (!key.isEmpty()) {
                builder.region(Region.of(key));
            }
            if (endpoint != null) {
                builder.endpointOverride(URI.create(endpoint));
            }
            return builder.build();
        });
    }

    /** The innermost cause's class and message: connection errors name host and port, not the secret. */
    private static String rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    @Override
    public void close() {
        clients.values().forEach(SecretsManagerClient::close);
        clients.clear();
    }
}
