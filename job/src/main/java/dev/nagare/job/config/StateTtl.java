package dev.nagare.job.config;

import java.time.Duration;

/**
 * Bounds of a rule's state TTL, for a rule's own {@code state-ttl} header and for
 * {@code rules.default-state-ttl}: here, below both the configuration and the rules, so each
 * checks against the same bounds without the two packages depending on each other.
 */
public final class StateTtl {
    public static final Duration MIN = Duration.ofMinutes(1);
    public static final Duration MAX = Duration.ofDays(365);
    public static final String ALLOWED = "a whole number of seconds from 1m to 365d, such as 2h or 8d";

    private StateTtl() {}

    /** Whole seconds from {@link #MIN} to {@link #MAX}. */
    public static boolean valid(Duration ttl) {
        return ttl.getNano() == 0 && ttl.compareTo(MIN) >= 0 && ttl.compareTo(MAX) <= 0;
    }
}
