package dev.nagare.job.rules;

import dev.nagare.job.schema.Schemas;

import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rows a rule can read, proven by the planner: every scan of {@code logs} in the rule's
 * optimized plan sits under a filter whose top-level conditions include {@code column = 'x'} or
 * {@code column IN ('x', 'y')} on text columns, {@code log_type} first of all. Rows with any
 * other value in such a column are dropped by that filter before they reach anything else, so
 * routing only the others to the rule leaves its results, and its state, exactly as they are.
 *
 * <p>Why route at all: the planner's generated filters deep-copy every string and map the
 * operator reads, for its condition and for its projection alike, before they evaluate the
 * condition (seen in the generated code). Each of the bundled rules copied {@code log_type},
 * and most of them the text they put into an alert ({@code db_query}, {@code attributes},
 * principals), of every event of every type. Routed by type, a rule still copied them for every
 * event of its type, though most rules keep a handful of event names or operations: a
 * CloudTrail rule about five API calls read every CloudTrail event. A rule whose plan does not
 * show such a filter on every scan (a rule over all events, a condition the planner rewrote into
 * something else) reads every event, as before: an unknown shape never narrows a rule.
 */
public final class RuleRoutes {
    private RuleRoutes() {}

    /** A string literal as the planner prints it, with its optional charset and type. */
    private static final String LITERAL = "(?:_UTF-16LE)?'((?:[^']|'')*)'(?::(?:VAR)?CHAR\\(\\d+\\)(?: CHARACTER SET \"UTF-16LE\")?)?";
    private static final String COLUMN = "([a-z_][a-z0-9_]*)";
    private static final Pattern EQUALS = Pattern.compile("=\\(" + COLUMN + ", " + LITERAL + "\\)");
    private static final Pattern EQUALS_REVERSED = Pattern.compile("=\\(" + LITERAL + ", " + COLUMN + "\\)");
    /** Points of one length are CHAR(n), of several VARCHAR(n) (group 3: "VAR" or null, group 4: n). */
    private static final Pattern SEARCH = Pattern.compile("SEARCH\\(" + COLUMN + ", Sarg\\[(.*)\\](?::(VAR)?CHAR\\((\\d+)\\)(?: CHARACTER SET \"UTF-16LE\")?)?\\)");
    private static final Pattern SARG_POINT = Pattern.compile("(?:, )?" + LITERAL);
    private static final String SCAN = "TableSourceScan(";

    /** The column every bundled rule and most others are routed by first. */
    public static final String LOG_TYPE = "log_type";

    /** The text columns of {@code logs}: the ones a route may test. */
    static final Set<String> TEXT_COLUMNS = textColumns();

    private static Set<String> textColumns() {
        Set<String> columns = new TreeSet<>();
        List<String> names = DataType.getFieldNames(Schemas.LOGS);
        List<DataType> types = DataType.getFieldDataTypes(Schemas.LOGS);
        for (int i = 0; i < names.size(); i++) {
            if (types.get(i).getLogicalType().getTypeRoot() == LogicalTypeRoot.VARCHAR) {
                columns.add(names.get(i));
            }
        }
        return columns;
    }

    /**
     * The values each text column is limited to for every scan of the plan, by column (sorted);
     * empty when any scan may read any row. A column limited by only some scans is left out,
     * and each column keeps the values of all scans: the route keeps every row any scan keeps.
     */
    public static Map<String, Set<String>> route(String explained) {
        List<String> plan = optimizedPlan(explained);
        if (plan.stream().anyMatch(line -> line.contains("Reused("))) {
            // A reused sub-plan stands for scans printed elsewhere: not read here, so no route.
            return Map.of();
        }
        Map<String, Set<String>> route = null;
        for (int i = 0; i < plan.size(); i++) {
            if (!plan.get(i).contains(SCAN)) {
                continue;
            }
            Map<String, Set<String>> scan = parent(plan, i).map(RuleRoutes::filteredValues).orElse(Map.of());
            if (route == null) {
                route = new TreeMap<>(scan);
            } else {
                route.keySet().retainAll(scan.keySet());
                route.replaceAll((column, values) -> union(values, scan.get(column)));
            }
            if (route.isEmpty()) {
                return Map.of();
            }
        }
        return route == null ? Map.of() : Collections.unmodifiableMap(route);
    }

    /**
     * True when the plan has an operator that re-reads each key with a row waiting at every
     * watermark: an {@code OVER} window from {@code UNBOUNDED PRECEDING} (Flink registers its timer
     * at "the watermark + 1", not at the row's time) or a {@code MATCH_RECOGNIZE}. Such a rule is
     * fed watermarks in steps ({@link WatermarkSteps}). Bounded {@code OVER} frames and window
     * aggregates time their rows once and are left alone.
     */
    public static boolean timersAtEveryWatermark(String explained) {
        for (String line : optimizedPlan(explained)) {
            // The node's own name, not text inside another node (a literal may spell "Match(").
            String node = line.substring(3 * depth(line));
            if (node.startsWith("Match(") || (node.startsWith("OverAggregate(") && node.contains("UNBOUNDED PRECEDING"))) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    /** The lines of the "Optimized Physical Plan" section. */
    private static List<String> optimizedPlan(String explained) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String line : explained.split("\n")) {
            if (line.startsWith("== ")) {
                in = line.startsWith("== Optimized Physical Plan");
            } else if (in && !line.isBlank()) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** The node a plan line is the input of: the nearest line above it one level less deep. */
    private static Optional<String> parent(List<String> plan, int child) {
        int depth = depth(plan.get(child));
        for (int i = child - 1; i >= 0; i--) {
            if (depth(plan.get(i)) == depth - 1) {
                return Optional.of(plan.get(i).substring(3 * depth(plan.get(i))));
            }
        }
        return Optional.empty();
    }

    /**
     * How deep a plan line is: the tree is drawn in steps of three characters, "   " or ":  " to
     * pass a level, then "+- " (last input) or ":- " (another input) before the node; the root
     * has none.
     */
    static int depth(String line) {
        for (int at = 0; at + 3 <= line.length(); at += 3) {
            String step = line.substring(at, at + 3);
            if (step.equals("+- ") || step.equals(":- ")) {
                return at / 3 + 1;
            }
            if (!step.equals("   ") && !step.equals(":  ")) {
                return 0;
            }
        }
        return 0;
    }

    /**
     * The values a {@code Calc(..., where=[...])} node keeps in each text column that one of its
     * top-level conjuncts fixes (two conjuncts on one column keep what both allow); empty for
     * any other node.
     */
    static Map<String, Set<String>> filteredValues(String node) {
        Map<String, Set<String>> values = new TreeMap<>();
        if (!node.startsWith("Calc(")) {
            return values;
        }
        int where = node.indexOf(", where=[");
        if (where < 0) {
            return values;
        }
        String condition = bracketed(node, where + ", where=".length());
        if (condition == null) {
            return values;
        }
        List<String> conjuncts = condition.startsWith("AND(") && condition.endsWith(")")
                ? topLevelArguments(condition.substring(4, condition.length() - 1))
                : List.of(condition);
        for (String conjunct : conjuncts) {
            pointsOf(conjunct.trim()).ifPresent(points -> values.merge(points.getKey(), points.getValue(), (a, b) -> {
                Set<String> both = new TreeSet<>(a);
                both.retainAll(b);
                return both;
            }));
        }
        return values;
    }

    /** The column and values of {@code column = 'x'} or {@code SEARCH(column, Sarg['x', 'y'])} with points only, on a text column. */
    private static Optional<Map.Entry<String, Set<String>>> pointsOf(String conjunct) {
        Matcher m = EQUALS.matcher(conjunct);
        if (m.matches()) {
            return textColumn(m.group(1), Set.of(m.group(2).replace("''", "'")));
        }
        m = EQUALS_REVERSED.matcher(conjunct);
        if (m.matches()) {
            return textColumn(m.group(2), Set.of(m.group(1).replace("''", "'")));
        }
        Matcher search = SEARCH.matcher(conjunct);
        if (!search.matches()) {
            return Optional.empty();
        }
        // Only a list of points: a range (NOT IN, <>, LIKE rewritten) is not a set of values.
        String sarg = search.group(2);
        Matcher point = SARG_POINT.matcher(sarg);
        Set<String> values = new TreeSet<>();
        int end = 0;
        while (point.find() && point.start() == end) {
            values.add(point.group(1).replace("''", "'"));
            end = point.end();
        }
        if (end != sarg.length() || values.isEmpty()) {
            return Optional.empty();
        }
        // Conservative: were CHAR(n) points ever padded to n, the padded text would not be what the
        // column holds, so points of another length give no route. (A single literal's CHAR(n) is
        // its own length, so the = forms need no such check.)
        if (search.group(4) != null && search.group(3) == null) {
            int length = Integer.parseInt(search.group(4));
            if (values.stream().anyMatch(value -> value.length() != length)) {
                return Optional.empty();
            }
        }
        return textColumn(search.group(1), values);
    }

    private static Optional<Map.Entry<String, Set<String>>> textColumn(String column, Set<String> values) {
        return TEXT_COLUMNS.contains(column) ? Optional.of(Map.entry(column, values)) : Optional.empty();
    }

    /** The text inside the brackets that open at {@code open}, or null when they never close. */
    private static String bracketed(String text, int open) {
        if (open >= text.length() || text.charAt(open) != '[') {
            return null;
        }
        int depth = 0;
        boolean quoted = false;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                quoted = !quoted; // '' inside a literal toggles twice
            } else if (!quoted && (c == '[' || c == '(')) {
                depth++;
            } else if (!quoted && (c == ']' || c == ')')) {
                depth--;
                if (depth == 0) {
                    return c == ']' ? text.substring(open + 1, i) : null;
                }
            }
        }
        return null;
    }

    /** Splits "a, f(b, c), 'd, e'" at the commas outside brackets and literals. */
    private static List<String> topLevelArguments(String arguments) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < arguments.length(); i++) {
            char c = arguments.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && (c == '(' || c == '[')) {
                depth++;
            } else if (!quoted && (c == ')' || c == ']')) {
                depth--;
            } else if (!quoted && depth == 0 && c == ',') {
                parts.add(arguments.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(arguments.substring(start));
        return parts;
    }
}
