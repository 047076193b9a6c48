package dev.nagare.job.config;

import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.redact.Redactor;

import org.apache.flink.configuration.MemorySize;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * The typed settings of decoding and parsing (property groups {@code parse} and {@code redact}),
 * with the checks of their values beside them. {@link NagareConfig} runs the checks on every value
 * it reads; {@link #of} reads the settings of a validated configuration.
 */
public final class ParseSettings {
    /** Routes in front of the AWS defaults. */
    public final List<EventParser.Route> routes;
    public final int maxLineChars;
    public final Duration maxFuture;
    public final long maxRecordBytes;
    public final int maxEventsPerRecord;
    /** Zero turns deduplication off. */
    public final Duration dedupTtl;
    /** Bytes per subtask for the dedup's filter of stored ids (RocksDB); zero turns it off. */
    public final long dedupFilterBytes;
    public final Duration partialTimeout;
    public final List<String> secretKeys;
    public final List<Pattern> extraPatterns;

    private ParseSettings(NagareConfig config) {
        routes = config.get(NagareOptions.PARSE_ROUTES).stream()
                .map(r -> new EventParser.Route(r.substring(r.indexOf(':') + 1).trim(), r.substring(0, r.indexOf(':')).trim()))
                .collect(Collectors.toUnmodifiableList());
        maxLineChars = config.get(NagareOptions.MAX_LINE_CHARS);
        maxFuture = config.get(NagareOptions.MAX_FUTURE);
        maxRecordBytes = config.get(NagareOptions.MAX_RECORD_BYTES).getBytes();
        maxEventsPerRecord = config.get(NagareOptions.MAX_EVENTS_PER_RECORD);
        dedupTtl = config.get(NagareOptions.DEDUP_TTL);
        dedupFilterBytes = config.get(NagareOptions.DEDUP_FILTER_MEMORY).getBytes();
        partialTimeout = config.get(NagareOptions.PARTIAL_TIMEOUT);
        secretKeys = List.copyOf(config.get(NagareOptions.REDACT_SECRET_KEYS));
        extraPatterns = config.get(NagareOptions.REDACT_EXTRA_PATTERNS).stream().map(Pattern::compile)
                .collect(Collectors.toUnmodifiableList());
    }

    /** The settings of a validated configuration. */
    public static ParseSettings of(NagareConfig config) {
        return new ParseSettings(config);
    }

    /** The event parser of these settings: its routes, bounds and redaction. */
    public EventParser parser() {
        return new EventParser(routes, maxLineChars, maxFuture.toMillis(), redactor());
    }

    /** The one redaction of these settings, for every stored, sent and logged text. */
    public Redactor redactor() {
        return new Redactor(secretKeys, extraPatterns);
    }

    /** The checks of the {@code parse} and {@code redact} values, beyond what their types enforce. */
    static void registerChecks() {
        NagareConfig.check(NagareOptions.PARSE_ROUTES, (List<String> v) -> v.stream().allMatch(ParseSettings::isRoute),
                "must be '<log_type>:<log group regex>' entries separated by ';' with log_type one of "
                        + String.join(", ", EventParser.ROUTABLE_TYPES));
        // Ids are remembered to the millisecond; a TTL under a second would forget them before a
        // re-delivery could arrive, so it is a typo (ms for min) rather than a setting.
        NagareConfig.check(NagareOptions.DEDUP_TTL, (Duration v) -> v.isZero() || v.compareTo(Duration.ofSeconds(1)) >= 0,
                "must be 0 s (off) or a duration of at least 1 s such as 1 h");
        // A size without a unit is bytes: "64" would be a filter that answers "maybe" to everything.
        // The filter is on the task's heap: a typo of gb for mb would take it all.
        NagareConfig.check(NagareOptions.DEDUP_FILTER_MEMORY,
                (MemorySize v) -> v.getBytes() == 0 || v.getBytes() >= 1024 * 1024 && v.getBytes() <= 1024L * 1024 * 1024,
                "must be 0 (off) or a size from 1 mb to 1 gb such as 64 mb");
        NagareConfig.check(NagareOptions.PARTIAL_TIMEOUT, (Duration v) -> v.compareTo(Duration.ofSeconds(1)) >= 0,
                "must be a duration of at least 1 s");
        NagareConfig.check(NagareOptions.MAX_LINE_CHARS, (Integer v) -> v >= 16384, "must be an integer >= 16384");
        NagareConfig.check(NagareOptions.MAX_RECORD_BYTES,
                (MemorySize v) -> v.getBytes() >= 1024 * 1024 && v.getBytes() <= Integer.MAX_VALUE - 8, "must be a size from 1 mb to 2047 mb");
        NagareConfig.check(NagareOptions.MAX_EVENTS_PER_RECORD, (Integer v) -> v >= 1, "must be an integer >= 1");
        NagareConfig.check(NagareOptions.MAX_FUTURE, (Duration v) -> !v.isNegative(), "must be a duration >= 0 such as 15 min");
        NagareConfig.check(NagareOptions.REDACT_SECRET_KEYS, (List<String> v) -> v.stream().allMatch(w -> w.matches("[A-Za-z0-9_.-]+")),
                "must be key words of letters, digits, '_', '-' or '.' separated by ';'");
        NagareConfig.check(NagareOptions.REDACT_EXTRA_PATTERNS, (List<String> v) -> v.stream().allMatch(ParseSettings::isMaskingPattern),
                "must be Java regexes separated by ';', each matching at least one character");
    }

    /** A {@code <log_type>:<regex>} entry with a known format and a regex that compiles. */
    private static boolean isRoute(String entry) {
        int colon = entry.indexOf(':');
        if (colon <= 0 || !EventParser.ROUTABLE_TYPES.contains(entry.substring(0, colon).trim())) {
            return false;
        }
        try {
            Pattern.compile(entry.substring(colon + 1).trim());
            return true;
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    /** Compiles, and cannot match the empty string (it would mask nothing, or everywhere). */
    private static boolean isMaskingPattern(String regex) {
        try {
            return !Pattern.compile(regex).matcher("").matches();
        } catch (PatternSyntaxException e) {
            return false;
        }
    }
}
