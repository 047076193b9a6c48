package dev.nagare.udf.parse;

import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.redact.Redactor;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses one raw log event into the normalized schema: the log group decides the {@link LogFormat}
 * when a route matches (log group names are configuration); otherwise the first format of
 * {@link LogFormats#ALL} that recognises the line does (LOG_FORMATS.md section 0). Around the
 * format's parser it does what holds for every format: the line bound, the choice of event time
 * and redaction.
 */
public final class EventParser implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A log group pattern and the format ({@link LogFormats#NAMES} value) of groups that match it. */
    public static final class Route implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Pattern logGroup;
        private final String logType;
        private transient LogFormat format;

        /** @throws IllegalArgumentException when the regex does not compile or no format has the name */
        public Route(String logGroupRegex, String logType) {
            this.logGroup = Pattern.compile(logGroupRegex);
            this.logType = Objects.requireNonNull(logType);
            this.format = LogFormats.named(logType);
        }

        LogFormat format() {
            if (format == null) { // after deserialization: formats are singletons, not serialized
                format = LogFormats.named(logType);
            }
            return format;
        }

        public String logType() {
            return logType;
        }

        boolean matches(String group) {
            return logGroup.matcher(group).matches();
        }

        @Override
        public String toString() {
            return logGroup.pattern() + " -> " + logType;
        }
    }

    /** The AWS default log group names (LOG_FORMATS.md section 0). */
    public static final List<Route> DEFAULT_ROUTES =
            List.of(
                    new Route("/aws/rds/(cluster|instance)/[^/]+/audit", LogTypes.MYSQL_AUDIT),
                    new Route("/aws/rds/(cluster|instance)/[^/]+/postgresql", LogTypes.POSTGRES_AUDIT),
                    new Route("/aws/lambda/.+", LogTypes.LAMBDA),
                    new Route("(?i).*cloudtrail.*", LogTypes.CLOUDTRAIL),
                    new Route("/ecs/.+|/aws/ecs/.+", LogTypes.APP));

    /** 2000-01-01T00:00:00Z: nothing this job reads is older. */
    static final long EARLIEST_EVENT_TIME = 946_684_800_000L;
    /** Default of {@code parse.max-future}: how far a line's own time may run ahead of its record's time. */
    public static final long DEFAULT_MAX_FUTURE_MILLIS = 15L * 60 * 1000;
    /** Default of {@code parse.max-line-chars}: longer lines are cut there and flagged. */
    public static final int DEFAULT_MAX_LINE_CHARS = 1024 * 1024;
    /** Attribute set on a row whose line was cut at the line bound: the line's original length in chars. */
    public static final String TRUNCATED_ATTRIBUTE = "nagare_truncated_from_chars";
    /** Attribute set on a row whose own time was not trusted: {@code future} or {@code before_2000}. */
    public static final String UNTRUSTED_TIME_ATTRIBUTE = "nagare_untrusted_time";

    private static final Pattern LOG_GROUP_SERVICE =
            Pattern.compile("/aws/lambda/([^/]+)|/aws/rds/(?:cluster|instance)/([^/]+)/.*|.*/([^/]+)");

    private final List<Route> routes;
    /**
     * What each log group seen resolves to, so the regexes run once per group, not once per event
     * (a record's events share its group, and a stream has few groups). Bounded: emptied when it
     * outgrows {@link #GROUPS_REMEMBERED} distinct groups. Transient: rebuilt after deserialization.
     */
    private transient volatile Map<String, Group> groups;
    static final int GROUPS_REMEMBERED = 4096;

    /** A log group's route (null when none names it) and service. */
    private static final class Group {
        final Route route;
        final String service;

        Group(Route route, String service) {
            this.route = route;
            this.service = service;
        }
    }
    private final int maxLineChars;
    private final long maxFutureMillis;
    private final Redactor redactor;

    public EventParser() {
        this(DEFAULT_ROUTES);
    }

    /** Routes tried in order: the given ones, then {@link #DEFAULT_ROUTES}; default bounds. */
    public EventParser(List<Route> routes) {
        this(routes, DEFAULT_MAX_LINE_CHARS, DEFAULT_MAX_FUTURE_MILLIS);
    }

    /**
     * @param routes tried in order before {@link #DEFAULT_ROUTES}
     * @param maxLineChars longer lines are cut to this many chars before parsing and flagged
     * @param maxFutureMillis a line's own time further ahead of its record's time is not trusted
     */
    public EventParser(List<Route> routes, int maxLineChars, long maxFutureMillis) {
        this(routes, maxLineChars, maxFutureMillis, Redactor.DEFAULT);
    }

    /**
     * @param routes tried in order before {@link #DEFAULT_ROUTES}
     * @param maxLineChars longer lines are cut to this many chars before parsing and flagged
     * @param maxFutureMillis a line's own time further ahead of its record's time is not trusted
     * @param redactor masks every text field of every parsed event (the parsers themselves do not)
     */
    public EventParser(List<Route> routes, int maxLineChars, long maxFutureMillis, Redactor redactor) {
        if (maxLineChars < 1 || maxFutureMillis < 0) {
            throw new IllegalArgumentException("maxLineChars must be positive and maxFutureMillis not negative");
        }
        List<Route> all = new ArrayList<>(routes);
        if (routes != DEFAULT_ROUTES) {
            all.addAll(DEFAULT_ROUTES);
        }
        this.routes = List.copyOf(all);
        this.maxLineChars = maxLineChars;
        this.maxFutureMillis = maxFutureMillis;
        this.redactor = Objects.requireNonNull(redactor);
    }

    /** The redaction every parsed event gets; dead letters and anything else stored from raw text use it too. */
    public Redactor redactor() {
        return redactor;
    }

    public int maxLineChars() {
        return maxLineChars;
    }

    /** The route types a configuration may name. */
    public static final List<String> ROUTABLE_TYPES = LogFormats.NAMES;

    /**
     * Parses one event whose record arrived at {@code ingestTimeMillis} (tests and tools that have
     * no separate arrival time).
     */
    public NormalizedEvent parse(RawLogEvent raw, long ingestTimeMillis) throws ParseException {
        return parse(raw, ingestTimeMillis, ingestTimeMillis);
    }

    /**
     * Parses one event. Its event time is the time inside the line when there is a credible one,
     * else the CloudWatch Logs event time, else the time the Kinesis record arrived; never the
     * wall clock. A time inside the line before 2000 or more than the max-future bound ahead of
     * the record's own time is not trusted: it is kept in {@link NormalizedEvent#rejectedEventTimeMillis}
     * and the row is flagged, so a hostile line cannot move the watermark.
     *
     * @param arrivalMillis when Kinesis received the record; null when unknown (a replay of bare payloads)
     * @param ingestTimeMillis when the record reached the job
     * @throws ParseException when the route says a format the content does not follow, or no
     *     event time can be found
     */
    public NormalizedEvent parse(RawLogEvent raw, Long arrivalMillis, long ingestTimeMillis) throws ParseException {
        NormalizedEvent out = new NormalizedEvent();
        RawLogEvent.Envelope envelope = raw.envelope();
        out.ingestTimeMillis = ingestTimeMillis;
        out.eventTimeMillis = NO_TIME;
        out.eventId = raw.id();
        out.account = envelope.owner();
        out.logGroup = envelope.logGroup();
        out.logStream = envelope.logStream();
        Group group = group(envelope.logGroup());
        out.service = group == null ? null : group.service;
        if (envelope.policyLevel() != null) {
            out.attributes.put("cwl_policy_level", envelope.policyLevel());
        }

        String message = raw.message();
        boolean cut = message.length() > maxLineChars;
        if (cut) {
            out.attributes.put(TRUNCATED_ATTRIBUTE, Integer.toString(message.length()));
            message = cut(message, maxLineChars);
        }
        LogFormat format = group != null && group.route != null ? group.route.format() : LogFormats.forLine(message);
        String type = format.name();
        try {
            format.parse(message, out);
        } catch (ParseException e) {
            throw new ParseException((cut ? "line cut at " + maxLineChars + " of " + raw.message().length()
                    + " chars (parse.max-line-chars), then: " : "") + e.getMessage(), type);
        }
        Long recordTime = raw.timestampMillis() != null && raw.timestampMillis() >= EARLIEST_EVENT_TIME
                ? raw.timestampMillis() : arrivalMillis;
        settleEventTime(out, recordTime, type);
        // The one redaction step: parsers keep the text as written, and every text field is
        // masked here, by name and by shape, before a row exists.
        redact(redactor, out);
        return out;
    }

    /** Masks every text field of a parsed event in place, attributes by their name and their value. */
    static void redact(Redactor redactor, NormalizedEvent event) {
        event.message = redactor.mask(event.message);
        event.dbQuery = redactor.mask(event.dbQuery);
        event.dbObject = redactor.mask(event.dbObject);
        for (Map.Entry<String, String> attribute : event.attributes.entrySet()) {
            attribute.setValue(redactor.maskValue(attribute.getKey(), attribute.getValue()));
        }
    }

    /** No time found inside the line (parsers leave this value when the line has none). */
    static final long NO_TIME = Long.MIN_VALUE;

    /** The first {@code max} chars of the text, not splitting a surrogate pair. */
    static String cut(String text, int max) {
        int end = max;
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }

    /**
     * Chooses the event time. A line's own time is trusted only within [2000, record time +
     * max-future]; without a record time (a bare replay) it is checked against the ingest time.
     */
    private void settleEventTime(NormalizedEvent out, Long recordTime, String type) throws ParseException {
        long line = out.eventTimeMillis;
        if (line != NO_TIME) {
            long bound = (recordTime != null ? recordTime : out.ingestTimeMillis) + maxFutureMillis;
            if (line >= EARLIEST_EVENT_TIME && line <= bound) {
                return;
            }
            out.rejectedEventTimeMillis = line;
            out.attributes.put(UNTRUSTED_TIME_ATTRIBUTE, line < EARLIEST_EVENT_TIME ? "before_2000" : "future");
        }
        if (recordTime == null) {
            throw new ParseException(line == NO_TIME
                    ? "no event time: the line has none and the record neither a CloudWatch Logs timestamp nor an arrival time"
                    : "no event time: the line's time " + line + " is not credible and the record has no other time", type);
        }
        out.eventTimeMillis = recordTime;
    }

    /** What a log group resolves to, null for none. */
    private Group group(String logGroup) {
        if (logGroup == null) {
            return null;
        }
        Map<String, Group> known = groups;
        if (known == null) {
            known = new ConcurrentHashMap<>();
            groups = known;
        }
        Group group = known.get(logGroup);
        if (group == null) {
            if (known.size() >= GROUPS_REMEMBERED) {
                known.clear();
            }
            Route route = routes.stream().filter(r -> r.matches(logGroup)).findFirst().orElse(null);
            group = new Group(route, serviceFromLogGroup(logGroup));
            known.put(logGroup, group);
        }
        return group;
    }

    static String serviceFromLogGroup(String logGroup) {
        if (logGroup == null || logGroup.isEmpty()) {
            return null;
        }
        Matcher m = LOG_GROUP_SERVICE.matcher(logGroup);
        if (!m.matches()) {
            return logGroup;
        }
        for (int g = 1; g <= m.groupCount(); g++) {
            if (m.group(g) != null) {
                return m.group(g);
            }
        }
        return logGroup;
    }
}
