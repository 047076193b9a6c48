package dev.nagare.udf.redact;

import dev.nagare.udf.sql.SqlStatements;

import java.io.Serializable;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.nagare.udf.sql.SqlStatements.isSpace;
import static dev.nagare.udf.sql.SqlStatements.skipSpaces;

/**
 * Masks secrets in text before it is stored, alerted or logged. Two kinds of evidence:
 * <ul>
 *   <li>the <em>name</em> a value is given: {@code password=x}, {@code "api_key": "x"},
 *       {@code Authorization: Basic x}, {@code Cookie: ...}; a name is secret when its words
 *       (split at {@code _ - .} and camelCase) hold one of the configured secret key words, so
 *       {@code accessToken} and {@code DB_PASSWORD} are secret and {@code max_tokens} is not;
 *   <li>the <em>shape</em> of the value: passwords in SQL of every dialect, credentials in URLs,
 *       bearer tokens, JWTs, AWS secret keys next to an access key id, private key blocks, API
 *       tokens with a known prefix, Luhn-valid card numbers and configured extra patterns.
 * </ul>
 * Only the secret is replaced by {@value #MASK}: key names, schemes, user names, hosts and the rest
 * of the SQL stay, so the line stays useful. Patterns err on the side of masking: a masked
 * non-secret costs less than a stored password.
 *
 * <p>Linear in the text and constant stack whatever it holds (a log line is attacker-controlled
 * text): SQL passwords, names, URLs, JWTs and key blocks are found by hand-written scanners that
 * never revisit a character more than a fixed number of times, and the built-in regexes use only
 * possessive runs of disjoint character classes, so a failed attempt never backtracks.
 */
public final class Redactor implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String MASK = "*****";

    /**
     * Default secret key words (see the class comment for how a name holds one). Compared without
     * case and without {@code _ - .}, so {@code api_key} also names {@code apiKey} and {@code X-Api-Key}.
     */
    public static final List<String> DEFAULT_SECRET_KEYS = List.of(
            "password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "api_key", "apikey",
            "secret_key", "private_key", "client_secret", "credential", "credentials", "authorization", "auth",
            "cookie", "set-cookie", "session_id", "sessionid", "signature",
            "jwt");

    /** The default rules: {@link #DEFAULT_SECRET_KEYS} and no extra patterns. */
    public static final Redactor DEFAULT = new Redactor(DEFAULT_SECRET_KEYS, List.of());

    private static final Pattern BEARER = Pattern.compile("(?i)(\\bBearer\\s++)[A-Za-z0-9\\-._~+/]{8,}+=*+");
    /** API tokens that say what they are by their prefix (GitHub, GitLab, Slack, Stripe, Google, npm, OpenAI-style). */
    private static final Pattern API_TOKEN = Pattern.compile(
            "\\b(?:gh[pousr]_[A-Za-z0-9]{20,}+|github_pat_[A-Za-z0-9_]{20,}+|glpat-[A-Za-z0-9_-]{20,}+"
                    + "|xox[abprs]-[A-Za-z0-9-]{10,}+|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}+|AIza[0-9A-Za-z_-]{35}+"
                    + "|npm_[A-Za-z0-9]{36}+|sk-[A-Za-z0-9_-]{20,}+)");
    private static final Pattern AWS_ACCESS_KEY_ID = Pattern.compile("(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}+(?![A-Z0-9])");
    /** Bounded: at most 19 digits and 18 separators per attempt, and each separator is optional in one way only. */
    private static final Pattern CARD = Pattern.compile("(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])");

    /** Normalised secret key words (lower case, no separators). */
    private final String[] secretKeys;
    /**
     * {@link #keyStarts(String[])} of {@link #secretKeys}; null turns the quick check of names off
     * (also in a copy serialized before the field existed, which then judges every name in full).
     */
    private final BitSet keyStarts;
    private final List<Pattern> extraPatterns;

    /**
     * @param secretKeys key words that make a name secret (see the class comment)
     * @param extraPatterns more secrets by shape: the match is masked, or its group 1 when the
     *     pattern has groups (to keep a prefix); they run on every text, so keep them linear
     *     (possessive quantifiers, no nested repetition)
     */
    public Redactor(List<String> secretKeys, List<Pattern> extraPatterns) {
        this.secretKeys = secretKeys.stream().map(Redactor::normalizedKey).filter(k -> !k.isEmpty()).distinct().toArray(String[]::new);
        this.keyStarts = keyStarts(this.secretKeys);
        this.extraPatterns = List.copyOf(extraPatterns);
    }

    /** The text with every recognised secret replaced by {@value #MASK}, with the default rules; null stays null. */
    public static String redact(String text) {
        return DEFAULT.mask(text);
    }

    /** A value given a name (a JSON attribute): all of it when the name is secret, else its secrets. */
    public String maskValue(String name, String value) {
        if (value == null || value.isEmpty()) {
            return value;
        }
        return name != null && isSecretAttributeName(name) ? MASK : mask(value);
    }

    /**
     * Attribute names already judged: the same JSON field names come on every line, and judging
     * one splits it into words (two arrays and a builder per name, 1.5% of the job's CPU in a
     * profile). Log writers choose the names, so the memo is bounded in count and in length: a
     * longer name is judged each time, and a full memo starts over (names used once, such as ids
     * as keys, then do not keep the frequent ones out for good). Not serialized: a copy starts
     * empty.
     */
    private transient volatile Map<String, Boolean> judgedNames;

    static final int MAX_JUDGED_NAMES = 4096;
    static final int MAX_JUDGED_NAME_LENGTH = 64;

    private boolean isSecretAttributeName(String name) {
        if (name.length() > MAX_JUDGED_NAME_LENGTH) {
            return isSecretName(name, 0, name.length());
        }
        Map<String, Boolean> judged = judgedNames;
        if (judged == null) {
            judged = new ConcurrentHashMap<>();
            judgedNames = judged; // two threads may each start a map: both are right
        }
        Boolean secret = judged.get(name);
        if (secret == null) {
            secret = isSecretName(name, 0, name.length());
            if (judged.size() >= MAX_JUDGED_NAMES) {
                judged.clear();
            }
            judged.put(name, secret);
        }
        return secret;
    }

    /** How many attribute names are remembered (for tests). */
    int judgedNameCount() {
        Map<String, Boolean> judged = judgedNames;
        return judged == null ? 0 : judged.size();
    }

    /** The text with every recognised secret replaced by {@value #MASK}; null stays null. */
    public String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        // One cheap pass finds which shapes can match at all; most log lines need few of them.
        int triggers = triggers(text);
        String out = text;
        if ((triggers & SQL) != 0) {
            out = maskSqlPasswords(out);
        }
        if ((triggers & KEY_BLOCK) != 0) {
            out = maskPrivateKeyBlocks(out);
        }
        out = maskNamedValues(out);
        if ((triggers & URL) != 0) {
            out = maskUrlCredentials(out);
        }
        if ((triggers & TOKEN) != 0) {
            out = BEARER.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if ((triggers & JWT) != 0) {
            out = maskJwts(out);
        }
        if ((triggers & API) != 0) {
            out = API_TOKEN.matcher(out).replaceAll(MASK);
        }
        if ((triggers & AWS_KEY_ID) != 0 && AWS_ACCESS_KEY_ID.matcher(out).find()) {
            out = maskAwsSecretKeys(out);
        }
        if ((triggers & DIGITS) != 0) {
            out = maskCards(out);
        }
        for (Pattern extra : extraPatterns) {
            out = maskExtra(extra, out);
        }
        return out;
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
            // MySQL's ... IDENTIFIED BY 'new' REPLACE 'old' / SET PASSWORD = 'new' REPLACE 'old': the old one too.
            int replace = skipSpaces(text, end);
            int old = replace > end && word(text, replace, "REPLACE") ? skipSpaces(text, replace + 7) : -1;
            if (old > replace + 7 && isLiteral(text, old)) {
                out.append(text, end, old).append(MASK);
                end = SqlStatements.literalEnd(text, old);
            }
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
            if (option < n && (text.charAt(option) == '"' || text.charAt(option) == '\'' || text.charAt(option) == '\\')) {
                // "password":"x" or 'password': 'x' is a name in JSON or a dict, not SQL: the quote
                // after it is the name's own, and the value is masked by name.
                return -1;
            }
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

    static final int SQL = 1;
    private static final int KEY_BLOCK = 2;
    private static final int TOKEN = 4;
    private static final int URL = 8;
    private static final int DIGITS = 16;
    private static final int JWT = 32;
    private static final int API = 64;
    private static final int AWS_KEY_ID = 128;

    /** Which families of secret shapes the text may hold, found in a single scan of its characters. */
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
                    if (keywordAt(text, i, "password")) {
                        found |= SQL;
                    }
                    break;
                case 'i':
                    if (keywordAt(text, i, "identified")) {
                        found |= SQL;
                    }
                    break;
                case 'b':
                    if (keywordAt(text, i, "bearer")) {
                        found |= TOKEN;
                    }
                    break;
                case ':':
                    if (text.startsWith("://", i)) {
                        found |= URL;
                    }
                    break;
                case '-':
                    if (text.startsWith("-----BEGIN ", i)) {
                        found |= KEY_BLOCK;
                    }
                    break;
                case 'e':
                    if (text.startsWith("eyJ", i)) {
                        found |= JWT;
                    }
                    break;
                case 'a':
                    if (text.startsWith("AKIA", i) || text.startsWith("ASIA", i)) {
                        found |= AWS_KEY_ID;
                    } else if (text.startsWith("AIza", i)) {
                        found |= API;
                    }
                    break;
                case 'g':
                    if (text.startsWith("gh", i) || text.startsWith("glpat-", i)) {
                        found |= API;
                    }
                    break;
                case 'x':
                    if (text.startsWith("xox", i)) {
                        found |= API;
                    }
                    break;
                case 's':
                case 'r':
                    if (text.startsWith("k_", i + 1) || (c == 's' && text.startsWith("k-", i + 1))) {
                        found |= API;
                    }
                    break;
                case 'n':
                    if (text.startsWith("npm_", i)) {
                        found |= API;
                    }
                    break;
                default:
            }
        }
        return found;
    }

    /**
     * Whether a keyword (lower-case ASCII letters) starts at {@code i}, as
     * {@code regionMatches(true, ...)} compares. Its second and third characters are looked at
     * first: the first letter alone is common in text, and the JDK's case-insensitive comparison
     * was the largest share of the whole parse of application JSON in a profile.
     */
    private static boolean keywordAt(String text, int i, String keyword) {
        return mayBe(text, i + 1, keyword.charAt(1)) && mayBe(text, i + 2, keyword.charAt(2))
                && text.regionMatches(true, i, keyword, 0, keyword.length());
    }

    /**
     * False only where the comparison would fail too: past the end, or an ASCII character that is
     * not the letter in either case. Non-ASCII characters are left to the comparison, which
     * matches some of them to ASCII letters (the long s to {@code s}, the Kelvin sign to {@code k}).
     */
    private static boolean mayBe(String text, int i, char lower) {
        if (i >= text.length()) {
            return false;
        }
        char c = text.charAt(i);
        return c >= 0x80 || (c | 0x20) == lower;
    }

    // --- secrets by name ----------------------------------------------------------------------

    /** Longest name looked at: longer runs of name characters are text, not a name. */
    private static final int MAX_NAME = 80;

    /**
     * Masks the value given to a secret name: {@code name=v}, {@code name: v}, {@code "name":"v"},
     * {@code 'name' => 'v'}, the JSON-escaped {@code \"name\":\"v\"} of a message inside a JSON
     * string. A quoted value is masked to its closing quote (to the end when unterminated, like
     * SQL literals); an unquoted one to the next space, quote, {@code , ; &} or bracket, except
     * cookies (to the end of the line) and {@code Authorization} (its scheme word is kept).
     * Object and array values are left to the scan, which masks the secret names inside them.
     */
    private String maskNamedValues(String text) {
        int n = text.length();
        StringBuilder out = null;
        int copied = 0;
        int i = 0;
        // Driven by the separators, which are rare, rather than by the names, which are every word:
        // each '=' or ':' looks back over at most a quote, blanks and MAX_NAME name chars.
        while (i < n) {
            char c = text.charAt(i);
            if (c != '=' && c != ':') {
                i++;
                continue;
            }
            int value = valueAfter(text, i);
            if (value < 0) {
                i++;
                continue;
            }
            int end = i;
            while (end > copied && (text.charAt(end - 1) == ' ' || text.charAt(end - 1) == '\t')) {
                end--;
            }
            if (end > copied && (text.charAt(end - 1) == '"' || text.charAt(end - 1) == '\'')) {
                end--; // the name's closing quote, maybe JSON-escaped
                if (end > copied && text.charAt(end - 1) == '\\') {
                    end--;
                }
            }
            int start = end;
            while (start > copied && end - start <= MAX_NAME && isNameChar(text.charAt(start - 1))) {
                start--;
            }
            int[] span = start < end && end - start <= MAX_NAME && isSecretName(text, start, end)
                    ? valueSpan(text, value, start, end) : null;
            if (span == null) {
                i++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(n + 16);
            }
            out.append(text, copied, span[0]).append(MASK);
            copied = span[1];
            i = Math.max(span[1], i + 1);
        }
        return out == null ? text : out.append(text, copied, n).toString();
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    }

    /** Where the value after the separator at {@code sep} starts, or -1 when it is no separator. */
    private static int valueAfter(String text, int sep) {
        int n = text.length();
        int i = sep + 1;
        if (text.charAt(sep) == ':') {
            if (text.startsWith("//", i)) {
                return -1; // a URL scheme, not a separator
            }
        } else if (i < n && text.charAt(i) == '>') {
            i++; // 'name' => 'value'
        } else if (i < n && text.charAt(i) == '=' || sep > 0 && "=!<>".indexOf(text.charAt(sep - 1)) >= 0) {
            return -1; // a comparison
        }
        return skipBlanks(text, i);
    }

    /** Spaces and tabs (not line ends: a value is on its name's line). */
    private static int skipBlanks(String text, int at) {
        int i = at;
        while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    /** The [start, end) of the value at {@code at} to mask, or null when there is nothing to mask. */
    private static int[] valueSpan(String text, int at, int nameStart, int nameEnd) {
        int n = text.length();
        if (at >= n) {
            return null;
        }
        char c = text.charAt(at);
        if (c == '\\' && at + 1 < n && (text.charAt(at + 1) == '"' || text.charAt(at + 1) == '\'')) {
            // JSON-escaped quotes: the value ends at the next escaped (or bare) quote of that kind.
            char quote = text.charAt(at + 1);
            int from = at + 2;
            int i = from;
            while (i < n && text.charAt(i) != quote) {
                i++;
            }
            int close = i > from && text.charAt(i - 1) == '\\' ? i - 1 : i;
            return close > from ? new int[] {from, close} : null;
        }
        if (c == '"' || c == '\'') {
            int from = at + 1;
            int i = from;
            while (i < n && text.charAt(i) != c) {
                i += text.charAt(i) == '\\' ? 2 : 1;
            }
            int close = Math.min(i, n);
            return close > from ? new int[] {from, close} : null;
        }
        if (c == '{' || c == '[') {
            return null;
        }
        String name = text.substring(nameStart, nameEnd).toLowerCase(Locale.ROOT);
        int from = at;
        if (name.contains("cookie")) {
            return spanTo(text, from, true);
        }
        if (name.contains("authori")) {
            // Authorization: <scheme> <credentials>: the scheme word stays.
            int word = from;
            while (word < n && Character.isLetter(text.charAt(word))) {
                word++;
            }
            if (word > from && word + 1 < n && text.charAt(word) == ' ' && !isValueEnd(text, word + 1)) {
                from = word + 1;
            }
        }
        return spanTo(text, from, false);
    }

    private static int[] spanTo(String text, int from, boolean toLineEnd) {
        int n = text.length();
        int i = from;
        while (i < n && !(toLineEnd ? isLineEnd(text, i) : isValueEnd(text, i))) {
            i++;
        }
        return i > from ? new int[] {from, i} : null;
    }

    /** Where an unquoted value ends: a space, a quote, a delimiter, a bracket or a JSON escape. */
    private static boolean isValueEnd(String text, int i) {
        char c = text.charAt(i);
        switch (c) {
            case ' ': case '\t': case '\n': case '\r': case '"': case '\'': case ',': case ';': case '&':
            case '}': case ']': case ')': case '<': case '>':
                return true;
            case '\\':
                return isEscapeEnd(text, i);
            default:
                return false;
        }
    }

    private static boolean isLineEnd(String text, int i) {
        char c = text.charAt(i);
        return c == '\n' || c == '\r' || c == '"' || (c == '\\' && isEscapeEnd(text, i));
    }

    /** A JSON escape that ends a value inside a JSON string: {@code \" \n \r \t}. */
    private static boolean isEscapeEnd(String text, int i) {
        if (i + 1 >= text.length()) {
            return false;
        }
        char e = text.charAt(i + 1);
        return e == '"' || e == 'n' || e == 'r' || e == 't';
    }

    /**
     * Whether the name in [start, end) is secret: some run of its words (split at {@code _ - .},
     * at lower-to-upper case changes and before the last capital of an acronym), joined, is a
     * secret key word. {@code aws_secret_access_key}, {@code accessToken}, {@code X-Api-Key} and
     * {@code HTTPToken} are secret; {@code max_tokens} and {@code passwordless} are not.
     */
    boolean isSecretName(String text, int start, int end) {
        if (!mayHoldKey(text, start, end)) {
            return false;
        }
        // Word boundaries, as offsets into the name; at most MAX_NAME + 1 of them.
        int[] bounds = new int[end - start + 1];
        int count = 0;
        StringBuilder letters = new StringBuilder(end - start);
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c == '_' || c == '-' || c == '.') {
                if (count == 0 || bounds[count - 1] != letters.length()) {
                    bounds[count++] = letters.length();
                }
                continue;
            }
            if (i > start && letters.length() > 0 && (count == 0 || bounds[count - 1] != letters.length())) {
                char prev = text.charAt(i - 1);
                boolean upper = Character.isUpperCase(c);
                boolean split = upper && (Character.isLowerCase(prev) || Character.isDigit(prev))
                        || upper && Character.isUpperCase(prev) && i + 1 < end && Character.isLowerCase(text.charAt(i + 1));
                if (split) {
                    bounds[count++] = letters.length();
                }
            }
            letters.append(Character.toLowerCase(c));
        }
        if (letters.length() == 0) {
            return false;
        }
        // Word starts: 0 and every bound inside; word ends: every bound inside and the length.
        int[] cuts = new int[count + 2];
        int cutCount = 0;
        cuts[cutCount++] = 0;
        for (int k = 0; k < count; k++) {
            if (bounds[k] > 0 && bounds[k] < letters.length() && bounds[k] != cuts[cutCount - 1]) {
                cuts[cutCount++] = bounds[k];
            }
        }
        cuts[cutCount++] = letters.length();
        String joined = letters.toString();
        for (String key : secretKeys) {
            int at = joined.indexOf(key);
            while (at >= 0) {
                if (isCut(cuts, cutCount, at) && isCut(cuts, cutCount, at + key.length())) {
                    return true;
                }
                at = joined.indexOf(key, at + 1);
            }
        }
        return false;
    }

    /**
     * False when no key word occurs anywhere in the name's letters (lower case, without
     * {@code _ - .}), so it cannot be secret: every position of the letters is looked up in
     * {@link #keyStarts}, the first three letters of every key word, before the word splitting
     * and its buffers. Nearly every name before a {@code :} or {@code =} in a log line (times,
     * levels, fields) stops here. Always true when a key word is shorter than three letters.
     */
    private boolean mayHoldKey(String text, int start, int end) {
        if (keyStarts == null) {
            return true;
        }
        int a = -1;
        int b = -1;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c == '_' || c == '-' || c == '.') {
                continue;
            }
            int lower = Character.toLowerCase(c);
            if (a >= 0 && keyStarts.get(trigram(a, b, lower))) {
                return true;
            }
            a = b;
            b = lower;
        }
        return false;
    }

    /** A bucket of three letters in {@link #keyStarts}. */
    private static int trigram(int a, int b, int c) {
        return ((a * 31 + b) * 31 + c) & (KEY_STARTS - 1);
    }

    private static final int KEY_STARTS = 1 << 12;

    /** The trigram buckets of the key words' first three letters; null when a key word is shorter. */
    private static BitSet keyStarts(String[] keys) {
        BitSet starts = new BitSet(KEY_STARTS);
        for (String key : keys) {
            if (key.length() < 3) {
                return null;
            }
            starts.set(trigram(key.charAt(0), key.charAt(1), key.charAt(2)));
        }
        return starts;
    }

    private static boolean isCut(int[] cuts, int count, int offset) {
        for (int k = 0; k < count; k++) {
            if (cuts[k] == offset) {
                return true;
            }
        }
        return false;
    }

    /** A configured key word as names are compared: lower case, without {@code _ - .}. */
    static String normalizedKey(String key) {
        StringBuilder sb = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c != '_' && c != '-' && c != '.' && !Character.isWhitespace(c)) {
                sb.append(Character.toLowerCase(c));
            }
        }
        return sb.toString();
    }

    // --- secrets by shape ---------------------------------------------------------------------

    /**
     * The body of every {@code -----BEGIN ... PRIVATE KEY-----} block, to its END line (or the end
     * of the text); the BEGIN and END lines stay, so the line still says a key was logged.
     */
    private static String maskPrivateKeyBlocks(String text) {
        StringBuilder out = null;
        int copied = 0;
        int i = text.indexOf("-----BEGIN ");
        while (i >= 0) {
            int headerEnd = text.indexOf("-----", i + 11);
            if (headerEnd < 0) {
                break;
            }
            int bodyStart = headerEnd + 5;
            if (headerEnd - i > 60 || !text.startsWith("PRIVATE KEY", headerEnd - 11)) {
                i = text.indexOf("-----BEGIN ", bodyStart);
                continue;
            }
            int endLine = text.indexOf("-----END ", bodyStart);
            int bodyEnd = endLine < 0 ? text.length() : endLine;
            if (out == null) {
                out = new StringBuilder(text.length());
            }
            out.append(text, copied, bodyStart).append(MASK);
            copied = bodyEnd;
            i = endLine < 0 ? -1 : text.indexOf("-----BEGIN ", endLine + 9);
        }
        return out == null ? text : out.append(text, copied, text.length()).toString();
    }

    /**
     * The password of {@code scheme://user:password@host}: the user, the scheme and the host stay.
     * The password may hold {@code /}, {@code :} or {@code @} (people do not percent-encode): the
     * credentials run to the last {@code @} before the URL ends (a space or a quote), if the part
     * before the first {@code :} has no {@code /}. Each URL is looked at once.
     */
    private static String maskUrlCredentials(String text) {
        int n = text.length();
        StringBuilder out = null;
        int copied = 0;
        int scheme = text.indexOf("://");
        while (scheme >= 0) {
            int from = scheme + 3;
            int i = from;
            int colon = -1;
            int at = -1;
            boolean slashBeforeColon = false;
            while (i < n && !isUrlEnd(text, i)) {
                char c = text.charAt(i);
                if (c == ':' && colon < 0) {
                    colon = i;
                } else if (c == '/' && colon < 0) {
                    slashBeforeColon = true;
                } else if (c == '@') {
                    at = i;
                }
                i++;
            }
            if (colon >= 0 && at > colon && !slashBeforeColon && at > colon + 1) {
                if (out == null) {
                    out = new StringBuilder(n);
                }
                out.append(text, copied, colon + 1).append(MASK);
                copied = at;
            }
            scheme = i < n ? text.indexOf("://", i) : -1;
        }
        return out == null ? text : out.append(text, copied, n).toString();
    }

    private static boolean isUrlEnd(String text, int i) {
        char c = text.charAt(i);
        return Character.isWhitespace(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`'
                || (c == '\\' && isEscapeEnd(text, i));
    }

    /** JSON Web Tokens ({@code eyJ<header>.<payload>.<signature>}), whole: their payload is often personal data. */
    private static String maskJwts(String text) {
        int n = text.length();
        StringBuilder out = null;
        int copied = 0;
        int i = text.indexOf("eyJ");
        while (i >= 0) {
            int next = i + 3;
            if (i == 0 || !isBase64Url(text.charAt(i - 1))) {
                int header = base64UrlRun(text, i);
                if (header < n && text.charAt(header) == '.') {
                    int payload = base64UrlRun(text, header + 1);
                    if (payload > header + 1 && payload < n && text.charAt(payload) == '.') {
                        int signature = base64UrlRun(text, payload + 1);
                        if (out == null) {
                            out = new StringBuilder(n);
                        }
                        out.append(text, copied, i).append(MASK);
                        copied = signature;
                        next = signature;
                    } else {
                        next = payload;
                    }
                } else {
                    next = header;
                }
            }
            i = next < n ? text.indexOf("eyJ", next) : -1;
        }
        return out == null ? text : out.append(text, copied, n).toString();
    }

    private static boolean isBase64Url(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    private static int base64UrlRun(String text, int at) {
        int i = at;
        while (i < text.length() && isBase64Url(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /**
     * In a text that holds an AWS access key id (AKIA/ASIA...), every 40-char base64 word with
     * upper and lower case letters: the shape of its secret access key, which a credentials line,
     * a CSV export or an exception message prints next to it. The key id stays (it is not secret
     * and says which key leaked); 40-char hex hashes (no upper case) stay.
     */
    private static String maskAwsSecretKeys(String text) {
        int n = text.length();
        StringBuilder out = null;
        int copied = 0;
        int i = 0;
        while (i < n) {
            if (!isBase64(text.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            boolean upper = false;
            boolean lower = false;
            while (i < n && isBase64(text.charAt(i))) {
                char c = text.charAt(i);
                upper |= c >= 'A' && c <= 'Z';
                lower |= c >= 'a' && c <= 'z';
                i++;
            }
            int end = i;
            while (end < n && text.charAt(end) == '=') {
                end++;
            }
            if (i - start == 40 && end == i && upper && lower) {
                if (out == null) {
                    out = new StringBuilder(n);
                }
                out.append(text, copied, start).append(MASK);
                copied = i;
            }
            i = end;
        }
        return out == null ? text : out.append(text, copied, n).toString();
    }

    private static boolean isBase64(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '+';
    }

    private static String maskExtra(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        do {
            boolean group = m.groupCount() >= 1 && m.start(1) >= 0;
            int from = group ? m.start(1) : m.start();
            int to = group ? m.end(1) : m.end();
            if (to > from && from >= copied) {
                out.append(text, copied, from).append(MASK);
                copied = to;
            }
        } while (m.find());
        return out.append(text, copied, text.length()).toString();
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
