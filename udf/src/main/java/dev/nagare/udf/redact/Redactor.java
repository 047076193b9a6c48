package dev.nagare.udf.redact;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets in free text before it is stored or alerted: passwords in SQL statements, AWS
 * secret access keys, bearer tokens and card numbers (only Luhn-valid ones, so order ids and
 * timestamps survive). Patterns err on the side of masking: a masked non-secret costs less than a
 * stored password.
 */
public final class Redactor {
    public static final String MASK = "*****";

    /**
     * A single- or double-quoted SQL string, with backslash or doubled-quote escapes; or one
     * quoted with escaped quotes ({@code \'secret\'}), as a raw MySQL audit line writes it.
     */
    private static final String QUOTED =
            "(?:\\\\'.*?\\\\'|'(?:[^'\\\\]|\\\\.|'')*'|\"(?:[^\"\\\\]|\\\\.|\"\")*\")";

    private static final Pattern SQL_SECRETS =
            Pattern.compile(
                    "(?i)("
                            // CREATE/ALTER USER, GRANT ... IDENTIFIED [WITH plugin] BY 'x' / BY PASSWORD 'x' / AS 'x'
                            + "\\bIDENTIFIED\\s+(?:WITH\\s+\\S+\\s+)?(?:BY\\s+(?:PASSWORD\\s+)?|AS\\s+)"
                            // SET PASSWORD [FOR u] = 'x' / = PASSWORD('x')
                            + "|\\bSET\\s+PASSWORD\\b[^=;]*=\\s*(?:PASSWORD\\s*\\(\\s*)?"
                            // PASSWORD('x'), OLD_PASSWORD('x')
                            + "|\\b(?:OLD_)?PASSWORD\\s*\\(\\s*"
                            // CHANGE MASTER/REPLICATION SOURCE ... MASTER_PASSWORD = 'x', CREATE SERVER ... PASSWORD 'x'
                            + "|\\b(?:MASTER_|SOURCE_)?PASSWORD\\s*=?\\s*"
                            // PostgreSQL: CREATE/ALTER ROLE ... [ENCRYPTED] PASSWORD 'x'
                            + ")"
                            + QUOTED);

    private static final Pattern AWS_SECRET =
            Pattern.compile("(?i)(aws_?secret_?(?:access_?)?key[\"']?\\s*[:=]\\s*[\"']?)[A-Za-z0-9/+=]{40}");
    private static final Pattern BEARER = Pattern.compile("(?i)(\\bBearer\\s+)[A-Za-z0-9\\-._~+/]{8,}=*");
    private static final Pattern BASIC_AUTH_URL = Pattern.compile("(://[^/\\s:@]+:)[^@\\s/]+(@)");
    private static final Pattern CARD = Pattern.compile("(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])");

    private Redactor() {}

    /** The text with every recognised secret replaced by {@value #MASK}; null stays null. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        // One cheap pass finds which patterns can match at all; most log lines need none of them.
        int triggers = triggers(text);
        if (triggers == 0) {
            return text;
        }
        String out = text;
        if ((triggers & SQL) != 0) {
            out = SQL_SECRETS.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if ((triggers & SECRET_KEY) != 0) {
            out = AWS_SECRET.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if ((triggers & TOKEN) != 0) {
            out = BEARER.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if ((triggers & URL) != 0) {
            out = BASIC_AUTH_URL.matcher(out).replaceAll("$1" + MASK + "$2");
        }
        return (triggers & DIGITS) != 0 ? maskCards(out) : out;
    }

    private static final int SQL = 1;
    private static final int SECRET_KEY = 2;
    private static final int TOKEN = 4;
    private static final int URL = 8;
    private static final int DIGITS = 16;

    /** Which families of secrets the text may hold, found in a single scan of its characters. */
    static int triggers(String text) {
        int found = 0;
        int digits = 0;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                if (++digits >= 13) {
                    found |= DIGITS;
                }
                continue;
            }
            if (c != ' ' && c != '-') {
                digits = 0; // card numbers may be grouped by spaces or dashes
            }
            switch (c | 0x20) { // ASCII lower case; other characters never match a keyword below
                case 'p':
                    if (text.regionMatches(true, i, "password", 0, 8)) {
                        found |= SQL;
                    }
                    break;
                case 'i':
                    if (text.regionMatches(true, i, "identified", 0, 10)) {
                        found |= SQL;
                    }
                    break;
                case 's':
                    if (text.regionMatches(true, i, "secret", 0, 6)) {
                        found |= SECRET_KEY;
                    }
                    break;
                case 'b':
                    if (text.regionMatches(true, i, "bearer", 0, 6)) {
                        found |= TOKEN;
                    }
                    break;
                case ':':
                    if (text.startsWith("://", i)) {
                        found |= URL;
                    }
                    break;
                default:
            }
        }
        return found;
    }

    private static String maskCards(String text) {
        Matcher m = CARD.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        do {
            String digits = m.group().replaceAll("[ -]", "");
            if (digits.length() >= 13 && digits.length() <= 19 && luhnValid(digits)) {
                sb.append(text, last, m.start()).append(MASK).append(digits.substring(digits.length() - 4));
                last = m.end();
            }
        } while (m.find());
        return last == 0 ? text : sb.append(text, last, text.length()).toString();
    }

    static boolean luhnValid(String digits) {
        int sum = 0;
        boolean dbl = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (dbl) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }
}
