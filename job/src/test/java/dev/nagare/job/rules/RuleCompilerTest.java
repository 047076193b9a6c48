package dev.nagare.job.rules;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.decode.DecodeFunction;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.functions.NagareFunctions;
import dev.nagare.udf.parse.NormalizedEvent;

import dev.nagare.job.source.RecordSource;

import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.runtime.functions.KeyedProcessFunctionWithCleanupState;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.apache.flink.table.api.Expressions.sourceWatermark;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Plans rules against the real {@code logs} schema (planning only, nothing runs). */
class RuleCompilerTest {
    private static final String HEADER = "-- id: broken\n-- title: Broken\n-- severity: low\n"
            + "-- description: d\n-- runbook: r\n";

    private static final Duration DAY = Duration.ofDays(1);

    private StreamTableEnvironment tEnv;
    private DataStream<?> logs;

    @TempDir
    Path work;

    @BeforeEach
    void logsView() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        tEnv = StreamTableEnvironment.create(env);
        logs = NagarePipeline.registerSqlEnvironment(tEnv,
                env.fromData(DecodeFunction.LOGS_ROWDATA_TYPE, new GenericRowData(DataType.getFieldCount(Schemas.LOGS))).uid("logs"));
    }

    @Test
    void theBundledRulesTranslateToAlerts() {
        List<Rule> rules = RuleLoader.load(NagareConfig.defaults());
        assertThat(rules).extracting(Rule::id).contains("app_error_rate", "db_privilege_change");
        DataStream<Row> alerts = RuleCompiler.translate(tEnv, rules, logs, DAY);
        assertThat(alerts.getType()).isEqualTo(ExternalTypeInfo.of(Schemas.ALERTS));
        // Every rule's operators carry its uids, up to the logs stream.
        Map<String, List<String>> uids = uidsByPrefix(List.of(alerts.getTransformation()));
        for (Rule rule : rules) {
            assertThat(uids.keySet()).as(rule.id()).contains(RuleCompiler.uidPrefix(rule, rule.stateTtl(DAY)));
        }
        // ... and not beyond: the stream the view reads keeps its own.
        assertThat(logs.getTransformation().getUid()).isEqualTo("logs");
    }

    /**
     * Snapshots taken while the {@code logs} view read the stream of {@code Row} directly map each
     * rule's state by uid: whichever the view reads, every rule must plan to the same operators
     * under the same uids.
     */
    @Test
    void rulesKeepTheirOperatorsAndUidsWhetherTheViewReadsRowsOrRowData() {
        List<Rule> rules = RuleLoader.load(NagareConfig.defaults());
        Map<String, String> overRowData = ruleOperators(rules, true);
        assertThat(overRowData).hasSizeGreaterThan(rules.size() * 2);
        assertThat(overRowData).isEqualTo(ruleOperators(rules, false));
    }

    /** Each rule operator's uid and its name with numbers blanked (the planner numbers its nodes). */
    private static Map<String, String> ruleOperators(List<Rule> rules, boolean rowData) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        DataStream<Row> rows = env.fromData(ExternalTypeInfo.of(Schemas.LOGS), Schemas.logRow(new NormalizedEvent()));
        DataStream<?> logs;
        if (rowData) {
            logs = NagarePipeline.registerSqlEnvironment(tEnv,
                    env.fromData(DecodeFunction.LOGS_ROWDATA_TYPE, new GenericRowData(DataType.getFieldCount(Schemas.LOGS))));
        } else {
            // The view as it was registered before: straight from the stream of Row.
            NagareFunctions.ALL.forEach(tEnv::createTemporarySystemFunction);
            tEnv.createTemporaryView("logs", tEnv.fromDataStream(rows, Schema.newBuilder()
                    .fromRowDataType(Schemas.LOGS).watermark("event_time", sourceWatermark()).build()));
            logs = rows;
        }
        DataStream<Row> alerts = RuleCompiler.translate(tEnv, rules, logs, DAY);
        Map<String, String> operators = new java.util.TreeMap<>();
        for (Transformation<?> t : all(List.of(alerts.getTransformation()))) {
            if (t.getUid() != null && t.getUid().startsWith("rule-")) {
                operators.put(t.getUid(), t.getName().replaceAll("\\d+", "N"));
            }
        }
        return operators;
    }

    @Test
    void unchangedRulesKeepTheirUidsWhenOtherRulesAreAddedRemovedOrEdited() {
        Map<String, Rule> bundled = new LinkedHashMap<>();
        RuleLoader.bundled().forEach(r -> bundled.put(r.id(), r));
        Rule edited = Rule.parse(bundledText("aws_access_denied_burst").replace("-- param.threshold: 10", "-- param.threshold: 5"),
                "bundled:sql/rules/aws_access_denied_burst.sql");
        Rule retitled = Rule.parse(bundledText("db_failed_login_burst")
                .replace("-- title: Burst of failed database logins from one client", "-- title: Failed logins")
                .replace("-- Fires on every failed login", "-- Fires on each failed login"), "bundled:sql/rules/db_failed_login_burst.sql");

        // Before: A (removed later), C (edited later), the unchanged rule; all sort before it.
        Map<String, List<String>> before = pipelineUids(List.of(bundled.get("app_error_rate"),
                bundled.get("aws_access_denied_burst"), bundled.get("db_failed_login_burst"), bundled.get("lambda_timeouts_or_oom")));
        // After: A gone, C edited, D added before the unchanged rule, and the unchanged one retitled with a new comment.
        Map<String, List<String>> after = pipelineUids(List.of(bundled.get("app_error_spike"), edited,
                bundled.get("aws_root_activity"), retitled, bundled.get("lambda_timeouts_or_oom")));

        for (String unchanged : List.of("rule-db_failed_login_burst-", "rule-lambda_timeouts_or_oom-", "rollup-metrics_1m-")) {
            List<String> b = withPrefix(before, unchanged);
            assertThat(b).as(unchanged).isNotEmpty();
            assertThat(withPrefix(after, unchanged)).as(unchanged).isEqualTo(b);
        }
        // The OVER aggregate, its exchange, the calcs and the conversions: every operator of the rule.
        assertThat(withPrefix(before, "rule-db_failed_login_burst-")).hasSizeGreaterThanOrEqualTo(5);
        // The edited rule has new uids (its state starts fresh); the removed one none.
        assertThat(withPrefix(after, "rule-aws_access_denied_burst-")).isNotEmpty()
                .doesNotContainAnyElementsOf(withPrefix(before, "rule-aws_access_denied_burst-"));
        assertThat(withPrefix(after, "rule-app_error_rate-")).isEmpty();
    }

    /**
     * Alerts leave their rule at once; the events' own exchanges keep the default timed flush,
     * which fills network buffers instead of sending one per event.
     */
    @Test
    void alertsAreFlushedToTheIncidentDedupAtOnceAndEventsAreNot() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        NagareConfig config = NagareConfig.defaults().with("lake.path", work.resolve("lake").toString());
        NagarePipeline.from(config).source(RecordSource.of(List.of())).rules(RuleLoader.bundled()).outputs().attachTo(env);
        StreamGraph graph = env.getStreamGraph();
        List<StreamEdge> toIncidents = new ArrayList<>();
        List<StreamEdge> toRules = new ArrayList<>();
        for (StreamNode node : graph.getStreamNodes()) {
            for (StreamEdge edge : node.getInEdges()) {
                if ("one-alert-per-incident".equals(node.getOperatorName())) {
                    toIncidents.add(edge);
                } else if (isRule(node) && !isRule(graph.getStreamNode(edge.getSourceId()))) {
                    toRules.add(edge);
                }
            }
        }
        assertThat(toIncidents).hasSize(RuleLoader.bundled().size())
                .allSatisfy(edge -> assertThat(edge.getBufferTimeout()).isEqualTo(RuleCompiler.ALERT_BUFFER_TIMEOUT_MS));
        assertThat(toRules).isNotEmpty()
                .allSatisfy(edge -> assertThat(edge.getBufferTimeout()).isEqualTo(env.getBufferTimeout()));
    }

    private static boolean isRule(StreamNode node) {
        return node.getTransformationUID() != null && node.getTransformationUID().startsWith("rule-");
    }

    @Test
    void aChangedStateTtlChangesTheUids() {
        Rule rule = RuleLoader.bundled().stream().filter(r -> r.id().equals("db_failed_login_burst")).findFirst().orElseThrow();
        assertThat(RuleCompiler.uidPrefix(rule, DAY)).startsWith("rule-db_failed_login_burst-")
                .isEqualTo(RuleCompiler.uidPrefix(rule, DAY))
                .isNotEqualTo(RuleCompiler.uidPrefix(rule, Duration.ofHours(2)));
    }

    @Test
    void aRulesStateTtlReachesItsPlanAndOnlyItsPlan() throws Exception {
        // An unbounded OVER aggregate ("first time seen") keeps state per key forever but for the TTL.
        String sql = "SELECT account, db_user AS group_key, event_time AS window_start, event_time AS window_end,\n"
                + "       n AS event_count, 'first connection' AS summary, '{}' AS details\n"
                + "FROM (SELECT *, COUNT(*) OVER (PARTITION BY account, db_user ORDER BY event_time) AS n FROM logs)\n"
                + "WHERE n = 1";
        Rule own = Rule.parse(HEADER.replace("broken", "first_seen") + "-- state-ttl: 3h\n" + sql, "first_seen.sql");
        Rule byDefault = Rule.parse(HEADER.replace("broken", "first_seen_default") + sql, "first_seen_default.sql");

        assertThat(retention(RuleCompiler.translate(tEnv, own, logs, DAY))).isEqualTo(Duration.ofHours(3).toMillis());
        assertThat(retention(RuleCompiler.translate(tEnv, byDefault, logs, Duration.ofHours(5)))).isEqualTo(Duration.ofHours(5).toMillis());
        // The job's own setting is back as it was for whatever is planned next.
        assertThat(tEnv.getConfig().get(ExecutionConfigOptions.IDLE_STATE_RETENTION)).isEqualTo(Duration.ZERO);
    }

    /** The idle state retention of the one state-cleaning function in a rule's plan. */
    private static long retention(DataStream<Row> rule) throws Exception {
        List<Long> found = new ArrayList<>();
        for (Transformation<?> t : all(List.of(rule.getTransformation()))) {
            if (t instanceof OneInputTransformation
                    && ((OneInputTransformation<?, ?>) t).getOperatorFactory() instanceof SimpleOperatorFactory) {
                Object operator = ((SimpleOperatorFactory<?>) ((OneInputTransformation<?, ?>) t).getOperatorFactory()).getOperator();
                if (operator instanceof AbstractUdfStreamOperator
                        && ((AbstractUdfStreamOperator<?, ?>) operator).getUserFunction() instanceof KeyedProcessFunctionWithCleanupState) {
                    Field min = KeyedProcessFunctionWithCleanupState.class.getDeclaredField("minRetentionTime");
                    min.setAccessible(true);
                    found.add(min.getLong(((AbstractUdfStreamOperator<?, ?>) operator).getUserFunction()));
                }
            }
        }
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    /** The uids of the SQL part of the whole job (rules, rollup) planned with these rules, by uid prefix. */
    private Map<String, List<String>> pipelineUids(List<Rule> rules) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        NagareConfig config = NagareConfig.defaults().with("lake.path", work.resolve("lake").toString());
        NagarePipeline.from(config).source(RecordSource.of(List.of())).rules(rules).outputs().attachTo(env);
        Map<String, List<String>> uids = uidsByPrefix(env.getTransformations());
        // Flink's own check: no two operators share a uid.
        env.getStreamGraph();
        return uids;
    }

    private static List<String> withPrefix(Map<String, List<String>> uids, String prefix) {
        return uids.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .flatMap(e -> e.getValue().stream()).collect(Collectors.toList());
    }

    /** Uids of the form {@code <prefix>-<n>} grouped by prefix, in the order of n; every uid once. */
    private static Map<String, List<String>> uidsByPrefix(List<Transformation<?>> sinks) {
        Map<String, List<String>> byPrefix = new java.util.TreeMap<>();
        List<String> all = new ArrayList<>();
        for (Transformation<?> t : all(sinks)) {
            String uid = t.getUid();
            if (uid != null && (uid.startsWith("rule-") || uid.startsWith("rollup-"))) {
                all.add(uid);
                byPrefix.computeIfAbsent(uid.substring(0, uid.lastIndexOf('-')), k -> new ArrayList<>()).add(uid);
            }
        }
        assertThat(all).doesNotHaveDuplicates();
        byPrefix.values().forEach(list -> list.sort((a, b) -> Integer.compare(
                Integer.parseInt(a.substring(a.lastIndexOf('-') + 1)), Integer.parseInt(b.substring(b.lastIndexOf('-') + 1)))));
        return byPrefix;
    }

    private static List<Transformation<?>> all(List<Transformation<?>> sinks) {
        Set<Transformation<?>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Transformation<?>> pending = new ArrayDeque<>(sinks);
        List<Transformation<?>> out = new ArrayList<>();
        while (!pending.isEmpty()) {
            Transformation<?> t = pending.pop();
            if (seen.add(t)) {
                out.add(t);
                pending.addAll(t.getInputs());
            }
        }
        return out;
    }

    private static String bundledText(String id) {
        try (InputStream in = RuleCompilerTest.class.getResourceAsStream(RuleLoader.BUNDLED_RULES + "/" + id + ".sql")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aRuleThatDoesNotParseNamesFileLineAndColumn() {
        Rule rule = Rule.parse(HEADER + "SELECT group_key\nFROM logs WHERE WHERE", "sql/rules/broken.sql");
        assertThatThrownBy(() -> RuleCompiler.translate(tEnv, List.of(rule), logs, DAY))
                .isInstanceOf(RuleException.class)
                .hasMessageStartingWith("Rule 'broken' (sql/rules/broken.sql:7:17) does not compile: ")
                .hasMessageEndingWith("SQL parse failed. Incorrect syntax near the keyword 'WHERE' at line 7, column 17.");
    }

    @Test
    void aRuleThatDoesNotValidateNamesFileLineAndColumn() {
        Rule rule = Rule.parse(HEADER + "SELECT service AS group_key\nFROM logz", "sql/rules/broken.sql");
        assertThatThrownBy(() -> RuleCompiler.translate(tEnv, List.of(rule), logs, DAY))
                .isInstanceOf(RuleException.class)
                .hasMessageStartingWith("Rule 'broken' (sql/rules/broken.sql:7:6) does not compile: ")
                .hasMessageContaining("Object 'logz' not found");
    }

    @Test
    void aRuleMustReturnTheAlertColumns() {
        Rule rule = Rule.parse(HEADER + "SELECT service AS group_key, event_time AS window_start FROM logs", "sql/rules/broken.sql");
        assertThatThrownBy(() -> RuleCompiler.translate(tEnv, List.of(rule), logs, DAY))
                .isInstanceOf(RuleException.class)
                .hasMessage("Rule 'broken' (sql/rules/broken.sql) does not return the columns "
                        + "[window_end, event_count, summary, details]; every rule returns "
                        + "[group_key, window_start, window_end, event_count, summary, details]");
    }
}
