package dev.nagare.job.alerts;

import dev.nagare.job.config.ConfigException;

import java.io.Serializable;

/**
 * Where a secret is, never the secret itself: what the job graph carries for the webhook URL and
 * header values. The delivering operator resolves it in {@code open()} ({@link SecretResolver}).
 * Forms: a literal value (it is in the configuration anyway), {@code env:NAME} (the TaskManager's
 * environment), a Secrets Manager ARN, or {@code secretsmanager:<name or ARN>}; either Secrets
 * Manager form may end in {@code #<json-key>} to take one field of a JSON secret.
 */
public final class SecretReference implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Where the value comes from. */
    public enum Kind {
        LITERAL,
        ENV,
        SECRETS_MANAGER
    }

    final String key;
    final Kind kind;
    /** The literal value, the variable's name, or the secret's name or ARN. */
    final String id;
    /** The JSON field to take, or null. */
    final String jsonKey;

    private SecretReference(String key, Kind kind, String id, String jsonKey) {
        this.key = key;
        this.kind = kind;
        this.id = id;
        this.jsonKey = jsonKey;
    }

    /**
     * @param key the configuration key the reference came from, for messages
     */
    public static SecretReference parse(String key, String reference) {
        String text = reference.trim();
        if (text.startsWith("env:")) {
            String name = text.substring(4);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ConfigException("Invalid configuration: " + key + " names environment variable '" + name
                        + "', which is not a variable name (letters, digits and _)");
            }
            return new SecretReference(key, Kind.ENV, name, null);
        }
        boolean prefixed = text.startsWith("secretsmanager:");
        if (prefixed || (text.startsWith("arn:aws") && text.contains(":secretsmanager:"))) {
            String id = prefixed ? text.substring("secretsmanager:".length()) : text;
            String jsonKey = null;
            int hash = id.indexOf('#');
            if (hash >= 0) {
                jsonKey = id.substring(hash + 1);
                id = id.substring(0, hash);
                if (jsonKey.isEmpty()) {
                    throw new ConfigException("Invalid configuration: " + key + " ends in '#' without a JSON key (secret " + id + ")");
                }
            }
            if (id.isEmpty()) {
                throw new ConfigException("Invalid configuration: " + key + " names no secret after 'secretsmanager:'");
            }
            return new SecretReference(key, Kind.SECRETS_MANAGER, id, jsonKey);
        }
        return new SecretReference(key, Kind.LITERAL, reference, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The region in the secret's ARN, or null for a name. */
    String arnRegion() {
        String[] parts = id.split(":");
        return id.startsWith("arn:") && parts.length > 3 && !parts[3].isEmpty() ? parts[3] : null;
    }

    /** For logs and errors: where the value comes from, never the value (a literal is not shown). */
    @Override
    public String toString() {
        switch (kind) {
            case ENV:
                return "env:" + id;
            case SECRETS_MANAGER:
                return "secret " + id + (jsonKey == null ? "" : "#" + jsonKey);
            default:
                return "a literal value";
        }
    }
}
