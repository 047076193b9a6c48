package dev.nagare.job.config;

import java.util.Locale;

/** Alert severities in increasing order (the rule metadata's {@code severity}). */
public enum Severity {
    INFO,
    LOW,
    MEDIUM,
    HIGH,
    CRITICAL;

    /** The severity of a rule's metadata value ({@code info} ... {@code critical}). */
    public static Severity of(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
