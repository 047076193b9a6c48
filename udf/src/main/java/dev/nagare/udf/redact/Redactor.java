package dev.nagare.udf.redact;

import dev.nagare.udf.parse.SqlStatements;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.nagare.udf.parse.SqlStatements.isSpace;
import static dev.nagare.udf.parse.SqlStatements.skipSpaces;

/**
 * Masks secrets in free text before it is stored or alerted: passwords in SQL statements, AWS
 * secret access keys, bearer tokens and card numbers (only Luhn-valid ones, so order ids and
 * timestamps survive). Patterns err on the side of masking: a masked non-secret costs less than a
 * stored password.
 *
 * <p>Linear in the text and constant stack whatever it holds (a log line is attacker-controlled
 * text): SQL passwords are found by a hand-written scanner, and the remaining patterns use only
 * possessive runs of disjoint character classes, so a failed attempt never backtracks.
 */
public final class Redactor {
    public static final String MASK = "*****";

    private static final Pattern AWS_SECRET =
            Pattern.compile("(?i)(aws_?secret_?(?:access_?)?key[\"']?+\\s*+[:=]\\s*+[\"']?+)[A-Za-z0-9/+=]{40}");
    private static final Pattern BEARER = Pattern.compile("(?i)(\\bBearer\\s++)[A-Za-z0-9\\-._~+/]{8,}+=*+");
    private static final Pattern BASIC_AUTH_URL = Pattern.compile("(://[^/\\s:@]++:)[^@\\s/]++(@)");
    /** Bounded: at most 19 digits and 18 separators per attempt, and each separator is optional in one way only. */
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
            out = maskSqlPasswords(out);
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

    /**
     * Masks the string literal (see {@link SqlStatements#literalEnd}) that follows a
     * password-setting clause, case-insensitively, each clause starting at a word boundary:
     * <ul>
     *   <li>{@code IDENTIFIED [WITH plugin] BY [PASSWORD] x} and {@code IDENTIFIED [WITH plugin] AS x}
     *       (CREATE/ALTER USER, GRANT);
     *   <li>{@code SET PASSWORD [FOR u] = x} and {@code = PASSWORD(x)};
     *   <li>{@code PASSWORD(x)}, {@code OLD_PASSWORD(x)};
     *   <li>{@code [MASTER_|SOURCE_]PASSWORD [=] x} (CHANGE MASTER/REPLICATION SOURCE, CREATE SERVER,
     *       PostgreSQL CREATE/ALTER ROLE ... PASSWORD x).
     * </ul>
     * At one position the clauses are tried in that order, and the text resumes after a masked
     * literal, as a regex alternation would; but in one pass, whatever the text.
     */
    private static String maskSqlPasswords(String text) {
        int n = text.length();
        StringBuilder out = null;
        int copied = 0;
        SetPasswordValue setPassword = new SetPasswordValue();
        int i = 0;
        while (i < n) {
            int value = isClauseStart(text, i) ? secretValue(text, i, setPassword) : -1;
            if (value < 0) {
                i++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(n);
            }
            int end = SqlStatements.literalEnd(text, value);
            out.append(text, copied, value).append(MASK);
            i = end;
            copied = end;
        }
        return out == null ? text : out.append(text, copied, n).toString();
    }

    /** Where the secret literal of a clause starting at {@code at} begins, or -1. */
    private static int secretValue(String text, int at, SetPasswordValue setPassword) {
        int n = text.length();
        if (word(text, at, "IDENTIFIED")) {
            int spaces = at + "IDENTIFIED".length();
            int i = skipSpaces(text, spaces);
            if (i > spaces) {
                int afterPlugin = withPlugin(text, i);
                int value = afterPlugin >= 0 ? byOrAs(text, afterPlugin) : -1;
                return value >= 0 ? value : byOrAs(text, i);
            }
            return -1;
        }
        if (word(text, at, "SET")) {
            int spaces = at + "SET".length();
            int i = skipSpaces(text, spaces);
            int end = i + "PASSWORD".length();
            if (i > spaces && word(text, i, "PASSWORD") && (end == n || !SqlStatements.isBoundaryWordChar(text.codePointAt(end)))) {
                return setPassword.after(text, end);
            }
        }
        int function = word(text, at, "OLD_PASSWORD") ? at + 12 : word(text, at, "PASSWORD") ? at + 8 : -1;
        if (function >= 0) {
            int paren = skipSpaces(text, function);
            if (paren < n && text.charAt(paren) == '(') {
                int value = skipSpaces(text, paren + 1);
                if (isLiteral(text, value)) {
                    return value;
                }
            }
        }
        int option = word(text, at, "MASTER_PASSWORD") || word(text, at, "SOURCE_PASSWORD") ? at + 15
                : word(text, at, "PASSWORD") ? at + 8 : -1;
        if (option >= 0) {
            int i = skipSpaces(text, option);
            if (i < n && text.charAt(i) == '=') {
                int value = skipSpaces(text, i + 1);
                return isLiteral(text, value) ? value : -1;
            }
            return isLiteral(text, i) ? i : -1;
        }
        return -1;
    }

    /** After {@code WITH plugin } at {@code at} (the word, spaces, a non-space run, spaces), or -1. */
    private static int withPlugin(String text, int at) {
        if (!word(text, at, "WITH")) {
            return -1;
        }
        int spaces = at + 4;
        int plugin = skipSpaces(text, spaces);
        int pluginEnd = plugin;
        while (pluginEnd < text.length() && !isSpace(text.charAt(pluginEnd))) {
            pluginEnd++;
        }
        int after = skipSpaces(text, pluginEnd);
        return plugin > spaces && pluginEnd > plugin && after > pluginEnd ? after : -1;
    }

    /** The literal after {@code BY [PASSWORD] } or {@code AS } at {@code at}, or -1. */
    private static int byOrAs(String text, int at) {
        if (word(text, at, "BY")) {
            int i = skipSpaces(text, at + 2);
            if (i == at + 2) {
                return -1;
            }
            if (word(text, i, "PASSWORD")) {
                int value = skipSpaces(text, i + 8);
                if (value > i + 8 && isLiteral(text, value)) {
                    return value;
                }
            }
            return isLiteral(text, i) ? i : -1;
        }
        if (word(text, at, "AS")) {
            int i = skipSpaces(text, at + 2);
            return i > at + 2 && isLiteral(text, i) ? i : -1;
        }
        return -1;
    }

    /**
     * The value of {@code SET PASSWORD ... = x}: the text up to the next {@code =} is skipped (a
     * {@code ;} first ends the clause). The outcome depends only on that {@code =}, so it is
     * worked out once for each and reused by every SET PASSWORD before it: a line of a million
     * SET PASSWORDs costs one pass, not a million.
     */
    private static final class SetPasswordValue {
        private int stop = -1;
        private int value = -1;

        int after(String text, int from) {
            if (stop < from) {
                int n = text.length();
                int i = from;
                while (i < n && text.charAt(i) != '=' && text.charAt(i) != ';') {
                    i++;
                }
                stop = i;
                value = i < n && text.charAt(i) == '=' ? valueAfterEquals(text, i + 1) : -1;
            }
            return value;
        }

        /** {@code x} or {@code PASSWORD(x)} after optional spaces. */
        private static int valueAfterEquals(String text, int from) {
            int i = skipSpaces(text, from);
            if (word(text, i, "PASSWORD")) {
                int paren = skipSpaces(text, i + 8);
                if (paren < text.length() && text.charAt(paren) == '(') {
                    int value = skipSpaces(text, paren + 1);
                    if (isLiteral(text, value)) {
                        return value;
                    }
                }
            }
            return isLiteral(text, i) ? i : -1;
        }
    }

    private static boolean isLiteral(String text, int at) {
        return SqlStatements.literalEnd(text, at) >= 0;
    }

    /** A word boundary before a letter that can start a clause (I, S, P, O, M in either case). */
    private static boolean isClauseStart(String text, int at) {
        switch (text.charAt(at) | 0x20) {
            case 'i':
            case 's':
            case 'p':
            case 'o':
            case 'm':
                return at == 0 || !SqlStatements.isBoundaryWordChar(text.codePointBefore(at));
            default:
                return false;
        }
    }

    /** The upper-case keyword at {@code at}, ASCII case-insensitively (as the regex flag (?i) does). */
    private static boolean word(String text, int at, String keyword) {
        if (at < 0 || at + keyword.length() > text.length()) {
            return false;
        }
        for (int k = 0; k < keyword.length(); k++) {
            char c = text.charAt(at + k);
            char want = keyword.charAt(k);
            if (c != want && !(c >= 'a' && c <= 'z' && c - 32 == want)) {
                return false;
            }
        }
        return true;
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
            String digits = digitsOf(text, m.start(), m.end());
            if (digits.length() >= 13 && digits.length() <= 19 && luhnValid(digits)) {
                sb.append(text, last, m.start()).append(MASK).append(digits.substring(digits.length() - 4));
                last = m.end();
            }
        } while (m.find());
        return last == 0 ? text : sb.append(text, last, text.length()).toString();
    }

    /** The digits of a card-number match, without its separators. */
    private static String digitsOf(String text, int from, int to) {
        StringBuilder digits = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c != ' ' && c != '-') {
                digits.append(c);
            }
        }
        return digits.toString();
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
