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
        long fast = commonIso(text);
        return fast != NOT_COMMON ? Long.valueOf(fast) : parseIsoGeneral(text);
    }

    /** What {@link #commonIso} answers for text it leaves to the general path. */
    private static final long NOT_COMMON = Long.MIN_VALUE;

    /**
     * The shape nearly every log line writes, read by hand: {@code yyyy-MM-dd}, {@code T} or a
     * space, {@code HH:mm:ss}, an optional fraction after {@code .} or {@code ,} (1-9 digits),
     * then nothing (UTC), {@code Z}, or {@code +HH:MM} / {@code -HH:MM}. Once per event, the
     * general path cost a sixth of the source thread in a profile: {@code java.time}'s parser
     * resolves a field map, and a timestamp without offset threw a parse exception first.
     * {@link #NOT_COMMON} for anything else, valid or not (the general path decides), so both
     * paths answer the same for every text ({@code TimestampsTest} compares them).
     */
    static long commonIso(String s) {
        int n = s.length();
        if (n < 19 || s.charAt(4) != '-' || s.charAt(7) != '-' || (s.charAt(10) != 'T' && s.charAt(10) != ' ')
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return NOT_COMMON;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 59
                || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            return NOT_COMMON;
        }
        int i = 19;
        int millis = 0;
        if (i < n && (s.charAt(i) == '.' || s.charAt(i) == ',')) {
            int start = ++i;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                if (i - start < 3) {
                    millis = millis * 10 + (s.charAt(i) - '0');
                }
                i++;
            }
            int count = i - start;
            if (count == 0 || count > 9) {
                return NOT_COMMON;
            }
            for (int k = count; k < 3; k++) {
                millis *= 10;
            }
        }
        int offsetSeconds = 0;
        if (i < n) {
            char c = s.charAt(i);
            if (c == 'Z' && i + 1 == n) {
                offsetSeconds = 0;
            } else if ((c == '+' || c == '-') && i + 6 == n && s.charAt(i + 3) == ':') {
                int oh = digits(s, i + 1, 2);
                int om = digits(s, i + 4, 2);
                if (oh < 0 || oh > 17 || om < 0 || om > 59) {
                    return NOT_COMMON;
                }
                offsetSeconds = (c == '-' ? -1 : 1) * (oh * 3600 + om * 60);
            } else {
                return NOT_COMMON;
            }
        }
        long epochDay = java.time.LocalDate.of(year, month, day).toEpochDay();
        long seconds = epochDay * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds;
        return seconds * 1000 + millis;
    }

    /** The value of {@code count} ASCII digits at {@code from}; -1 when one is not a digit. */
    private static int digits(String s, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** Any ISO-8601 dialect {@code java.time} reads, with or without offset, padded or not. */
    static Long parseIsoGeneral(String text) {
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
