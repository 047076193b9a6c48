package dev.nagare.udf.parse;


import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * MySQL-family audit lines: Aurora MySQL Advanced Auditing (epoch-µs timestamps), the RDS for
 * MySQL audit plugin and MariaDB server_audit ({@code YYYYMMDD HH:MM:SS}), with 10, 11 or 12
 * fields (LOG_FORMATS.md section 2). The SQL text is quoted with backslash escapes and commas
 * inside it are data, so the line is read by a quote-aware tokenizer, never split on commas.
 */
public final class MySqlAuditParser {

    private static final Pattern EPOCH_MICROS = Pattern.compile("\\d{16}");
    private static final Pattern OPERATION = Pattern.compile("[A-Z_]+");
    private static final DateTimeFormatter LOCAL_SECONDS = DateTimeFormatter.ofPattern("yyyyMMdd HH:mm:ss");

    /** The parsed fields of one line, before they become columns. */
    public static final class AuditLine {
        public long timeMillis;
        public String serverHost;
        public String user;
        public String host;
        public long connectionId;
        public long queryId;
        public String operation;
        public String database;
        /** The SQL text with the plugin's escapes undone, or a table name for TABLE events. */
        public String object;
        public Integer retcode;
        /** RDS for MySQL's connection type on CONNECT-family rows ({@code TCP/IP}, {@code SSL}, ...). */
        public String connectionType;
    }

    /** Recognises a MySQL-family audit line by its first field (content sniffing fallback). */
    public static boolean looksLikeAuditLine(String line) {
        if (line.length() < 18) {
            return false;
        }
        if (line.charAt(16) == ',' && EPOCH_MICROS.matcher(line.substring(0, 16)).matches()) {
            return true;
        }
        return line.length() > 17 && line.charAt(17) == ',' && line.charAt(8) == ' '
                && isDigits(line, 0, 8) && line.charAt(11) == ':' && line.charAt(14) == ':';
    }

    public AuditLine parseLine(String line) throws ParseException {
        List<String> fields = tokenize(line);
        if (fields.size() < 10 || fields.size() > 12) {
            throw new ParseException("MySQL audit line has " + fields.size() + " fields, expected 10 to 12");
        }
        AuditLine a = new AuditLine();
        a.timeMillis = parseTime(fields.get(0));
        a.serverHost = emptyToNull(fields.get(1));
        a.user = emptyToNull(fields.get(2));
        a.host = emptyToNull(fields.get(3));
        a.connectionId = parseLong(fields.get(4), "connectionid");
        a.queryId = parseLong(fields.get(5), "queryid");
        a.operation = fields.get(6);
        if (!OPERATION.matcher(a.operation).matches()) {
            throw new ParseException("MySQL audit operation '" + abbreviate(a.operation) + "' is not an upper-case word");
        }
        a.database = emptyToNull(fields.get(7));
        a.object = emptyToNull(fields.get(8));
        String rc = fields.get(9);
        a.retcode = rc.isEmpty() ? null : (int) parseLong(rc, "retcode");
        if (fields.size() == 11) {
            a.connectionType = emptyToNull(fields.get(10));
        }
        return a;
    }

    /** Fills the normalized columns of an audit event; {@code message} is the redacted SQL or a summary. */
    public void parse(String line, NormalizedEvent out) throws ParseException {
        AuditLine a = parseLine(line);
        out.logType = LogTypes.MYSQL_AUDIT;
        out.eventTimeMillis = a.timeMillis;
        out.dbUser = a.user;
        out.dbClientHost = a.host;
        out.dbOperation = a.operation;
        out.dbName = a.database;
        out.dbRetcode = a.retcode;
        out.dbConnectionId = a.connectionId;
        out.level = a.retcode != null && a.retcode != 0 ? "WARN" : "INFO";
        if (a.serverHost != null) {
            out.attributes.put("db_server_host", a.serverHost);
        }
        out.attributes.put("db_query_id", Long.toString(a.queryId));
        if (a.connectionType != null) {
            out.attributes.put("db_connection_type", a.connectionType);
        }
        if ("QUERY".equals(a.operation)) {
            out.dbQuery = a.object;
            out.message = out.dbQuery;
        } else {
            out.dbObject = a.object;
            out.message = a.operation + " " + (a.user == null ? "" : a.user) + "@" + (a.host == null ? "" : a.host)
                    + (a.object == null ? "" : " " + a.object);
        }
    }

    /**
     * Splits on commas, except inside a field that starts with a single quote: that one runs to
     * the first quote not escaped by a backslash, and its escapes are undone left to right (the
     * only order that tells an escaped newline from an escaped backslash followed by 'n').
     */
    static List<String> tokenize(String line) throws ParseException {
        List<String> fields = new ArrayList<>(12);
        int i = 0;
        int n = line.length();
        while (true) {
            if (i < n && line.charAt(i) == '\'') {
                StringBuilder sb = new StringBuilder();
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = line.charAt(i);
                    if (c == '\\' && i + 1 < n) {
                        sb.append(unescape(line.charAt(i + 1)));
                        i += 2;
                    } else if (c == '\'') {
                        closed = true;
                        i++;
                        break;
                    } else {
                        sb.append(c);
                        i++;
                    }
                }
                if (!closed) {
                    throw new ParseException("unterminated quoted SQL text in MySQL audit line");
                }
                if (i < n && line.charAt(i) != ',') {
                    throw new ParseException("unexpected text after quoted SQL in MySQL audit line");
                }
                fields.add(sb.toString());
            } else {
                int comma = line.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                fields.add(line.substring(i, end));
                i = end;
            }
            if (i >= n) {
                return fields;
            }
            i++; // the comma
            if (i == n) {
                fields.add(""); // trailing comma: an empty last field (TABLE rows' retcode)
                return fields;
            }
        }
    }

    private static char unescape(char c) {
        switch (c) {
            case 'n':
                return '\n';
            case 'r':
                return '\r';
            case 't':
                return '\t';
            case 'b':
                return '\b';
            case 'f':
                return '\f';
            default:
                return c; // \' and \\ and anything unexpected: the character itself
        }
    }

    private static long parseTime(String field) throws ParseException {
        if (field.length() == 16 && isDigits(field, 0, 16)) {
            long micros = Long.parseLong(field);
            return micros / 1000;
        }
        try {
            // RDS writes server-local time, which is UTC on RDS and Aurora.
            return LocalDateTime.parse(field, LOCAL_SECONDS).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new ParseException("MySQL audit timestamp '" + abbreviate(field) + "' is neither epoch microseconds nor YYYYMMDD HH:MM:SS");
        }
    }

    private static long parseLong(String field, String name) throws ParseException {
        if (field.isEmpty() || field.length() > 19 || !isDigits(field, 0, field.length())) {
            throw new ParseException("MySQL audit " + name + " '" + abbreviate(field) + "' is not a number");
        }
        try {
            return Long.parseLong(field);
        } catch (NumberFormatException e) {
            // 19 digits past Long.MAX_VALUE
            throw new ParseException("MySQL audit " + name + " '" + abbreviate(field) + "' is not a number");
        }
    }

    private static boolean isDigits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
