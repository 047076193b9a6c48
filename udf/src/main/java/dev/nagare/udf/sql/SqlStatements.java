package dev.nagare.udf.sql;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What rules need to know about an audited SQL statement without a full SQL parser: its verb
 * ({@code GRANT}, {@code CREATE USER}, {@code DROP TABLE}, ...) and the tables it names. String
 * literals and comments are blanked first, so {@code LIKE '%grant%'} is not a GRANT.
 *
 * <p>Every method takes time linear in the text and constant stack, whatever the text holds:
 * literals, comments and table lists are read by hand-written scanners, because a regex with an
 * alternation under a repetition recurses once per character (a 5,000-char literal overflowed the
 * stack) and backtracks without bound on hostile input.
 */
public final class SqlStatements {
    /** Anchored at the start and tried once; every whitespace run is followed by a letter, so possessive is exact. */
    private static final Pattern VERB = Pattern.compile(
            "\\s*+(?:(CREATE|ALTER|DROP|RENAME)\\s++(?:OR\\s++REPLACE\\s++)?(?:TEMPORARY\\s++|TEMP\\s++|UNIQUE\\s++)?"
                    + "(USER|ROLE|TABLE|DATABASE|SCHEMA|INDEX|VIEW|FUNCTION|PROCEDURE|TRIGGER|EVENT|SERVER|TABLESPACE|SEQUENCE|EXTENSION)"
                    + "|(SET)\\s++(PASSWORD|ROLE)|(TRUNCATE)|([A-Za-z]++))",
            Pattern.CASE_INSENSITIVE);
    private static final String[] TABLE_KEYWORDS = {"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "TRUNCATE"};
    private static final Set<String> NOT_TABLES = Set.of("select", "lateral", "unnest", "dual", "values", "set");
    /** PostgreSQL truncates identifiers, dollar-quote tags included, to 63 bytes; longer is not a tag. */
    private static final int MAX_DOLLAR_TAG = 63;

    private SqlStatements() {}

    /** The statement's verb in upper case: one word, or two for CREATE/ALTER/DROP/RENAME x and SET PASSWORD; null for blank text. */
    public static String verb(String sql) {
        if (sql == null) {
            return null;
        }
        Matcher m = VERB.matcher(blankLiteralsAndComments(sql));
        if (!m.lookingAt()) {
            return null;
        }
        if (m.group(1) != null) {
            String object = m.group(2).toUpperCase(Locale.ROOT);
            return m.group(1).toUpperCase(Locale.ROOT) + " " + ("ROLE".equals(object) ? "USER" : object);
        }
        if (m.group(3) != null) {
            return "SET " + m.group(4).toUpperCase(Locale.ROOT);
        }
        return (m.group(5) != null ? m.group(5) : m.group(6)).toUpperCase(Locale.ROOT);
    }

    /**
     * The tables the statement names after FROM, JOIN, INTO, UPDATE, TABLE or TRUNCATE (then
     * optionally IF [NOT] EXISTS and ONLY), lower case, unquoted: a name is {@code [schema.]table},
     * each part a run of word characters and {@code $} optionally in backticks or double quotes,
     * and a comma-separated list of them is read whole.
     */
    public static List<String> tables(String sql) {
        if (sql == null) {
            return List.of();
        }
        String text = blankLiteralsAndComments(sql);
        Set<String> tables = new LinkedHashSet<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            int end = -1;
            if (isWordChar(text.charAt(i)) && (i == 0 || !isBoundaryWordChar(Character.codePointBefore(text, i)))) {
                end = tableList(text, i, tables);
            }
            i = end > i ? end : i + 1;
        }
        return new ArrayList<>(tables);
    }

    /**
     * Reads a table keyword and the name list after it at {@code at}, adding the names; the end
     * of the list, or -1 when there is none. Where the optional IF [NOT] EXISTS and ONLY could
     * be either keywords or the name, the longer reading is tried first.
     */
    private static int tableList(String text, int at, Set<String> tables) {
        int afterKeyword = -1;
        for (String keyword : TABLE_KEYWORDS) {
            if (startsWithIgnoreCase(text, at, keyword)) {
                afterKeyword = at + keyword.length();
                break;
            }
        }
        if (afterKeyword < 0) {
            return -1;
        }
        int start = skipSpaces(text, afterKeyword);
        if (start == afterKeyword) {
            return -1;
        }
        int afterIf = ifExists(text, start);
        int afterOnlyAndIf = afterIf < 0 ? -1 : keywordAndSpaces(text, afterIf, "ONLY");
        int afterOnly = keywordAndSpaces(text, start, "ONLY");
        for (int from : new int[] {afterOnlyAndIf, afterIf, afterOnly, start}) {
            if (from >= 0) {
                int end = nameList(text, from, tables);
                if (end >= 0) {
                    return end;
                }
            }
        }
        return -1;
    }

    /** After {@code IF [NOT] EXISTS} and the spaces that follow, or -1. */
    private static int ifExists(String text, int at) {
        int i = keywordAndSpaces(text, at, "IF");
        if (i < 0) {
            return -1;
        }
        int afterNot = keywordAndSpaces(text, i, "NOT");
        int exists = keywordAndSpaces(text, afterNot < 0 ? i : afterNot, "EXISTS");
        return exists >= 0 || afterNot < 0 ? exists : keywordAndSpaces(text, i, "EXISTS");
    }

    /** After the keyword and at least one space, or -1. */
    private static int keywordAndSpaces(String text, int at, String keyword) {
        if (!startsWithIgnoreCase(text, at, keyword)) {
            return -1;
        }
        int end = at + keyword.length();
        int i = skipSpaces(text, end);
        return i > end ? i : -1;
    }

    /** Reads {@code name (\s* , \s* name)*} at {@code at}, adding each name; its end, or -1 without a first name. */
    private static int nameList(String text, int at, Set<String> tables) {
        int end = qualifiedName(text, at);
        if (end < 0) {
            return -1;
        }
        addTable(text, at, end, tables);
        while (true) {
            int comma = skipSpaces(text, end);
            if (comma >= text.length() || text.charAt(comma) != ',') {
                return end;
            }
            int next = skipSpaces(text, comma + 1);
            int nextEnd = qualifiedName(text, next);
            if (nextEnd < 0) {
                return end;
            }
            addTable(text, next, nextEnd, tables);
            end = nextEnd;
        }
    }

    private static void addTable(String text, int from, int to, Set<String> tables) {
        String clean = text.substring(from, to).replace("`", "").replace("\"", "").toLowerCase(Locale.ROOT);
        if (!NOT_TABLES.contains(clean)) {
            tables.add(clean);
        }
    }

    /** {@code [schema.]name}, each part an optionally quoted run of {@code [\w$]}; its end, or -1. */
    private static int qualifiedName(String text, int at) {
        int schema = namePart(text, at);
        if (schema >= 0 && schema < text.length() && text.charAt(schema) == '.') {
            int name = namePart(text, schema + 1);
            if (name >= 0) {
                return name;
            }
        }
        return namePart(text, at);
    }

    /** An optional backtick or double quote, a run of {@code [\w$]}, an optional backtick or double quote; its end, or -1. */
    private static int namePart(String text, int at) {
        int n = text.length();
        int i = at;
        if (i < n && isIdentifierQuote(text.charAt(i))) {
            i++;
        }
        int run = i;
        while (i < n && (isWordChar(text.charAt(i)) || text.charAt(i) == '$')) {
            i++;
        }
        if (i == run) {
            return -1;
        }
        return i < n && isIdentifierQuote(text.charAt(i)) ? i + 1 : i;
    }

    private static boolean isIdentifierQuote(char c) {
        return c == '`' || c == '"';
    }

    /**
     * The text with each string literal replaced by {@code ''} (still a value) and each comment by
     * a space (gone). One pass, constant stack.
     */
    static String blankLiteralsAndComments(String sql) {
        StringBuilder out = null;
        int copied = 0;
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            int end;
            String replacement;
            if (c == '\'' || c == '"' || (c == '\\' && i + 1 < n && sql.charAt(i + 1) == '\'')
                    || (c == '$' && (i == 0 || !isIdentifierChar(sql.charAt(i - 1))) && dollarTagEnd(sql, i) > 0)) {
                end = literalEnd(sql, i);
                replacement = "''";
            } else if ((c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') || c == '#') {
                end = indexOrEnd(sql, "\n", i + 1);
                replacement = " ";
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                end = indexOrEnd(sql, "*/", i + 2);
                end = end < n ? end + 2 : n;
                replacement = " ";
            } else {
                i++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(n);
            }
            out.append(sql, copied, i).append(replacement);
            i = end;
            copied = end;
        }
        return out == null ? sql : out.append(sql, copied, n).toString();
    }

    /**
     * The end (exclusive) of the SQL string literal that starts at {@code at}, or -1 when none
     * starts there. A literal is
     * <ul>
     *   <li>{@code '...'} or {@code "..."}, with backslash escapes and doubled quotes;
     *   <li>{@code E'...'} (PostgreSQL escape string), the same after its {@code E};
     *   <li>{@code \'...\'}: a literal as a raw MySQL audit line writes it, to the next {@code \'};
     *   <li>{@code $$...$$} or {@code $tag$...$tag$} (PostgreSQL dollar quoting).
     * </ul>
     * An unterminated literal runs to the end of the text. Linear in the literal's length.
     */
    public static int literalEnd(String text, int at) {
        int n = text.length();
        if (at < 0 || at >= n) {
            return -1;
        }
        char c = text.charAt(at);
        if (c == '\\') {
            if (at + 1 < n && text.charAt(at + 1) == '\'') {
                int close = text.indexOf("\\'", at + 2);
                return close < 0 ? n : close + 2;
            }
            return -1;
        }
        if (c == '\'' || c == '"') {
            return quotedEnd(text, at, c);
        }
        if ((c == 'E' || c == 'e') && at + 1 < n && text.charAt(at + 1) == '\'') {
            return quotedEnd(text, at + 1, '\'');
        }
        if (c == '$') {
            int tagEnd = dollarTagEnd(text, at);
            if (tagEnd < 0) {
                return -1;
            }
            int close = text.indexOf(text.substring(at, tagEnd), tagEnd);
            return close < 0 ? n : close + (tagEnd - at);
        }
        return -1;
    }

    /** The end of a literal opened by {@code quote} at {@code at}: backslash escapes any character, a doubled quote is one. */
    private static int quotedEnd(String text, int at, char quote) {
        int n = text.length();
        int i = at + 1;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\\') {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < n && text.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    /** After the opening {@code $tag$} at {@code at} (tag empty or an identifier of at most 63 chars), or -1. */
    private static int dollarTagEnd(String text, int at) {
        int n = text.length();
        int limit = Math.min(n, at + 2 + MAX_DOLLAR_TAG);
        int i = at + 1;
        if (i < n && text.charAt(i) != '$' && (Character.isDigit(text.charAt(i)) || !isIdentifierChar(text.charAt(i)))) {
            return -1; // $1 is a parameter, not a tag
        }
        while (i < limit && text.charAt(i) != '$') {
            char c = text.charAt(i);
            if (!isIdentifierChar(c) || c == '$') {
                return -1;
            }
            i++;
        }
        return i < limit && text.charAt(i) == '$' ? i + 1 : -1;
    }

    /** A character of an unquoted identifier ({@code $} included, as PostgreSQL and MySQL allow). */
    private static boolean isIdentifierChar(char c) {
        return c == '_' || c == '$' || Character.isLetterOrDigit(c);
    }

    /** {@code \w} of java.util.regex: ASCII letters, digits and underscore. */
    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    /**
     * A word character as {@code \b} of java.util.regex sees it on the JDKs this runs on (11, 17):
     * any letter or digit, or '_'. So {@code éFROM} has no boundary before FROM.
     */
    public static boolean isBoundaryWordChar(int codePoint) {
        return codePoint == '_' || Character.isLetterOrDigit(codePoint);
    }

    /** {@code \s} of java.util.regex. */
    public static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    /** The index of the first char at or after {@code at} that is not {@code \s}. */
    public static int skipSpaces(String text, int at) {
        int i = at;
        while (i < text.length() && isSpace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /** ASCII case-insensitive match of an upper-case keyword, as the regex flag CASE_INSENSITIVE does. */
    private static boolean startsWithIgnoreCase(String text, int at, String keyword) {
        if (at + keyword.length() > text.length()) {
            return false;
        }
        for (int k = 0; k < keyword.length(); k++) {
            char c = text.charAt(at + k);
            if (c != keyword.charAt(k) && !(c >= 'a' && c <= 'z' && c - 32 == keyword.charAt(k))) {
                return false;
            }
        }
        return true;
    }

    private static int indexOrEnd(String text, String what, int from) {
        int i = text.indexOf(what, from);
        return i < 0 ? text.length() : i;
    }
}
