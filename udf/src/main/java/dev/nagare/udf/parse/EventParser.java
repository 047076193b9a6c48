package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.redact.Redactor;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Classifies one raw log event and parses it into the normalized schema. The log group decides
 * the parser when a route matches (log group names are configuration); otherwise the content is
 * sniffed (LOG_FORMATS.md section 0).
 */
public final class EventParser implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A log group pattern and the parser ({@link LogTypes} value) for groups that match it. */
    public static final class Route implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Pattern logGroup;
        private final String logType;

        public Route(String logGroupRegex, String logType) {
            this.logGroup = Pattern.compile(logGroupRegex);
            this.logType = Objects.requireNonNull(logType);
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
    /** Clocks drift, but not by more than a day. */
    static final long MAX_FUTURE_MILLIS = 24L * 3600 * 1000;

    private static final Pattern TEXT_LEVEL =
            Pattern.compile("\\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\\b");
    private static final Pattern LOG_GROUP_SERVICE =
            Pattern.compile("/aws/lambda/([^/]+)|/aws/rds/(?:cluster|instance)/([^/]+)/.*|.*/([^/]+)");

    private final List<Route> routes;
    // The parsers hold no state, so one of each serves every thread.
    private static final MySqlAuditParser MYSQL = new MySqlAuditParser();
    private static final AppJsonParser APP = new AppJsonParser();
    private static final LambdaTextParser LAMBDA_TEXT = new LambdaTextParser();
    private static final CloudTrailParser CLOUD_TRAIL = new CloudTrailParser();
    private static final PostgresAuditParser POSTGRES = new PostgresAuditParser();
    private static final FireLensParser FIRELENS = new FireLensParser();

    public EventParser() {
        this(DEFAULT_ROUTES);
    }

    /** Routes tried in order: the given ones, then {@link #DEFAULT_ROUTES}. */
    public EventParser(List<Route> routes) {
        List<Route> all = new ArrayList<>(routes);
        if (routes != DEFAULT_ROUTES) {
            all.addAll(DEFAULT_ROUTES);
        }
        this.routes = List.copyOf(all);
    }

    /** The route types a configuration may name. */
    public static final List<String> ROUTABLE_TYPES =
            List.of(LogTypes.APP, LogTypes.LAMBDA, LogTypes.MYSQL_AUDIT, LogTypes.POSTGRES_AUDIT, LogTypes.CLOUDTRAIL, LogTypes.TEXT);

    /**
     * Parses one event.
     *
     * @param ingestTimeMillis when the record reached the job; the event time of last resort
     * @throws ParseException when the route says a format the content does not follow
     */
    public NormalizedEvent parse(RawLogEvent raw, long ingestTimeMillis) throws ParseException {
        NormalizedEvent out = new NormalizedEvent();
        RawLogEvent.Envelope envelope = raw.envelope();
        out.ingestTimeMillis = ingestTimeMillis;
        out.eventTimeMillis = raw.timestampMillis() != null ? raw.timestampMillis() : ingestTimeMillis;
        out.eventId = raw.id();
        out.account = envelope.owner();
        out.logGroup = envelope.logGroup();
        out.logStream = envelope.logStream();
        out.service = serviceFromLogGroup(envelope.logGroup());
        if (envelope.policyLevel() != null) {
            out.attributes.put("cwl_policy_level", envelope.policyLevel());
        }

        String message = raw.message();
        String type = route(envelope.logGroup(), message);
        try {
            parse(type, message, out);
        } catch (ParseException e) {
            throw new ParseException(e.getMessage(), type);
        }
        checkEventTime(out, raw.timestampMillis() != null ? raw.timestampMillis() : ingestTimeMillis);
        return out;
    }

    private static void parse(String type, String message, NormalizedEvent out) throws ParseException {
        switch (type) {
            case LogTypes.MYSQL_AUDIT:
                MYSQL.parse(message, out);
                break;
            case LogTypes.POSTGRES_AUDIT:
                POSTGRES.parse(message, out);
                break;
            case LogTypes.CLOUDTRAIL:
                ObjectNode trail = AppJsonParser.readObject(message);
                if (trail == null) {
                    throw new ParseException("CloudTrail log event is not a JSON object");
                }
                CLOUD_TRAIL.parse(trail, out);
                break;
            case LogTypes.LAMBDA:
                ObjectNode lambdaJson = AppJsonParser.looksLikeJson(message) ? AppJsonParser.readObject(message) : null;
                if (lambdaJson != null && LambdaTextParser.isPlatformRecord(lambdaJson)) {
                    LAMBDA_TEXT.parsePlatform(lambdaJson, out);
                } else if (lambdaJson != null) {
                    APP.parse(lambdaJson, out); // an application record of the JSON log format
                    out.logType = LogTypes.LAMBDA;
                } else {
                    LAMBDA_TEXT.parse(message, out);
                }
                break;
            case LogTypes.APP:
                ObjectNode json = AppJsonParser.looksLikeJson(message) ? AppJsonParser.readObject(message) : null;
                if (json != null && CloudTrailParser.isCloudTrail(json)) {
                    CLOUD_TRAIL.parse(json, out);
                } else if (json != null && FireLensParser.isFireLens(json)) {
                    FIRELENS.parse(json, out, APP);
                } else if (json != null && LambdaTextParser.isPlatformRecord(json)) {
                    LAMBDA_TEXT.parsePlatform(json, out);
                } else if (json != null) {
                    APP.parse(json, out);
                } else {
                    text(message, out);
                }
                break;
            default:
                text(message, out);
        }
    }

    /**
     * A time from inside a log line can be absurd (a clock reset, a mis-read epoch unit). Rather
     * than open a partition in 1970 or the year 50000, such an event keeps the CloudWatch time
     * and records the rejected value.
     */
    private static void checkEventTime(NormalizedEvent out, long fallbackMillis) {
        if (out.eventTimeMillis < EARLIEST_EVENT_TIME || out.eventTimeMillis > out.ingestTimeMillis + MAX_FUTURE_MILLIS) {
            out.attributes.put("rejected_event_time_ms", Long.toString(out.eventTimeMillis));
            out.eventTimeMillis = fallbackMillis;
        }
    }

    private String route(String logGroup, String message) {
        if (logGroup != null) {
            for (Route r : routes) {
                if (r.matches(logGroup)) {
                    return r.logType();
                }
            }
        }
        // Content sniffing: the cheap checks first.
        if (MySqlAuditParser.looksLikeAuditLine(message)) {
            return LogTypes.MYSQL_AUDIT;
        }
        if (PostgresAuditParser.looksLikePostgresLine(message)) {
            return LogTypes.POSTGRES_AUDIT;
        }
        if (LambdaTextParser.looksLikePlatformLine(message)) {
            return LogTypes.LAMBDA;
        }
        if (AppJsonParser.looksLikeJson(message)) {
            return LogTypes.APP; // CloudTrail is recognised inside by its fields
        }
        return LogTypes.TEXT;
    }

    /** A line of plain text: the level is guessed from the first level word, if any. */
    private static void text(String message, NormalizedEvent out) {
        out.logType = LogTypes.TEXT;
        out.level = levelInText(message);
        out.message = Redactor.redact(message);
    }

    /** The first level word near the start of a text line (ERROR, WARN, ...), or null. */
    static String levelInText(String line) {
        Matcher m = TEXT_LEVEL.matcher(line.length() > 200 ? line.substring(0, 200) : line);
        return m.find() ? Levels.fromName(m.group(1)) : null;
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
