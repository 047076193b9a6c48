package dev.nagare.udf.parse;

import java.util.Locale;

/** Normalises the many spellings of a log level to TRACE, DEBUG, INFO, WARN, ERROR or FATAL. */
public final class Levels {
    private Levels() {}

    /** A level name in any case or dialect; null when it is not a level. */
    public static String fromName(String name) {
        if (name == null) {
            return null;
        }
        switch (name.trim().toUpperCase(Locale.ROOT)) {
            case "TRACE":
            case "FINEST":
            case "FINER":
                return "TRACE";
            case "DEBUG":
            case "FINE":
            case "VERBOSE":
                return "DEBUG";
            case "INFO":
            case "INFORMATION":
            case "NOTICE":
            case "LOG":
                return "INFO";
            case "WARN":
            case "WARNING":
                return "WARN";
            case "ERROR":
            case "ERR":
            case "SEVERE":
                return "ERROR";
            case "FATAL":
            case "CRITICAL":
            case "CRIT":
            case "ALERT":
            case "EMERG":
            case "EMERGENCY":
            case "PANIC":
                return "FATAL";
            default:
                return null;
        }
    }

    /**
     * A numeric level: pino/bunyan (10..60) or logback's {@code level_value} (5000..50000).
     */
    public static String fromNumber(long value) {
        if (value >= 1000) {
            // logback level_value: 5000 TRACE, 10000 DEBUG, 20000 INFO, 30000 WARN, 40000 ERROR
            return value >= 40000 ? "ERROR" : value >= 30000 ? "WARN" : value >= 20000 ? "INFO" : value >= 10000 ? "DEBUG" : "TRACE";
        }
        // pino: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal
        return value >= 60 ? "FATAL" : value >= 50 ? "ERROR" : value >= 40 ? "WARN" : value >= 30 ? "INFO" : value >= 20 ? "DEBUG" : "TRACE";
    }
}
