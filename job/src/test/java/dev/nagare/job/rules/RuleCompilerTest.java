package dev.nagare.job.rules;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.decode.DecodeFunction;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.types.DataType;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Plans rules against the real {@code logs} schema (planning only, nothing runs). */
class RuleCompilerTest {
    private static final String HEADER = "-- id: broken\n-- title: Broken\n-- severity: low\n"
            + "-- description: d\n-- runbook: r\n";

    private StreamTableEnvironment tEnv;

    @BeforeEach
    void logsView() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        tEnv = StreamTableEnvironment.create(env);
        NormalizedEvent e = new NormalizedEvent();
        NagarePipeline.registerSqlEnvironment(tEnv, env.fromData(DecodeFunction.LOG_ROW_TYPE, Schemas.logRow(e)));
    }

    @Test
    void theBundledRulesCompileToAlerts() {
        List<Rule> rules = RuleLoader.load(NagareConfig.defaults());
        assertThat(rules).extracting(Rule::id).contains("app_error_rate", "db_privilege_change");
        Table alerts = RuleCompiler.compile(tEnv, rules);
        // Same columns and types as the alerts table; nullability aside (literals are NOT NULL).
        assertThat(alerts.getResolvedSchema().getColumnNames()).isEqualTo(DataType.getFieldNames(Schemas.ALERTS));
        assertThat(alerts.getResolvedSchema().getColumnDataTypes())
                .extracting(t -> t.getLogicalType().copy(true))
                .isEqualTo(DataType.getFieldDataTypes(Schemas.ALERTS).stream().map(t -> t.getLogicalType().copy(true)).collect(Collectors.toList()));
    }

    @Test
    void aRuleThatDoesNotParseNamesFileLineAndColumn() {
        Rule rule = Rule.parse(HEADER + "SELECT group_key\nFROM logs WHERE WHERE", "sql/rules/broken.sql");
        assertThatThrownBy(() -> RuleCompiler.compile(tEnv, List.of(rule)))
                .isInstanceOf(RuleException.class)
                .hasMessageStartingWith("Rule 'broken' (sql/rules/broken.sql:7:17) does not compile: ")
                .hasMessageEndingWith("SQL parse failed. Incorrect syntax near the keyword 'WHERE' at line 7, column 17.");
    }

    @Test
    void aRuleThatDoesNotValidateNamesFileLineAndColumn() {
        Rule rule = Rule.parse(HEADER + "SELECT service AS group_key\nFROM logz", "sql/rules/broken.sql");
        assertThatThrownBy(() -> RuleCompiler.compile(tEnv, List.of(rule)))
                .isInstanceOf(RuleException.class)
                .hasMessageStartingWith("Rule 'broken' (sql/rules/broken.sql:7:6) does not compile: ")
                .hasMessageContaining("Object 'logz' not found");
    }

    @Test
    void aRuleMustReturnTheAlertColumns() {
        Rule rule = Rule.parse(HEADER + "SELECT service AS group_key, event_time AS window_start FROM logs", "sql/rules/broken.sql");
        assertThatThrownBy(() -> RuleCompiler.compile(tEnv, List.of(rule)))
                .isInstanceOf(RuleException.class)
                .hasMessage("Rule 'broken' (sql/rules/broken.sql) does not return the columns "
                        + "[window_end, event_count, summary, details]; every rule returns "
                        + "[group_key, window_start, window_end, event_count, summary, details]");
    }
}
