package dev.nagare.job.rules;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.decode.DecodeFunction;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RuleRoutes}: which rows the planner proves a rule reads. */
class RuleRoutesTest {
    private StreamTableEnvironment tEnv;

    @BeforeEach
    void logsView() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        tEnv = StreamTableEnvironment.create(env);
        NagarePipeline.registerSqlEnvironment(tEnv,
                env.fromData(DecodeFunction.LOGS_ROWDATA_TYPE, new GenericRowData(DataType.getFieldCount(Schemas.LOGS))));
    }

    private Set<String> types(String sql) {
        return route(sql).getOrDefault("log_type", Set.of());
    }

    private Map<String, Set<String>> route(String sql) {
        return RuleRoutes.route(tEnv.sqlQuery(sql).explain());
    }

    /**
     * Each bundled rule's route, checked against its SQL by hand: every column and value here is
     * a top-level condition of the rule's filter on {@code logs} (an event name inside an OR, a
     * function of a column or a LIKE is not).
     */
    @Test
    void everyBundledRuleIsRoutedToTheRowsItFilters() {
        Map<String, Map<String, Set<String>>> routes = new TreeMap<>();
        for (Rule rule : RuleLoader.load(NagareConfig.defaults())) {
            routes.put(rule.id(), RuleCompiler.route(tEnv, rule));
        }
        Set<String> db = Set.of("mysql_audit", "postgres_audit");
        Map<String, Set<String>> app = Map.of("log_type", Set.of("app"));
        Map<String, Set<String>> cloudtrail = Map.of("log_type", Set.of("cloudtrail"));
        Map<String, Set<String>> audit = Map.of("log_type", db);
        assertThat(routes).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("app_error_rate", app), Map.entry("app_error_spike", app),
                Map.entry("aws_access_denied_burst", cloudtrail),
                Map.entry("aws_cloudtrail_tampering", Map.of("log_type", Set.of("cloudtrail"),
                        "aws_event_source", Set.of("cloudtrail.amazonaws.com"),
                        "aws_event_name", Set.of("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"))),
                Map.entry("aws_console_login_without_mfa", Map.of("log_type", Set.of("cloudtrail"), "aws_event_name", Set.of("ConsoleLogin"))),
                Map.entry("aws_iam_privilege_escalation", Map.of("log_type", Set.of("cloudtrail"), "aws_event_source", Set.of("iam.amazonaws.com"))),
                Map.entry("aws_root_activity", Map.of("log_type", Set.of("cloudtrail"), "aws_principal_type", Set.of("Root"))),
                Map.entry("aws_security_group_open_world", Map.of("log_type", Set.of("cloudtrail"), "aws_event_name",
                        Set.of("AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules", "AuthorizeSecurityGroupEgress"))),
                Map.entry("db_bruteforce_then_success", Map.of("log_type", db, "db_operation", Set.of("FAILED_CONNECT", "CONNECT"))),
                Map.entry("db_bulk_read", audit), Map.entry("db_destructive_ddl", audit),
                Map.entry("db_failed_login_burst", Map.of("log_type", db, "db_operation", Set.of("FAILED_CONNECT"))),
                Map.entry("db_privilege_change", audit),
                Map.entry("db_unusual_client", Map.of("log_type", db, "db_operation", Set.of("CONNECT"))),
                Map.entry("lambda_timeouts_or_oom", Map.of("log_type", Set.of("lambda")))));
    }

    /**
     * The operators that re-read every waiting key at each watermark: an OVER from UNBOUNDED
     * PRECEDING (either frame) and MATCH_RECOGNIZE; among the bundled rules, the two per-user
     * sequences. Bounded frames and window aggregates time each row once.
     */
    @Test
    void rulesWhoseOperatorsWakeAtEveryWatermarkAreFound() {
        Set<String> found = new TreeSet<>();
        for (Rule rule : RuleLoader.load(NagareConfig.defaults())) {
            if (RuleRoutes.timersAtEveryWatermark(RuleCompiler.plan(tEnv, rule).explain())) {
                found.add(rule.id());
            }
        }
        assertThat(found).containsExactly("db_bruteforce_then_success", "db_unusual_client");
        assertThat(timers("SELECT COUNT(*) OVER (PARTITION BY service ORDER BY event_time RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
                + " FROM logs")).isTrue();
        assertThat(timers("SELECT * FROM logs MATCH_RECOGNIZE (PARTITION BY service ORDER BY event_time MEASURES A.level AS l"
                + " PATTERN (A B) DEFINE A AS A.level = 'ERROR', B AS B.level = 'INFO')")).isTrue();
        assertThat(timers("SELECT COUNT(*) OVER (PARTITION BY service ORDER BY event_time ROWS BETWEEN 5 PRECEDING AND CURRENT ROW)"
                + " FROM logs")).isFalse();
        assertThat(timers("SELECT COUNT(*) OVER (PARTITION BY service ORDER BY event_time RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING"
                + " AND CURRENT ROW) FROM logs")).isFalse();
        assertThat(timers("SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))"
                + " GROUP BY window_start, window_end")).isFalse();
        // The words inside another node (a literal) are not the operator.
        assertThat(timers("SELECT message FROM logs WHERE db_query LIKE '%Match(%' AND message <> 'UNBOUNDED PRECEDING'")).isFalse();
    }

    private boolean timers(String sql) {
        return RuleRoutes.timersAtEveryWatermark(tEnv.sqlQuery(sql).explain());
    }

    /**
     * Those rules read their route through one watermark-stepping operator per route, right
     * behind the route's filter and chained to it; no other rule does, and with a step of 0 none.
     */
    @Test
    void theJobStepsTheWatermarksOfThoseRulesOnly() {
        Map<String, Transformation<?>> all = transformations(Duration.ofSeconds(10), "");
        Map<String, Transformation<?>> steps = new TreeMap<>(all);
        steps.keySet().removeIf(uid -> !uid.startsWith("watermark-steps-"));
        assertThat(steps).hasSize(2);
        steps.forEach((uid, step) -> {
            assertThat(step.getInputs()).hasSize(1);
            Transformation<?> route = step.getInputs().get(0);
            assertThat(uid).isEqualTo("watermark-steps-" + route.getUid());
            assertThat(route.getUid()).matches("route-logs-mysql_audit\\+postgres_audit-[0-9a-f]{8}");
            assertThat(step.getName()).isEqualTo("watermark-steps-of-10000ms");
            assertThat(step.getParallelism()).isEqualTo(route.getParallelism());
            assertThat(((OneInputTransformation<?, ?>) step).getOperatorFactory().getChainingStrategy()).isEqualTo(ChainingStrategy.ALWAYS);
        });
        // Read by the two sequence rules' operators and nothing else.
        Set<String> readers = new TreeSet<>();
        all.forEach((uid, t) -> {
            if (t.getInputs().stream().anyMatch(steps::containsValue)) {
                readers.add(uid.replaceAll("-[0-9a-f]{8}-\\d+$", ""));
            }
        });
        assertThat(readers).containsExactly("rule-db_bruteforce_then_success", "rule-db_unusual_client");
        Map<String, Transformation<?>> unstepped = transformations(Duration.ZERO, "");
        assertThat(unstepped.keySet()).noneMatch(uid -> uid.startsWith("watermark-steps-"));
        // Every other uid is the same with and without steps: savepoints taken either way restore.
        Set<String> stepped = new TreeSet<>(all.keySet());
        stepped.removeAll(steps.keySet());
        assertThat(stepped).isEqualTo(new TreeSet<>(unstepped.keySet()));
    }

    /** The job's rule transformations whose uid starts with {@code prefix}, by uid. */
    private static Map<String, Transformation<?>> transformations(Duration step, String prefix) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamTableEnvironment routedEnv = StreamTableEnvironment.create(env);
        DataStream<RowData> logs = NagarePipeline.registerSqlEnvironment(routedEnv,
                env.fromData(DecodeFunction.LOGS_ROWDATA_TYPE, new GenericRowData(DataType.getFieldCount(Schemas.LOGS))).uid("logs"));
        DataStream<Row> alerts = RuleCompiler.translate(routedEnv, RuleLoader.load(NagareConfig.defaults()), logs, Duration.ofDays(1), step);
        Map<String, Transformation<?>> found = new TreeMap<>();
        Deque<Transformation<?>> pending = new ArrayDeque<>(List.of(alerts.getTransformation()));
        Set<Transformation<?>> seen = new HashSet<>();
        while (!pending.isEmpty()) {
            Transformation<?> t = pending.pop();
            if (seen.add(t)) {
                if (t.getUid() != null && t.getUid().startsWith(prefix)) {
                    found.put(t.getUid(), t);
                }
                pending.addAll(t.getInputs());
            }
        }
        return found;
    }

    /** Other text columns fixed by the filter narrow the route; what is not a fixed text value does not. */
    @Test
    void aFilterThatFixesOtherTextColumnsNarrowsTheRoute() {
        assertThat(route("SELECT message FROM logs WHERE log_type = 'app' AND level IN ('ERROR', 'FATAL') AND service = 'orders'"))
                .isEqualTo(Map.of("log_type", Set.of("app"), "level", Set.of("ERROR", "FATAL"), "service", Set.of("orders")));
        // Values of one length (the planner's CHAR(n)) and of several (VARCHAR(n)).
        assertThat(route("SELECT message FROM logs WHERE level IN ('ERROR', 'FATAL') AND service IN ('a', 'bcd')"))
                .isEqualTo(Map.of("level", Set.of("ERROR", "FATAL"), "service", Set.of("a", "bcd")));
        // No log type: a route of other columns.
        assertThat(route("SELECT message FROM logs WHERE level = 'ERROR'")).isEqualTo(Map.of("level", Set.of("ERROR")));
        // Two conditions on one column keep what both allow.
        assertThat(route("SELECT message FROM logs WHERE level IN ('ERROR', 'WARN') AND level IN ('ERROR', 'FATAL')"))
                .isEqualTo(Map.of("level", Set.of("ERROR")));
        // Not text, not a point, not top-level: no narrowing by them.
        assertThat(route("SELECT message FROM logs WHERE log_type = 'mysql_audit' AND db_retcode = 0 AND aws_mfa = FALSE"
                + " AND level <> 'DEBUG' AND service LIKE 'a%' AND UPPER(account) = 'A' AND (region = 'x' OR service = 'y')"
                + " AND db_user IS NOT NULL")).isEqualTo(Map.of("log_type", Set.of("mysql_audit")));
        // An OR of one column's values is a list of them to the planner.
        assertThat(route("SELECT message FROM logs WHERE (region = 'x' OR region = 'y')")).isEqualTo(Map.of("region", Set.of("x", "y")));
        // Two scans: a column limited in both keeps the values of both; a column limited in one is left out.
        assertThat(route("SELECT a.account FROM logs a JOIN logs b ON a.account = b.account"
                + " WHERE a.log_type = 'app' AND a.level = 'ERROR' AND b.log_type = 'lambda' AND b.service = 's'"))
                .isEqualTo(Map.of("log_type", Set.of("app", "lambda")));
        assertThat(route("SELECT message FROM logs WHERE level = 'ERROR' AND service = 'a'"
                + " UNION ALL SELECT message FROM logs WHERE level = 'FATAL'")).isEqualTo(Map.of("level", Set.of("ERROR", "FATAL")));
    }

    @Test
    void aFilterThatFixesTheTypeRoutes() {
        assertThat(types("SELECT message FROM logs WHERE log_type = 'app'")).containsExactly("app");
        assertThat(types("SELECT message FROM logs WHERE level = 'ERROR' AND log_type IN ('lambda', 'app') AND message LIKE '%x%'"))
                .containsExactly("app", "lambda");
        // Literals with the characters the plan's text uses for its own structure.
        assertThat(types("SELECT message FROM logs WHERE log_type IN ('a, b)]', 'it''s') AND message = 'x'')'"))
                .containsExactly("a, b)]", "it's");
        // Two scans, each filtered: the union of their types.
        assertThat(types("SELECT a.account FROM logs a JOIN logs b ON a.account = b.account"
                + " WHERE a.log_type = 'app' AND b.log_type = 'lambda'")).containsExactly("app", "lambda");
    }

    /** Whatever the plan does not prove keeps the rule on every event. */
    @Test
    void anythingElseReadsEveryEvent() {
        assertThat(types("SELECT message FROM logs")).isEmpty();
        assertThat(types("SELECT message FROM logs WHERE level = 'ERROR'")).isEmpty();
        assertThat(types("SELECT message FROM logs WHERE log_type = 'app' OR level = 'ERROR'")).isEmpty();
        assertThat(types("SELECT message FROM logs WHERE log_type NOT IN ('app', 'lambda')")).isEmpty();
        assertThat(types("SELECT message FROM logs WHERE log_type <> 'app'")).isEmpty();
        assertThat(types("SELECT message FROM logs WHERE log_type LIKE 'app%'")).isEmpty();
        assertThat(types("SELECT message FROM logs WHERE UPPER(log_type) = 'APP'")).isEmpty();
        assertThat(types("SELECT message FROM logs WHERE log_type > 'app'")).isEmpty();
        // One of two scans unfiltered.
        assertThat(types("SELECT a.account FROM logs a JOIN logs b ON a.account = b.account WHERE a.log_type = 'app'")).isEmpty();
        assertThat(types("SELECT message FROM logs WHERE log_type = 'app' UNION ALL SELECT message FROM logs")).isEmpty();
    }

    @Test
    void planLinesAreReadByTheirDepth() {
        assertThat(RuleRoutes.depth("Calc(select=[a])")).isZero();
        assertThat(RuleRoutes.depth("+- Exchange(distribution=[hash[a]])")).isEqualTo(1);
        assertThat(RuleRoutes.depth(":- Exchange(distribution=[hash[a]])")).isEqualTo(1);
        assertThat(RuleRoutes.depth(":  +- Calc(select=[a], where=[=(log_type, 'x')])")).isEqualTo(2);
        assertThat(RuleRoutes.depth("   :  +- TableSourceScan(table=[[x]])")).isEqualTo(3);
    }

    /** The filter keeps its types, as built at the parse and as read behind the shuffle, and nothing else. */
    @Test
    void theFilterKeepsExactlyItsTypes() throws Exception {
        RouteFilter filter = new RouteFilter(Map.of("log_type", Set.of("mysql_audit", "postgres_audit")));
        filter.open(DefaultOpenContext.INSTANCE);
        TypeSerializer<RowData> serializer = DecodeFunction.LOGS_ROWDATA_TYPE.createSerializer(new SerializerConfigImpl());
        for (String type : new String[] {"mysql_audit", "postgres_audit", "app", "mysql_audit2", "MYSQL_AUDIT", null}) {
            NormalizedEvent e = new NormalizedEvent();
            e.logType = type;
            RowData parsed = Schemas.logRowData(e);
            DataOutputSerializer out = new DataOutputSerializer(256);
            serializer.serialize(parsed, out);
            RowData shuffled = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
            boolean expected = "mysql_audit".equals(type) || "postgres_audit".equals(type);
            assertThat(filter.filter(parsed)).as(type).isEqualTo(expected);
            assertThat(filter.filter(shuffled)).as(type).isEqualTo(expected);
        }
    }

    /**
     * The job feeds each routed rule from one chained filter per set of types, straight off the logs
     * stream, and a narrower route from a second filter behind its types' one.
     */
    @Test
    void theJobRoutesEachSetOfTypesThroughOneFilter() {
        Map<String, Transformation<?>> byUid = transformations(NagareOptions.RULES_WATERMARK_STEP.defaultValue(), "");
        Transformation<?> logs = byUid.get("logs");
        Map<String, List<Transformation<?>>> routes = new TreeMap<>();
        byUid.forEach((uid, t) -> {
            if (uid.startsWith("route-logs-")) {
                routes.put(uid, t.getInputs());
            }
        });
        // One filter per set of types, reading the logs stream.
        List<String> typeRoutes = List.of("route-logs-app", "route-logs-cloudtrail", "route-logs-lambda",
                "route-logs-mysql_audit+postgres_audit");
        typeRoutes.forEach(uid -> assertThat(routes.get(uid)).as(uid).containsExactly(logs));
        // Behind them, one filter per narrower route (five CloudTrail rules, three database rules),
        // each reading only its types' filter.
        Map<String, List<String>> narrower = new TreeMap<>();
        routes.forEach((uid, inputs) -> {
            if (!typeRoutes.contains(uid)) {
                assertThat(inputs).hasSize(1);
                narrower.computeIfAbsent(inputs.get(0).getUid(), k -> new java.util.ArrayList<>()).add(uid);
            }
        });
        assertThat(narrower.keySet()).containsExactly("route-logs-cloudtrail", "route-logs-mysql_audit+postgres_audit");
        assertThat(narrower.get("route-logs-cloudtrail")).hasSize(5)
                .allSatisfy(uid -> assertThat(uid).matches("route-logs-cloudtrail-[0-9a-f]{8}"));
        assertThat(narrower.get("route-logs-mysql_audit+postgres_audit")).hasSize(3);
        assertThat(byUid.get("route-logs-cloudtrail").getName()).isEqualTo("logs-of-cloudtrail");
        // Named by columns and a hash, within the 80 characters Flink keeps of an operator's name in metrics.
        narrower.get("route-logs-cloudtrail").forEach(uid -> assertThat(byUid.get(uid).getName())
                .matches("logs-of-cloudtrail-where-[a-z_+]+-[0-9a-f]{8}").hasSizeLessThanOrEqualTo(80)
                .endsWith(uid.substring(uid.lastIndexOf('-'))));
    }

    /** A route of several columns keeps a row only when each of them holds one of its values. */
    @Test
    void theFilterKeepsOnlyRowsWithEveryColumnInItsRoute() throws Exception {
        RouteFilter filter = new RouteFilter(Map.of("log_type", Set.of("cloudtrail"), "aws_event_name", Set.of("StopLogging", "DeleteTrail")));
        filter.open(DefaultOpenContext.INSTANCE);
        String[][] rows = {
            {"cloudtrail", "StopLogging", "true"}, {"cloudtrail", "DeleteTrail", "true"}, {"cloudtrail", "GetObject", "false"},
            {"cloudtrail", null, "false"}, {"app", "StopLogging", "false"}, {null, "StopLogging", "false"},
            {"cloudtrail", "stoplogging", "false"}, {"cloudtrail", "StopLogging ", "false"}};
        for (String[] row : rows) {
            NormalizedEvent e = new NormalizedEvent();
            e.logType = row[0];
            e.awsEventName = row[1];
            assertThat(filter.filter(Schemas.logRowData(e))).as(String.join("/", String.valueOf(row[0]), String.valueOf(row[1])))
                    .isEqualTo(Boolean.parseBoolean(row[2]));
        }
        assertThatThrownBy(() -> new RouteFilter(Map.of("db_retcode", Set.of("0"))))
                .hasMessage("not a text column of logs: db_retcode");
    }

    /** Few values are compared one by one and many are looked up; both keep exactly their values. */
    @Test
    void theFilterKeepsItsValuesWhetherFewOrMany() throws Exception {
        for (int count : new int[] {1, RouteFilter.LINEAR_VALUES, RouteFilter.LINEAR_VALUES + 1, 40}) {
            Set<String> names = new java.util.TreeSet<>();
            for (int i = 0; i < count; i++) {
                names.add("Event" + i + "é".repeat(i % 3));
            }
            RouteFilter filter = new RouteFilter(Map.of("aws_event_name", names));
            filter.open(DefaultOpenContext.INSTANCE);
            for (int i = 0; i < count + 3; i++) {
                for (String name : new String[] {"Event" + i + "é".repeat(i % 3), "Event" + i + "x", "event" + i}) {
                    NormalizedEvent e = new NormalizedEvent();
                    e.awsEventName = name;
                    assertThat(filter.filter(Schemas.logRowData(e))).as("%d values, %s", count, name).isEqualTo(names.contains(name));
                }
            }
            assertThat(filter.filter(Schemas.logRowData(new NormalizedEvent()))).isFalse();
        }
    }
}
