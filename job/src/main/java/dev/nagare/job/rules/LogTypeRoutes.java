package dev.nagare.job.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code log_type} values a rule can read, proven by the planner: every scan of {@code logs}
 * in the rule's optimized plan sits under a filter with a top-level condition
 * {@code log_type = 'x'} or {@code log_type IN ('x', 'y')}. Events of any other type are dropped
 * by that filter before they reach anything else, so routing only these types to the rule leaves
 * its results, and its state, exactly as they are.
 *
 * <p>Why route at all: the planner's generated filters deep-copy every string and map they read
 * before they evaluate the condition, so each of the bundled rules copied {@code log_type} (and
 * some the {@code attributes} map) of every event of every type — the largest allocation of the
 * job in a profile. A rule whose plan does not show such a filter on every scan (a rule over all
 * events, a condition the planner rewrote into something else) reads every event, as before: an
 * unknown shape never narrows a rule.
 */
public final class LogTypeRoutes {
    private LogTypeRoutes() {}

    /** A string literal as the planner prints it, with its optional charset and type. */
    private static final String LITERAL = "(?:_UTF-16LE)?'((?:[^']|'')*)'(?::VARCHAR\\(\\d+\\)(?: CHARACTER SET \"UTF-16LE\")?)?";
    private static final Pattern EQUALS = Pattern.compile("=\\(log_type, " + LITERAL + "\\)");
    private static final Pattern EQUALS_REVERSED = Pattern.compile("=\\(" + LITERAL + ", log_type\\)");
    private static final Pattern SEARCH = Pattern.compile("SEARCH\\(log_type, Sarg\\[(.*)\\](?::VARCHAR\\(\\d+\\)(?: CHARACTER SET \"UTF-16LE\")?)?\\)");
    private static final Pattern SARG_POINT = Pattern.compile("(?:, )?" + LITERAL);
    private static final String SCAN = "TableSourceScan(";

    /**
     * The log types of a rule from its explained plan ({@code Table.explain()}): the sorted set
     * every scan of the plan is filtered to, or empty when any scan may read other types.
     */
    public static Set<String> of(String explained) {
        List<String> plan = optimizedPlan(explained);
        Set<String> types = new TreeSet<>();
        boolean scanned = false;
        for (int i = 0; i < plan.size(); i++) {
            if (!plan.get(i).contains(SCAN)) {
                continue;
            }
            scanned = true;
            Optional<Set<String>> filtered = parent(plan, i).flatMap(LogTypeRoutes::filteredTypes);
            if (filtered.isEmpty()) {
                return Set.of();
            }
            types.addAll(filtered.get());
        }
        return scanned ? types : Set.of();
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

    /** The types a {@code Calc(..., where=[...])} node keeps, when one of its top-level conjuncts fixes them. */
    static Optional<Set<String>> filteredTypes(String node) {
        if (!node.startsWith("Calc(")) {
            return Optional.empty();
        }
        int where = node.indexOf(", where=[");
        if (where < 0) {
            return Optional.empty();
        }
        String condition = bracketed(node, where + ", where=".length());
        if (condition == null) {
            return Optional.empty();
        }
        List<String> conjuncts = condition.startsWith("AND(") && condition.endsWith(")")
                ? topLevelArguments(condition.substring(4, condition.length() - 1))
                : List.of(condition);
        for (String conjunct : conjuncts) {
            Optional<Set<String>> types = typesOf(conjunct.trim());
            if (types.isPresent()) {
                return types;
            }
        }
        return Optional.empty();
    }

    /** The values of {@code log_type = 'x'} or {@code SEARCH(log_type, Sarg['x', 'y'])} with points only. */
    private static Optional<Set<String>> typesOf(String conjunct) {
        for (Pattern equals : List.of(EQUALS, EQUALS_REVERSED)) {
            Matcher m = equals.matcher(conjunct);
            if (m.matches()) {
                return Optional.of(Set.of(m.group(1).replace("''", "'")));
            }
        }
        Matcher search = SEARCH.matcher(conjunct);
        if (!search.matches()) {
            return Optional.empty();
        }
        // Only a list of points: a range (NOT IN, <>, LIKE rewritten) is not a set of types.
        Matcher point = SARG_POINT.matcher(search.group(1));
        Set<String> types = new TreeSet<>();
        int end = 0;
        while (point.find() && point.start() == end) {
            types.add(point.group(1).replace("''", "'"));
            end = point.end();
        }
        return end == search.group(1).length() && !types.isEmpty() ? Optional.of(types) : Optional.empty();
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
