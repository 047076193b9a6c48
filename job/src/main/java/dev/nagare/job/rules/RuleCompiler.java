package dev.nagare.job.rules;

import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.functions.AlertIdFunction;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.ApiExpression;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.SqlParserException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.types.Row;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.apache.flink.table.api.DataTypes.BIGINT;
import static org.apache.flink.table.api.DataTypes.STRING;
import static org.apache.flink.table.api.DataTypes.TIMESTAMP;
import static org.apache.flink.table.api.Expressions.$;
import static org.apache.flink.table.api.Expressions.call;
import static org.apache.flink.table.api.Expressions.concat;
import static org.apache.flink.table.api.Expressions.ifThenElse;
import static org.apache.flink.table.api.Expressions.nullOf;
import static org.apache.flink.table.api.Expressions.currentTimestamp;
import static org.apache.flink.table.api.Expressions.lit;
import static org.apache.flink.table.api.Expressions.sourceWatermark;

/**
 * Plans every rule's SELECT against the {@code logs} view and wraps its rows into alerts with the
 * rule's metadata and a deterministic {@code alert_id}. A rule that does not compile stops the
 * job at start-up with the rule id, the file, the line and column and the planner's message.
 *
 * <p>Each rule is planned and translated on its own, with its own state TTL, and its operators
 * get uids of its id and a hash of its SQL and TTL ({@link StableUids}): adding, editing or
 * disabling one rule leaves every other rule's operators, and so their state, where they were.
 */
public final class RuleCompiler {
    private static final Pattern POSITION = Pattern.compile("line (\\d+), column (\\d+)");

    private RuleCompiler() {}

    /**
     * The union of all rules' alerts, rows of {@link Schemas#ALERTS}; null when there are no rules.
     *
     * @param logs the stream the {@code logs} view was made from: where each rule's uids stop
     * @param defaultStateTtl the state TTL of rules without a {@code state-ttl} header
     */
    public static DataStream<Row> translate(StreamTableEnvironment tEnv, List<Rule> rules, DataStream<?> logs,
                                            Duration defaultStateTtl) {
        return translate(tEnv, rules, logs, defaultStateTtl, NagareOptions.RULES_WATERMARK_STEP.defaultValue());
    }

    /**
     * @param watermarkStep the watermark steps of rules whose operators re-read their keys at
     *     every watermark ({@link WatermarkSteps}); zero for none
     */
    public static DataStream<Row> translate(StreamTableEnvironment tEnv, List<Rule> rules, DataStream<?> logs,
                                            Duration defaultStateTtl, Duration watermarkStep) {
        DataStream<Row> union = null;
        Map<Map<String, Set<String>>, DataStream<RowData>> routes = new HashMap<>();
        // By input stream: rules of one route share one stepping operator.
        Map<DataStream<RowData>, DataStream<RowData>> stepped = new IdentityHashMap<>();
        for (Rule rule : rules) {
            DataStream<Row> alerts;
            if (!(logs.getType() instanceof InternalTypeInfo)) {
                alerts = translate(tEnv, rule, logs, defaultStateTtl);
            } else {
                @SuppressWarnings("unchecked")
                DataStream<RowData> rows = (DataStream<RowData>) logs;
                Map<String, Set<String>> route = route(tEnv, rule);
                DataStream<RowData> input = route.isEmpty() ? rows : routed(rows, route, routes);
                if (!watermarkStep.isZero() && planned(tEnv, rule).timersAtEveryWatermark) {
                    input = stepped.computeIfAbsent(input, in -> stepWatermarks(in, in == rows, watermarkStep));
                }
                if (input == rows) {
                    alerts = translate(tEnv, rule, logs, defaultStateTtl);
                } else {
                    // The rule is planned over a view of only its rows, or of its rows with stepped watermarks: the same plan.
                    tEnv.dropTemporaryView(LOGS_VIEW);
                    tEnv.createTemporaryView(LOGS_VIEW, logsTable(tEnv, input));
                    try {
                        alerts = translate(tEnv, rule, input, defaultStateTtl);
                    } finally {
                        tEnv.dropTemporaryView(LOGS_VIEW);
                        tEnv.createTemporaryView(LOGS_VIEW, logsTable(tEnv, rows));
                    }
                }
            }
            union = union == null ? alerts : union.union(alerts);
        }
        return union;
    }

    /** The rows as they are, their watermarks in steps ({@link WatermarkSteps}), chained to the operator before. */
    private static DataStream<RowData> stepWatermarks(DataStream<RowData> rows, boolean allLogs, Duration step) {
        String of = allLogs ? "logs" : rows.getTransformation().getUid();
        SingleOutputStreamOperator<RowData> stepped = rows
                .transform("watermark-steps-of-" + step.toMillis() + "ms", rows.getType(), new WatermarkSteps(step.toMillis()))
                .uid("watermark-steps-" + of);
        if (rows.getParallelism() > 0) {
            stepped.setParallelism(rows.getParallelism());
        }
        return stepped;
    }

    /**
     * The rows of a route, in two steps that carry no state: one filter per set of log types
     * reads every event and is shared by the rules of those types; a filter per narrower route
     * reads only the events its types' filter passes (every event, for a route without log
     * types). A CloudTrail event thus meets the four type filters and the five CloudTrail ones,
     * not a filter per rule.
     */
    private static DataStream<RowData> routed(DataStream<RowData> rows, Map<String, Set<String>> route,
                                              Map<Map<String, Set<String>>, DataStream<RowData>> routes) {
        Set<String> types = route.get(RuleRoutes.LOG_TYPE);
        String of = types == null ? "" : "-" + String.join("+", types);
        DataStream<RowData> typed = types == null ? rows
                : routes.computeIfAbsent(Map.of(RuleRoutes.LOG_TYPE, types), r -> filter(rows, r, "logs-of" + of, "route-logs" + of));
        Map<String, Set<String>> rest = new TreeMap<>(route);
        rest.remove(RuleRoutes.LOG_TYPE);
        if (rest.isEmpty()) {
            return typed;
        }
        // Named by its columns and a hash of the whole route (a list of event names makes a long
        // text); each value length-prefixed, so two different routes never hash the same text.
        StringBuilder exact = new StringBuilder();
        rest.forEach((column, values) -> {
            exact.append(column.length()).append(':').append(column).append('=');
            values.forEach(value -> exact.append(value.length()).append(':').append(value));
            exact.append(';');
        });
        String hash = "-" + StableUids.fingerprint(exact.toString());
        String name = (types == null ? "logs" : "logs-of" + of) + "-where-" + String.join("+", rest.keySet()) + hash;
        return routes.computeIfAbsent(route, r -> filter(typed, rest, name, "route-logs" + of + hash));
    }

    private static DataStream<RowData> filter(DataStream<RowData> rows, Map<String, Set<String>> route, String name, String uid) {
        SingleOutputStreamOperator<RowData> routed = rows.filter(new RouteFilter(route)).name(name).uid(uid);
        if (rows.getParallelism() > 0) {
            routed.setParallelism(rows.getParallelism());
        }
        return routed;
    }

    /** A rule's output is flushed to the incident dedup after every row. */
    static final long ALERT_BUFFER_TIMEOUT_MS = 0;

    /** The view every rule reads. */
    public static final String LOGS_VIEW = "logs";

    /** A table of {@code logs} rows with {@code event_time} as event time and the stream's own watermarks. */
    public static Table logsTable(StreamTableEnvironment tEnv, DataStream<RowData> rows) {
        return tEnv.fromDataStream(rows, Schema.newBuilder()
                .fromRowDataType(Schemas.LOGS)
                .watermark("event_time", sourceWatermark())
                .build());
    }

    /**
     * The rows a rule can read as its plan proves them ({@link RuleRoutes}), empty when it
     * reads every event. Remembered by the rule's SQL as planned: the {@code logs} schema and the
     * functions are fixed, and explaining a plan costs an optimization pass (tests and tools build
     * jobs often).
     */
    public static Map<String, Set<String>> route(TableEnvironment tEnv, Rule rule) {
        return planned(tEnv, rule).route;
    }

    private static Planned planned(TableEnvironment tEnv, Rule rule) {
        return PLANNED.computeIfAbsent(rule.planText(), sql -> new Planned(plan(tEnv, rule).explain()));
    }

    /** What the job reads from a rule's optimized plan. */
    private static final class Planned {
        final Map<String, Set<String>> route;
        final boolean timersAtEveryWatermark;

        Planned(String explained) {
            route = RuleRoutes.route(explained);
            timersAtEveryWatermark = RuleRoutes.timersAtEveryWatermark(explained);
        }
    }

    private static final Map<String, Planned> PLANNED = new ConcurrentHashMap<>();

    /** One rule's alerts, translated with the rule's state TTL, its operators carrying {@link #uidPrefix} uids. */
    public static DataStream<Row> translate(StreamTableEnvironment tEnv, Rule rule, DataStream<?> logs,
                                            Duration defaultStateTtl) {
        Duration ttl = rule.stateTtl(defaultStateTtl);
        Table alerts = wrap(plan(tEnv, rule), rule);
        // toDataStream plans and translates at once, reading table.exec.state.ttl now: set it for
        // this rule only.
        Duration before = tEnv.getConfig().get(ExecutionConfigOptions.IDLE_STATE_RETENTION);
        DataStream<Row> stream;
        try {
            tEnv.getConfig().set(ExecutionConfigOptions.IDLE_STATE_RETENTION, ttl);
            stream = tEnv.toDataStream(alerts, Schemas.ALERTS);
        } finally {
            tEnv.getConfig().set(ExecutionConfigOptions.IDLE_STATE_RETENTION, before);
        }
        StableUids.stamp(stream, logs, uidPrefix(rule, ttl));
        // A rule's rows are few beside the events, and each would wait for the next timed flush of
        // the network buffer (100 ms by default) on its way to the incident dedup. Flushed after
        // every row, the consumer is woken per row and reads a slice of the buffer being written
        // (across machines, a small message per row): a rule that emits a row per failed login of
        // a brute-force burst pays that per row, and the events' own exchanges keep the default.
        stream.getTransformation().setBufferTimeout(ALERT_BUFFER_TIMEOUT_MS);
        return stream;
    }

    /**
     * {@code rule-<id>-<8 hex>}: the hash covers the SQL as planned (parameters filled in,
     * comments and layout ignored) and the state TTL, so a rule whose plan or state changes gets
     * new uids and starts with empty state, and any other change (title, severity, dedup,
     * comments) keeps them.
     */
    public static String uidPrefix(Rule rule, Duration stateTtl) {
        return "rule-" + rule.id() + "-" + StableUids.fingerprint(rule.planText(), "state-ttl=" + stateTtl.toMillis());
    }

    /** The rule's own result table, checked for the columns every rule must return. */
    public static Table plan(TableEnvironment tEnv, Rule rule) {
        Table result;
        try {
            result = tEnv.sqlQuery(rule.sql());
        } catch (SqlParserException | ValidationException e) {
            throw new RuleException(describe(rule, e));
        }
        List<String> missing = new ArrayList<>(Schemas.RULE_OUTPUT_COLUMNS);
        missing.removeAll(result.getResolvedSchema().getColumnNames());
        if (!missing.isEmpty()) {
            throw new RuleException("Rule '" + rule.id() + "' (" + rule.source() + ") does not return the columns "
                    + missing + "; every rule returns " + Schemas.RULE_OUTPUT_COLUMNS);
        }
        return result;
    }

    private static Table wrap(Table result, Rule rule) {
        boolean scoped = result.getResolvedSchema().getColumnNames().contains(Schemas.RULE_ACCOUNT_COLUMN);
        ApiExpression account = scoped ? $(Schemas.RULE_ACCOUNT_COLUMN).cast(STRING()) : nullOf(STRING());
        return result.select(
                call(AlertIdFunction.NAME, lit(rule.id()), scope(account, $("group_key").cast(STRING())),
                        $("window_start").cast(TIMESTAMP(3))).as("alert_id"),
                lit(rule.id(), STRING().notNull()).as("rule_id"),
                lit(rule.severity(), STRING().notNull()).as("severity"),
                lit(rule.title(), STRING().notNull()).as("title"),
                account.as("account"),
                $("group_key").cast(STRING()).as("group_key"),
                // Casting also drops the rowtime attribute, so windowed and per-event rules can be unioned.
                $("window_start").cast(TIMESTAMP(3)).as("window_start"),
                $("window_end").cast(TIMESTAMP(3)).as("window_end"),
                $("event_count").cast(BIGINT()).as("event_count"),
                $("summary").cast(STRING()).as("summary"),
                $("details").cast(STRING()).as("details"),
                lit(rule.runbook(), STRING().notNull()).as("runbook"),
                currentTimestamp().cast(TIMESTAMP(3)).as("detected_at"));
    }

    /** The group as the alert id sees it: {@code account/group_key}, or the group key alone when the rule has no account. */
    private static ApiExpression scope(ApiExpression account, ApiExpression groupKey) {
        return ifThenElse(account.isNull(), groupKey, concat(account, lit("/"), groupKey));
    }

    /** One line: rule, file:line:column, and the planner's first line of explanation. */
    static String describe(Rule rule, Exception e) {
        String message = String.valueOf(e.getMessage());
        Throwable cause = e.getCause();
        // The planner's reason is often one level down ("SQL validation failed. <reason>").
        if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message = message + " " + cause.getMessage();
        }
        Matcher m = POSITION.matcher(message);
        String where = m.find() ? rule.source() + ":" + m.group(1) + ":" + m.group(2) : rule.source();
        String oneLine = message.replaceAll("\\s*\\n\\s*", " ").trim();
        // The parser appends every token it could have accepted: noise to a rule author.
        int expecting = oneLine.indexOf(" Was expecting");
        if (expecting > 0) {
            oneLine = oneLine.substring(0, expecting);
        }
        return "Rule '" + rule.id() + "' (" + where + ") does not compile: " + oneLine;
    }
}
