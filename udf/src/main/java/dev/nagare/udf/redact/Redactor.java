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
        String out = text;
        if (containsIgnoreCase(out, "password") || containsIgnoreCase(out, "identified")) {
            out = SQL_SECRETS.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if (containsIgnoreCase(out, "secret")) {
            out = AWS_SECRET.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if (containsIgnoreCase(out, "bearer")) {
            out = BEARER.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if (out.contains("://")) {
            out = BASIC_AUTH_URL.matcher(out).replaceAll("$1" + MASK + "$2");
        }
        return maskCards(out);
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

    private static boolean containsIgnoreCase(String haystack, String needle) {
        int max = haystack.length() - needle.length();
        for (int i = 0; i <= max; i++) {
            if (haystack.regionMatches(true, i, needle, 0, needle.length())) {
                return true;
            }
        }
        return false;
    }
}
