package dev.nagare.job.rules;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.decode.DecodeFunction;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.dag.Transformation;
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

import static org.assertj.core.api.Assertions.assertThat;

/** {@link LogTypeRoutes}: which log types the planner proves a rule reads. */
class LogTypeRoutesTest {
    private StreamTableEnvironment tEnv;

    @BeforeEach
    void logsView() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        tEnv = StreamTableEnvironment.create(env);
        NagarePipeline.registerSqlEnvironment(tEnv,
                env.fromData(DecodeFunction.LOGS_ROWDATA_TYPE, new GenericRowData(DataType.getFieldCount(Schemas.LOGS))));
    }

    private Set<String> types(String sql) {
        return LogTypeRoutes.of(tEnv.sqlQuery(sql).explain());
    }

    @Test
    void everyBundledRuleIsRoutedToTheTypesItFilters() {
        Map<String, Set<String>> routes = new TreeMap<>();
        for (Rule rule : RuleLoader.load(NagareConfig.defaults())) {
            routes.put(rule.id(), RuleCompiler.logTypes(tEnv, rule));
        }
        Set<String> db = Set.of("mysql_audit", "postgres_audit");
        assertThat(routes).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("app_error_rate", Set.of("app")), Map.entry("app_error_spike", Set.of("app")),
                Map.entry("aws_access_denied_burst", Set.of("cloudtrail")), Map.entry("aws_cloudtrail_tampering", Set.of("cloudtrail")),
                Map.entry("aws_console_login_without_mfa", Set.of("cloudtrail")),
                Map.entry("aws_iam_privilege_escalation", Set.of("cloudtrail")), Map.entry("aws_root_activity", Set.of("cloudtrail")),
                Map.entry("aws_security_group_open_world", Set.of("cloudtrail")), Map.entry("db_bruteforce_then_success", db),
                Map.entry("db_bulk_read", db), Map.entry("db_destructive_ddl", db), Map.entry("db_failed_login_burst", db),
                Map.entry("db_privilege_change", db), Map.entry("db_unusual_client", db),
                Map.entry("lambda_timeouts_or_oom", Set.of("lambda"))));
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
        assertThat(LogTypeRoutes.depth("Calc(select=[a])")).isZero();
        assertThat(LogTypeRoutes.depth("+- Exchange(distribution=[hash[a]])")).isEqualTo(1);
        assertThat(LogTypeRoutes.depth(":- Exchange(distribution=[hash[a]])")).isEqualTo(1);
        assertThat(LogTypeRoutes.depth(":  +- Calc(select=[a], where=[=(log_type, 'x')])")).isEqualTo(2);
        assertThat(LogTypeRoutes.depth("   :  +- TableSourceScan(table=[[x]])")).isEqualTo(3);
    }

    /** The filter keeps its types, as built at the parse and as read behind the shuffle, and nothing else. */
    @Test
    void theFilterKeepsExactlyItsTypes() throws Exception {
        LogTypeFilter filter = new LogTypeFilter(Set.of("mysql_audit", "postgres_audit"));
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

    /** The job feeds each routed rule from one chained filter per set of types, straight off the logs stream. */
    @Test
    void theJobRoutesEachSetOfTypesThroughOneFilter() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamTableEnvironment routedEnv = StreamTableEnvironment.create(env);
        DataStream<RowData> logs = NagarePipeline.registerSqlEnvironment(routedEnv,
                env.fromData(DecodeFunction.LOGS_ROWDATA_TYPE, new GenericRowData(DataType.getFieldCount(Schemas.LOGS))).uid("logs"));
        DataStream<Row> alerts = RuleCompiler.translate(routedEnv, RuleLoader.load(NagareConfig.defaults()), logs, Duration.ofDays(1));
        Map<String, List<Transformation<?>>> routes = new TreeMap<>();
        Deque<Transformation<?>> pending = new ArrayDeque<>(List.of(alerts.getTransformation()));
        Set<Transformation<?>> seen = new HashSet<>();
        while (!pending.isEmpty()) {
            Transformation<?> t = pending.pop();
            if (seen.add(t)) {
                if (t.getUid() != null && t.getUid().startsWith("route-logs-")) {
                    routes.put(t.getUid(), t.getInputs());
                }
                pending.addAll(t.getInputs());
            }
        }
        assertThat(routes).containsOnlyKeys("route-logs-app", "route-logs-cloudtrail", "route-logs-lambda",
                "route-logs-mysql_audit+postgres_audit");
        routes.values().forEach(inputs -> assertThat(inputs).containsExactly(logs.getTransformation()));
    }
}
