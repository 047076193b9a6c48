package dev.nagare.udf.parse;

import dev.nagare.udf.redact.Redactor;

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
    /** Host may be IPv6 (colons), so the prefix anchors on '@' and ':[pid]:'. */
    private static final Pattern PREFIX = Pattern.compile(
            // The zone is a word or an offset: a greedy \\S+ there would swallow the whole prefix and backtrack.
            "(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})(?:\\.\\d+)? ([A-Za-z]+|[+-][\\d:]+):([^@\\n]*?):([^@\\n]*)@([^:\\n]*):\\[(\\d+)\\]:([A-Z0-9]+):\\s{1,2}(.*)",
            Pattern.DOTALL);
    private static final Pattern HOST_PORT = Pattern.compile("(.*)\\((\\d+)\\)");
    private static final Pattern FAILED_LOGIN = Pattern.compile(
            "(password authentication failed for user|no pg_hba\\.conf entry for|role \"[^\"]*\" does not exist|"
                    + "pam authentication failed for user|authentication failed for user).*");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
    private static final String AUDIT = "AUDIT: ";

    /** True when a line starts with the RDS PostgreSQL prefix. */
    public static boolean looksLikePostgresLine(String line) {
        return line.length() > 30 && line.charAt(4) == '-' && line.charAt(10) == ' ' && PREFIX.matcher(line).matches();
    }

    public void parse(String line, NormalizedEvent out) throws ParseException {
        Matcher m = PREFIX.matcher(line);
        if (!m.matches()) {
            throw new ParseException("PostgreSQL log line does not start with the RDS prefix %t:%r:%u@%d:[%p]:");
        }
        out.logType = LogTypes.POSTGRES_AUDIT;
        out.eventTimeMillis = time(m.group(1), m.group(2));
        String remote = m.group(3);
        Matcher hostPort = HOST_PORT.matcher(remote);
        out.dbClientHost = emptyToNull(hostPort.matches() ? hostPort.group(1) : remote);
        out.dbUser = sessionValue(m.group(4));
        out.dbName = sessionValue(m.group(5));
        out.dbConnectionId = Long.parseLong(m.group(6));
        String severity = m.group(7);
        String message = m.group(8);
        out.level = level(severity);
        out.attributes.put("pg_severity", severity);
        if (hostPort.matches()) {
            out.attributes.put("db_client_port", hostPort.group(2));
        }
        if (message.startsWith(AUDIT)) {
            audit(message.substring(AUDIT.length()), out);
            return;
        }
        out.message = Redactor.redact(message);
        if (FAILED_LOGIN.matcher(message).matches()) {
            // The same operation name as MySQL-family audit logs, so one rule covers both engines.
            out.dbOperation = "FAILED_CONNECT";
        } else if (message.startsWith("connection authorized:")) {
            out.dbOperation = "CONNECT";
        } else if (message.startsWith("disconnection:")) {
            out.dbOperation = "DISCONNECT";
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
        out.dbQuery = Redactor.redact(emptyToNull(columns.get(7)));
        out.message = out.dbQuery;
        if (columns.size() > 8) {
            String parameters = columns.get(8);
            // <not logged>, <none> and <long field suppressed> are sentinels, not values.
            out.attributes.put("pg_parameters", parameters.startsWith("<") ? parameters : Redactor.redact(parameters));
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
