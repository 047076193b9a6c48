package dev.nagare.udf.parse;

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
 */
public final class SqlStatements {
    private static final Pattern LITERALS_AND_COMMENTS =
            Pattern.compile("'(?:[^'\\\\]|\\\\.|'')*'|\"(?:[^\"\\\\]|\\\\.|\"\")*\"|/\\*.*?\\*/|--[^\\n]*|#[^\\n]*", Pattern.DOTALL);
    private static final Pattern VERB = Pattern.compile(
            "\\s*(?:(CREATE|ALTER|DROP|RENAME)\\s+(?:OR\\s+REPLACE\\s+)?(?:TEMPORARY\\s+|TEMP\\s+|UNIQUE\\s+)?"
                    + "(USER|ROLE|TABLE|DATABASE|SCHEMA|INDEX|VIEW|FUNCTION|PROCEDURE|TRIGGER|EVENT|SERVER|TABLESPACE|SEQUENCE|EXTENSION)"
                    + "|(SET)\\s+(PASSWORD|ROLE)|(TRUNCATE)|([A-Za-z]+))",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern TABLE_REFERENCE = Pattern.compile(
            "\\b(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE)\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?(?:ONLY\\s+)?"
                    + "((?:[`\"]?[\\w$]+[`\"]?\\.)?[`\"]?[\\w$]+[`\"]?(?:\\s*,\\s*(?:[`\"]?[\\w$]+[`\"]?\\.)?[`\"]?[\\w$]+[`\"]?)*)",
            Pattern.CASE_INSENSITIVE);
    private static final Set<String> NOT_TABLES = Set.of("select", "lateral", "unnest", "dual", "values", "set");

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

    /** The tables the statement names after FROM, JOIN, INTO, UPDATE, TABLE or TRUNCATE, lower case, unquoted. */
    public static List<String> tables(String sql) {
        if (sql == null) {
            return List.of();
        }
        Set<String> tables = new LinkedHashSet<>();
        Matcher m = TABLE_REFERENCE.matcher(blankLiteralsAndComments(sql));
        while (m.find()) {
            for (String name : m.group(1).split("\\s*,\\s*")) {
                String clean = name.replace("`", "").replace("\"", "").toLowerCase(Locale.ROOT);
                if (!NOT_TABLES.contains(clean)) {
                    tables.add(clean);
                }
            }
        }
        return new ArrayList<>(tables);
    }

    private static String blankLiteralsAndComments(String sql) {
        // A literal becomes '' (still a value), a comment becomes a space (gone).
        return LITERALS_AND_COMMENTS.matcher(sql).replaceAll(m -> {
            char first = m.group().charAt(0);
            return first == '\'' || first == '"' ? "''" : " ";
        });
    }
}
