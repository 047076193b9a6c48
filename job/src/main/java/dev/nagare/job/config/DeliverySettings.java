package dev.nagare.job.config;

import java.io.Serializable;
import java.time.Duration;

/**
 * The typed settings every alert destination shares (property group {@code alerts}: timeouts,
 * retries, rate limit, queue bound, runbook links, Secrets Manager), with the checks of their
 * values beside them. {@link NagareConfig} runs the checks on every value it reads; {@link #of}
 * reads the settings of a validated configuration. Each destination's own keys (URL, function,
 * filters) are read where the destination is built.
 */
public final class DeliverySettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What relative runbooks in Slack messages are resolved against; empty for none. */
    public final String runbookBase;
    /** Secrets Manager endpoint override and region of secrets named without an ARN; null for the SDK's. */
    public final String secretsEndpoint;
    public final String secretsRegion;
    public final Duration connectTimeout;
    public final Duration requestTimeout;
    public final Duration maxWait;
    public final Duration initialBackoff;
    public final Duration maxBackoff;
    public final double ratePerSecond;
    public final int maxInFlight;

    private DeliverySettings(NagareConfig config) {
        runbookBase = config.get(NagareOptions.RUNBOOK_BASE_URL);
        secretsEndpoint = config.getOptional(NagareOptions.SECRETS_ENDPOINT).orElse(null);
        secretsRegion = config.getOptional(NagareOptions.SECRETS_REGION).orElse(null);
        connectTimeout = config.get(NagareOptions.DELIVERY_CONNECT_TIMEOUT);
        requestTimeout = config.get(NagareOptions.DELIVERY_REQUEST_TIMEOUT);
        maxWait = config.get(NagareOptions.DELIVERY_MAX_WAIT);
        initialBackoff = config.get(NagareOptions.DELIVERY_INITIAL_BACKOFF);
        maxBackoff = config.get(NagareOptions.DELIVERY_MAX_BACKOFF);
        ratePerSecond = config.get(NagareOptions.DELIVERY_RATE_LIMIT);
        maxInFlight = config.get(NagareOptions.DELIVERY_MAX_IN_FLIGHT);
    }

    /** The settings of a validated configuration. */
    public static DeliverySettings of(NagareConfig config) {
        return new DeliverySettings(config);
    }

    /** The checks of the shared {@code alerts} values, beyond what their types enforce. */
    static void registerChecks() {
        NagareConfig.check(NagareOptions.DELIVERY_CONNECT_TIMEOUT, NagareConfig::atLeastOneMilli, "must be a duration such as 5 s");
        NagareConfig.check(NagareOptions.DELIVERY_REQUEST_TIMEOUT, NagareConfig::atLeastOneMilli, "must be a duration such as 10 s");
        NagareConfig.check(NagareOptions.DELIVERY_MAX_WAIT, NagareConfig::atLeastOneMilli, "must be a duration such as 10 min");
        NagareConfig.check(NagareOptions.DELIVERY_INITIAL_BACKOFF, NagareConfig::atLeastOneMilli, "must be a duration such as 1 s");
        NagareConfig.check(NagareOptions.DELIVERY_MAX_BACKOFF, NagareConfig::atLeastOneMilli, "must be a duration such as 60 s");
        NagareConfig.check(NagareOptions.DELIVERY_RATE_LIMIT, (Double v) -> v > 0 && v <= 1000,
                "must be a number of requests per second above 0 and at most 1000");
        NagareConfig.check(NagareOptions.DELIVERY_MAX_IN_FLIGHT, (Integer v) -> v >= 1 && v <= 100_000, "must be an integer from 1 to 100000");
        NagareConfig.check(NagareOptions.RUNBOOK_BASE_URL, (String v) -> v.isEmpty() || isHttpUrl(v),
                "must be empty (no runbook links) or an http:// or https:// URL such as https://github.com/acme/nagare/blob/main/");
    }

    /** An absolute http(s) URL with a host, and nothing that would end a Slack link early ({@code | < >}, spaces). */
    static boolean isHttpUrl(String v) {
        if (!v.matches("(?i)https?://[^\\s|<>]+")) {
            return false;
        }
        try {
            return java.net.URI.create(v).getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
