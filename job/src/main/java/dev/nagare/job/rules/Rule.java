package dev.nagare.job.rules;

import dev.nagare.job.config.StateTtl;

import org.apache.flink.util.TimeUtils;

import java.io.Serializable;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One detection: a {@code .sql} file with a header of metadata in SQL comments and one SELECT
 * over {@code logs} (DESIGN.md "Rules"). Thresholds are {@code param.<name>} entries in the header,
 * referenced as {@code ${name}} in the SQL.
 *
 * <pre>
 * -- id: app_error_rate
 * -- title: Error rate above threshold
 * -- severity: high
 * -- param.min_events: 20
 * SELECT ... HAVING COUNT(*) >= ${min_events}
 * </pre>
 */
public final class Rule implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final List<String> SEVERITIES = List.of("info", "low", "medium", "high", "critical");
    private static final Set<String> REQUIRED = Set.of("id", "title", "severity", "description", "runbook");
    private static final Set<String> KNOWN = Set.of("id", "title", "severity", "description", "runbook", "dedup", "tags", "enabled",
            "state-ttl");
    /** Bounds of a rule's state TTL ({@code state-ttl}, {@code rules.default-state-ttl}). */
    public static final Duration MIN_STATE_TTL = StateTtl.MIN;
    public static final Duration MAX_STATE_TTL = StateTtl.MAX;
    public static final String STATE_TTL_ALLOWED = StateTtl.ALLOWED;
    private static final Pattern INTERVAL = Pattern.compile(
            "\\bINTERVAL\\s*'\\s*(\\d{1,9})\\s*'\\s*(SECOND|MINUTE|HOUR|DAY)S?\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern HEADER = Pattern.compile("--\\s*([A-Za-z_.][A-Za-z_.-]*)\\s*:\\s*(.*?)\\s*");
    private static final Pattern CONTINUATION = Pattern.compile("\\s*--\\s{2,}(\\S.*)");
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final String id;
    private final String title;
    private final String severity;
    private final String description;
    private final String runbook;
    private final String dedup;
    private final List<String> tags;
    private final boolean enabled;
    private final Map<String, String> params;
    private final Duration stateTtl;
    private final String sql;
    private final String source;

    private Rule(Map<String, String> meta, Map<String, String> params, Duration stateTtl, String sql, String source) {
        this.id = meta.get("id");
        this.title = meta.get("title");
        this.severity = meta.get("severity");
        this.description = meta.get("description");
        this.runbook = meta.get("runbook");
        this.dedup = meta.getOrDefault("dedup", "15m");
        String tagList = meta.getOrDefault("tags", "");
        this.tags = tagList.isBlank() ? List.of() : List.of(tagList.trim().split("\\s*,\\s*"));
        this.enabled = !"false".equalsIgnoreCase(meta.getOrDefault("enabled", "true"));
        this.params = Map.copyOf(params);
        this.stateTtl = stateTtl;
        this.sql = sql;
        this.source = source;
    }

    /**
     * Reads a rule file.
     *
     * @param text the file's content
     * @param source where it came from (a path or {@code bundled:<name>}), for error messages
     */
    public static Rule parse(String text, String source) {
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, String> params = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        String lastKey = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            if (!line.startsWith("--")) {
                break; // the header ends at the first line of SQL
            }
            Matcher continuation = CONTINUATION.matcher(lines[i]);
            if (lastKey != null && continuation.matches()) {
                // An indented comment line continues the previous value (long descriptions).
                Map<String, String> target = lastKey.startsWith("param.") ? params : meta;
                String k = lastKey.startsWith("param.") ? lastKey.substring("param.".length()) : lastKey;
                target.put(k, target.get(k) + " " + continuation.group(1).strip());
                continue;
            }
            Matcher m = HEADER.matcher(line);
            if (!m.matches()) {
                lastKey = null;
                continue; // a plain comment
            }
            String key = m.group(1);
            lastKey = key;
            if (key.startsWith("param.")) {
                params.put(key.substring("param.".length()), m.group(2));
            } else if (KNOWN.contains(key)) {
                meta.put(key, m.group(2));
            } else {
                throw new RuleException(source + ":" + (i + 1) + ": unknown rule metadata '" + key + "'; known: "
                        + String.join(", ", new TreeSet<>(KNOWN)) + ", param.<name>");
            }
        }
        for (String key : new TreeSet<>(REQUIRED)) {
            if (meta.getOrDefault(key, "").isBlank()) {
                throw new RuleException(source + ": rule metadata '" + key + "' is missing");
            }
        }
        String id = meta.get("id");
        if (!ID.matcher(id).matches()) {
            throw new RuleException(source + ": rule id '" + id + "' must be lower-case letters, digits and '_'");
        }
        Duration dedupPeriod;
        try {
            dedupPeriod = TimeUtils.parseDuration(meta.getOrDefault("dedup", "15m"));
        } catch (IllegalArgumentException e) {
            dedupPeriod = null;
        }
        // Incidents are epoch-aligned periods of whole seconds: zero or sub-second periods would
        // divide by zero or page on every match at run time.
        if (dedupPeriod == null || dedupPeriod.getSeconds() < 1 || dedupPeriod.getNano() != 0 || dedupPeriod.toDays() > 30) {
            throw new RuleException(source + ": rule '" + id + "' has dedup '" + meta.get("dedup")
                    + "'; allowed: a whole number of seconds from 1s to 30d, such as 15m, 1h or 1d");
        }
        if (!SEVERITIES.contains(meta.get("severity"))) {
            throw new RuleException(source + ": rule '" + id + "' has severity '" + meta.get("severity")
                    + "'; allowed: " + String.join(", ", SEVERITIES));
        }
        String sql = substitute(text, params, id, source);
        Duration stateTtl = null;
        if (meta.containsKey("state-ttl")) {
            stateTtl = parseStateTtl(meta.get("state-ttl"));
            if (stateTtl == null) {
                throw new RuleException(source + ": rule '" + id + "' has state-ttl '" + meta.get("state-ttl")
                        + "'; allowed: " + STATE_TTL_ALLOWED);
            }
            Duration longest = longestInterval(sql);
            if (stateTtl.compareTo(longest) <= 0) {
                throw new RuleException(source + ": rule '" + id + "' has state-ttl '" + meta.get("state-ttl")
                        + "', not longer than its longest interval (" + TimeUtils.formatWithHighestUnit(longest)
                        + "): its state would expire while the rule still needs it");
            }
        }
        return new Rule(meta, params, stateTtl, sql, source);
    }

    /** A state TTL within the bounds, or null. */
    public static Duration parseStateTtl(String value) {
        Duration ttl;
        try {
            ttl = TimeUtils.parseDuration(value);
        } catch (IllegalArgumentException | NullPointerException e) {
            return null;
        }
        return validStateTtl(ttl) ? ttl : null;
    }

    /** Whole seconds from {@link #MIN_STATE_TTL} to {@link #MAX_STATE_TTL}. */
    public static boolean validStateTtl(Duration ttl) {
        return StateTtl.valid(ttl);
    }

    /**
     * The longest {@code INTERVAL 'n' SECOND|MINUTE|HOUR|DAY} literal of the SQL (comments
     * ignored), zero without one: the longest time the rule's windows, OVER ranges and
     * {@code WITHIN} clauses span, which its state must outlive.
     */
    static Duration longestInterval(String sql) {
        Matcher m = INTERVAL.matcher(StableUids.normalize(sql));
        Duration longest = Duration.ZERO;
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            Duration d;
            switch (m.group(2).toUpperCase(java.util.Locale.ROOT)) {
                case "SECOND": d = Duration.ofSeconds(n); break;
                case "MINUTE": d = Duration.ofMinutes(n); break;
                case "HOUR": d = Duration.ofHours(n); break;
                default: d = Duration.ofDays(n); break;
            }
            if (d.compareTo(longest) > 0) {
                longest = d;
            }
        }
        return longest;
    }

    /** Replaces {@code ${name}} by the parameter's value; the header stays, so line numbers match the file. */
    private static String substitute(String text, Map<String, String> params, String id, String source) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value = params.get(m.group(1));
            if (value == null) {
                throw new RuleException(source + ": rule '" + id + "' uses ${" + m.group(1) + "} but has no 'param." + m.group(1) + "' in its header");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    public String severity() {
        return severity;
    }

    public String description() {
        return description;
    }

    public String runbook() {
        return runbook;
    }

    /** How long later matches of the same group merge into the first alert ({@code dedup}, e.g. 15m, 1h, 1d). */
    public Duration dedupPeriod() {
        return TimeUtils.parseDuration(dedup);
    }

    public List<String> tags() {
        return tags;
    }

    public boolean enabled() {
        return enabled;
    }

    public Map<String, String> params() {
        return params;
    }

    /** The rule's own {@code state-ttl} header, if it has one. */
    public java.util.Optional<Duration> stateTtl() {
        return java.util.Optional.ofNullable(stateTtl);
    }

    /**
     * How long the rule's SQL operators keep idle state: its {@code state-ttl}, else the default
     * ({@code rules.default-state-ttl}), which must then outlive the rule's longest interval.
     */
    public Duration stateTtl(Duration defaultTtl) {
        if (stateTtl != null) {
            return stateTtl;
        }
        Duration longest = longestInterval(sql);
        if (defaultTtl.compareTo(longest) <= 0) {
            throw new RuleException(source + ": rule '" + id + "' spans " + TimeUtils.formatWithHighestUnit(longest)
                    + " (its longest interval) but has no state-ttl and the default rules.default-state-ttl is "
                    + TimeUtils.formatWithHighestUnit(defaultTtl) + "; add a '-- state-ttl:' header longer than "
                    + TimeUtils.formatWithHighestUnit(longest));
        }
        return defaultTtl;
    }

    /** The SQL as planned, without comments and with whitespace runs made one space: what a rule's uids hash. */
    public String planText() {
        return StableUids.normalize(sql);
    }

    /** The SQL with parameters filled in, header comments kept. */
    public String sql() {
        return sql;
    }

    /** The file the rule came from. */
    public String source() {
        return source;
    }
}
