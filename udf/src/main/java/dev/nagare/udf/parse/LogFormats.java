package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The supported log formats, in the order they are tried (LOG_FORMATS.md section 0). A line no
 * route claimed goes to the first format that recognises it, the cheap checks first; a line that
 * is a JSON object goes to the first format that recognises the object, and plain application JSON
 * takes every object no other format claims. Plain text takes whatever is left. The parsers hold no
 * state, so one of each serves every thread.
 */
public final class LogFormats {
    private LogFormats() {}

    private static final MySqlAuditParser MYSQL = new MySqlAuditParser();
    private static final PostgresAuditParser POSTGRES = new PostgresAuditParser();
    private static final CloudTrailParser CLOUD_TRAIL = new CloudTrailParser();
    private static final LambdaTextParser LAMBDA_TEXT = new LambdaTextParser();
    private static final AppJsonParser APP_JSON = new AppJsonParser();
    private static final Pattern TEXT_LEVEL =
            Pattern.compile("\\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\\b");

    /** Aurora/RDS MySQL-family audit lines (LOG_FORMATS.md section 2). */
    public static final LogFormat MYSQL_AUDIT = new LogFormat() {
        @Override
        public String name() {
            return LogTypes.MYSQL_AUDIT;
        }

        @Override
        public boolean recognises(String line) {
            return MySqlAuditParser.looksLikeAuditLine(line);
        }

        @Override
        public void parse(String line, NormalizedEvent out) throws ParseException {
            MYSQL.parse(line, out);
        }
    };

    /** PostgreSQL log lines with pgaudit entries. */
    public static final LogFormat POSTGRES_AUDIT = new LogFormat() {
        @Override
        public String name() {
            return LogTypes.POSTGRES_AUDIT;
        }

        @Override
        public boolean recognises(String line) {
            return PostgresAuditParser.looksLikePostgresLine(line);
        }

        @Override
        public void parse(String line, NormalizedEvent out) throws ParseException {
            POSTGRES.parse(line, out);
        }
    };

    /** CloudTrail events; found by their fields among JSON objects, or routed by a trail's log group. */
    public static final LogFormat CLOUDTRAIL = new LogFormat() {
        @Override
        public String name() {
            return LogTypes.CLOUDTRAIL;
        }

        @Override
        public boolean recognises(ObjectNode json) {
            return CloudTrailParser.isCloudTrail(json);
        }

        @Override
        public void parse(String line, NormalizedEvent out) throws ParseException {
            CLOUD_TRAIL.parse(line, out);
        }

        @Override
        public void parse(ObjectNode json, NormalizedEvent out) throws ParseException {
            CLOUD_TRAIL.parse(json, out);
        }
    };

    /** ECS FireLens records: the container line inside is application JSON or text ({@link FireLensParser}). */
    public static final LogFormat FIRELENS = new LogFormat() {
        @Override
        public String name() {
            return null;
        }

        @Override
        public boolean recognises(ObjectNode json) {
            return FireLensParser.isFireLens(json);
        }

        @Override
        public void parse(String line, NormalizedEvent out) throws ParseException {
            ObjectNode json = AppJsonParser.readObject(line);
            if (json == null || !recognises(json)) {
                throw new ParseException("not a FireLens record");
            }
            parse(json, out);
        }

        @Override
        public void parse(ObjectNode json, NormalizedEvent out) throws ParseException {
            FireLensParser.parse(json, out);
        }
    };

    /**
     * Lambda logs: platform lines and records (START, END, REPORT), application records of the JSON
     * log format (kept as {@code lambda}) and the text the runtime writes.
     */
    public static final LogFormat LAMBDA = new LogFormat() {
        @Override
        public String name() {
            return LogTypes.LAMBDA;
        }

        @Override
        public boolean recognises(String line) {
            return LambdaTextParser.looksLikePlatformLine(line);
        }

        @Override
        public boolean recognises(ObjectNode json) {
            return LambdaTextParser.isPlatformRecord(json);
        }

        @Override
        public void parse(String line, NormalizedEvent out) {
            ObjectNode json = AppJsonParser.looksLikeJson(line) ? AppJsonParser.readObject(line) : null;
            if (json != null && recognises(json)) {
                parse(json, out);
            } else if (json != null) {
                APP_JSON.parse(json, out); // an application record of the JSON log format
                out.logType = LogTypes.LAMBDA;
            } else {
                LAMBDA_TEXT.parse(line, out);
            }
        }

        @Override
        public void parse(ObjectNode json, NormalizedEvent out) {
            LAMBDA_TEXT.parsePlatform(json, out);
        }
    };

    /**
     * JSON lines: each object goes to the first format that recognises it, application JSON
     * (logback, pino, python and the like) when none does; a line that is not an object is text.
     */
    public static final LogFormat APP = new LogFormat() {
        @Override
        public String name() {
            return LogTypes.APP;
        }

        @Override
        public boolean recognises(String line) {
            return AppJsonParser.looksLikeJson(line);
        }

        @Override
        public boolean recognises(ObjectNode json) {
            return true;
        }

        @Override
        public void parse(String line, NormalizedEvent out) throws ParseException {
            ObjectNode json = AppJsonParser.looksLikeJson(line) ? AppJsonParser.readObject(line) : null;
            if (json == null) {
                text(line, out);
            } else {
                forJson(json).parse(json, out);
            }
        }

        @Override
        public void parse(ObjectNode json, NormalizedEvent out) {
            APP_JSON.parse(json, out);
        }
    };

    /** Plain text: the level is guessed from the first level word, if any. Takes every line. */
    public static final LogFormat TEXT = new LogFormat() {
        @Override
        public String name() {
            return LogTypes.TEXT;
        }

        @Override
        public boolean recognises(String line) {
            return true;
        }

        @Override
        public void parse(String line, NormalizedEvent out) {
            text(line, out);
        }
    };

    /** Every format, in the order they are tried, the cheap and specific ones first and text last. */
    public static final List<LogFormat> ALL =
            List.of(MYSQL_AUDIT, POSTGRES_AUDIT, CLOUDTRAIL, FIRELENS, LAMBDA, APP, TEXT);

    /** The format names routes and configuration may use. */
    public static final List<String> NAMES =
            ALL.stream().map(LogFormat::name).filter(Objects::nonNull).collect(Collectors.toUnmodifiableList());

    /** The format a route names. */
    public static LogFormat named(String name) {
        for (LogFormat format : ALL) {
            if (name.equals(format.name())) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown log format '" + name + "'; allowed: " + String.join(", ", NAMES));
    }

    /** The first format that recognises a line (text at the latest). */
    public static LogFormat forLine(String line) {
        for (LogFormat format : ALL) {
            if (format.recognises(line)) {
                return format;
            }
        }
        throw new IllegalStateException("text recognises every line");
    }

    /** The first format that recognises a JSON object (application JSON at the latest). */
    public static LogFormat forJson(ObjectNode json) {
        for (LogFormat format : ALL) {
            if (format.recognises(json)) {
                return format;
            }
        }
        throw new IllegalStateException("application JSON recognises every object");
    }

    /** A line of plain text (also the container line of a FireLens record that is not JSON). */
    static void text(String line, NormalizedEvent out) {
        out.logType = LogTypes.TEXT;
        out.level = levelInText(line);
        out.message = line;
    }

    /** The first level word near the start of a text line (ERROR, WARN, ...), or null. */
    static String levelInText(String line) {
        Matcher m = TEXT_LEVEL.matcher(line.length() > 200 ? line.substring(0, 200) : line);
        return m.find() ? Levels.fromName(m.group(1)) : null;
    }
}
