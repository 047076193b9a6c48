package dev.nagare.udf.parse;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;

/** Tolerant timestamp parsing for the time fields found in log lines. */
public final class Timestamps {
    private Timestamps() {}

    /** ISO-8601 local date-time with a 'T' or a space and any fraction, with ',' or '.' before it. */
    private static final DateTimeFormatter LOCAL =
            new DateTimeFormatterBuilder()
                    .appendPattern("yyyy-MM-dd")
                    .optionalStart().appendLiteral('T').optionalEnd()
                    .optionalStart().appendLiteral(' ').optionalEnd()
                    .appendPattern("HH:mm:ss")
                    .optionalStart()
                    .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
                    .optionalEnd()
                    .toFormatter();

    /**
     * Epoch milliseconds of an ISO-8601 timestamp with or without offset (no offset means UTC,
     * which is what AWS services write); null when the text is not a timestamp.
     */
    public static Long parseIso(String text) {
        if (text == null || text.length() < 19) {
            return null;
        }
        String s = text.trim().replace(',', '.');
        try {
            return OffsetDateTime.parse(s.replace(' ', 'T')).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            // fall through: no offset
        } catch (ArithmeticException e) {
            return null; // a valid date too far from 1970 for epoch milliseconds in a long (year +999999999)
        }
        try {
            return LocalDateTime.parse(s, LOCAL).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeException | ArithmeticException e) {
            return null;
        }
    }

    /** Epoch milliseconds of an epoch number in seconds, milliseconds, microseconds or nanoseconds. */
    public static long fromEpochNumber(double value) {
        double abs = Math.abs(value);
        if (abs < 1e11) {
            return (long) (value * 1000); // seconds (until the year 5138)
        }
        if (abs < 1e14) {
            return (long) value; // milliseconds
        }
        if (abs < 1e17) {
            return (long) (value / 1000); // microseconds
        }
        return (long) (value / 1_000_000); // nanoseconds
    }
}
