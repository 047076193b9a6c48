package dev.nagare.job.alerts;

import java.net.URI;
import java.util.function.Function;

/** Resolves a secret reference on the spot, and shows URLs without their secret parts for logs and errors. */
public final class Secrets {
    private Secrets() {}

    /**
     * The secret's value, resolved here and now (the Kinesis stand-in credentials of a local run);
     * alert destinations keep a {@link SecretReference} and resolve it in their operator instead.
     *
     * @param key the configuration key, for error messages (which never show the value)
     */
    public static String resolve(String key, String reference, Function<String, String> env) {
        try (SecretResolver resolver = new SecretResolver(null, null, env)) {
            return resolver.resolve(SecretReference.parse(key, reference));
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
