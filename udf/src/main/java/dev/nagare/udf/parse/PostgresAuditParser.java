package dev.nagare.udf.parse;


import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RDS and Aurora PostgreSQL error-log lines with the fixed prefix {@code %t:%r:%u@%d:[%p]:}, the
 * pgaudit {@code AUDIT:} rows inside them, and the connection and failed-login lines of the same
 * log (LOG_FORMATS.md section 3). The audit payload is RFC 4180 CSV, quoted only when needed and
 * with newlines inside quoted statements, so it is read by a real CSV reader.
 */
public final class PostgresAuditParser {
    /**
     * The prefix with the zone, remote host and user ({@code %t}'s zone, {@code %r}, {@code %u})
     * as one span up to the first '@'; {@link #session} splits that span. The host may be IPv6
     * (colons), so the prefix anchors on '@' and ':[pid]:'. Every run is possessive over a class
     * that excludes what follows it: one pass, no backtracking, whatever the line holds.
     */
    private static final Pattern PREFIX = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})(?:\\.\\d++)?+ ([^@\\n]*+)@([^:\\n]*+):\\[(\\d++)\\]:([A-Z0-9]++):\\s{1,2}+(.*)",
            Pattern.DOTALL);
    private static final Pattern HOST_PORT = Pattern.compile("(.*)\\((\\d+)\\)");
    private static final Pattern FAILED_LOGIN = Pattern.compile(
            "(password authentication failed for user|no pg_hba\\.conf entry for|role \"[^\"]*\" does not exist|"
                    + "pam authentication failed for user|authentication failed for user).*+");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
    private static final String AUDIT = "AUDIT: ";

    /** True when a line starts with the RDS PostgreSQL prefix. */
    public static boolean looksLikePostgresLine(String line) {
        if (line.length() <= 30 || line.charAt(4) != '-' || line.charAt(10) != ' ') {
            return false;
        }
        Matcher m = PREFIX.matcher(line);
        return m.matches() && session(m.group(2)) != null;
    }

    public void parse(String line, NormalizedEvent out) throws ParseException {
        Matcher m = PREFIX.matcher(line);
        String[] session = m.matches() ? session(m.group(2)) : null;
        if (session == null) {
            throw new ParseException("PostgreSQL log line does not start with the RDS prefix %t:%r:%u@%d:[%p]:");
        }
        out.logType = LogTypes.POSTGRES_AUDIT;
        out.eventTimeMillis = time(m.group(1), session[0]);
        String remote = session[1];
        Matcher hostPort = HOST_PORT.matcher(remote);
        out.dbClientHost = emptyToNull(hostPort.matches() ? hostPort.group(1) : remote);
        out.dbUser = sessionValue(session[2]);
        out.dbName = sessionValue(m.group(3));
        out.dbConnectionId = processId(m.group(4));
        String severity = m.group(5);
        String message = m.group(6);
        out.level = level(severity);
        out.attributes.put("pg_severity", severity);
        if (hostPort.matches()) {
            out.attributes.put("db_client_port", hostPort.group(2));
        }
        if (message.startsWith(AUDIT)) {
            audit(message.substring(AUDIT.length()), out);
            return;
        }
        out.message = message;
        if (FAILED_LOGIN.matcher(message).matches()) {
            // The same operation name as MySQL-family audit logs, so one rule covers both engines.
            out.dbOperation = "FAILED_CONNECT";
        } else if (message.startsWith("connection authorized:")) {
            out.dbOperation = "CONNECT";
        } else if (message.startsWith("disconnection:")) {
            out.dbOperation = "DISCONNECT";
        }
    }

    /**
     * Splits {@code ZONE:REMOTE:USER} into its three parts, or null. The zone is letters or a
     * sign and a run of digits and colons; the remote host runs to the next colon and the user is
     * the rest. An offset zone gives back its last colons to the host as long as the host still
     * needs a colon after it: the first reading a regex ({@code ([A-Za-z]+|[+-][\d:]+):([^@\n]*?):(.*)})
     * finds, here found in one pass instead of by backtracking, which took cubic time.
     */
    static String[] session(String span) {
        int n = span.length();
        int zoneEnd;
        if (n > 0 && isAsciiLetter(span.charAt(0))) {
            zoneEnd = 1;
            while (zoneEnd < n && isAsciiLetter(span.charAt(zoneEnd))) {
                zoneEnd++;
            }
            if (zoneEnd >= n || span.charAt(zoneEnd) != ':') {
                return null;
            }
        } else if (n > 0 && (span.charAt(0) == '+' || span.charAt(0) == '-')) {
            int run = 1;
            while (run < n && (span.charAt(run) == ':' || (span.charAt(run) >= '0' && span.charAt(run) <= '9'))) {
                run++;
            }
            int lastColon = span.lastIndexOf(':');
            zoneEnd = -1;
            for (int i = Math.min(run, lastColon) - 1; i >= 2; i--) {
                if (span.charAt(i) == ':') {
                    zoneEnd = i;
                    break;
                }
            }
            if (zoneEnd < 0) {
                return null;
            }
        } else {
            return null;
        }
        int remoteEnd = span.indexOf(':', zoneEnd + 1);
        if (remoteEnd < 0) {
            return null;
        }
        return new String[] {span.substring(0, zoneEnd), span.substring(zoneEnd + 1, remoteEnd), span.substring(remoteEnd + 1)};
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static long processId(String digits) throws ParseException {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new ParseException("PostgreSQL process id '" + (digits.length() <= 40 ? digits : digits.substring(0, 40) + "...")
                    + "' is not a number");
        }
    }

    private static void audit(String csv, NormalizedEvent out) throws ParseException {
        List<String> columns = csv(csv);
        if (columns.size() < 8) {
            throw new ParseException("pgaudit row has " + columns.size() + " columns, expected at least 8");
        }
        out.attributes.put("pg_audit_type", columns.get(0));
        out.attributes.put("pg_statement_id", columns.get(1));
        out.attributes.put("pg_substatement_id", columns.get(2));
        out.attributes.put("pg_class", columns.get(3));
        out.dbOperation = columns.get(4);
        if (!columns.get(5).isEmpty()) {
            out.attributes.put("pg_object_type", columns.get(5));
        }
        out.dbObject = emptyToNull(columns.get(6));
        out.dbQuery = emptyToNull(columns.get(7));
        out.message = out.dbQuery;
        if (columns.size() > 8) {
            String parameters = columns.get(8);
            // <not logged>, <none> and <long field suppressed> are sentinels, not values.
            out.attributes.put("pg_parameters", parameters);
        }
        if (columns.size() > 9) {
            out.attributes.put("pg_rows", columns.get(9));
        }
        if (columns.size() > 10) {
            out.attributes.put("pg_extra_columns", String.join(",", columns.subList(10, columns.size())));
        }
        out.dbRetcode = 0; // pgaudit logs statements that ran; failures show as ERROR lines
    }

    /** RFC 4180: fields quoted only when needed, {@code ""} for a quote, newlines inside quotes. */
    static List<String> csv(String text) throws ParseException {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        int n = text.length();
        while (true) {
            field.setLength(0);
            if (i < n && text.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= n) {
                        throw new ParseException("pgaudit row has an unterminated quoted field");
                    }
                    char c = text.charAt(i++);
                    if (c == '"') {
                        if (i < n && text.charAt(i) == '"') {
                            field.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        field.append(c);
                    }
                }
                if (i < n && text.charAt(i) != ',') {
                    throw new ParseException("pgaudit row has text after a quoted field");
                }
            } else {
                while (i < n && text.charAt(i) != ',') {
                    field.append(text.charAt(i++));
                }
            }
            fields.add(field.toString());
            if (i >= n) {
                return fields;
            }
            i++; // the comma
        }
    }

    /** pgaudit's PARAMETER column is itself a CSV list: the bind values, in order. */
    public static List<String> parameters(String column) throws ParseException {
        return column.startsWith("<") ? List.of() : csv(column);
    }

    private static long time(String text, String zone) throws ParseException {
        try {
            LocalDateTime t = LocalDateTime.parse(text, TIME);
            // RDS and Aurora write %t in UTC (the zone abbreviation is always UTC there).
            return t.toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new ParseException("PostgreSQL timestamp '" + text + " " + zone + "' is not YYYY-MM-DD HH:MM:SS");
        }
    }

    private static String level(String severity) {
        switch (severity) {
            case "PANIC":
            case "FATAL":
                return "FATAL";
            case "ERROR":
                return "ERROR";
            case "WARNING":
                return "WARN";
            case "LOG":
            case "INFO":
            case "NOTICE":
            case "DETAIL":
            case "HINT":
            case "CONTEXT":
            case "STATEMENT":
            case "QUERY":
                return "INFO";
            default:
                return severity.startsWith("DEBUG") ? "DEBUG" : "INFO";
        }
    }

    /** {@code [unknown]} (before authentication) and empty (background process) are not a user or database. */
    private static String sessionValue(String value) {
        return value.isEmpty() || "[unknown]".equals(value) ? null : value;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
