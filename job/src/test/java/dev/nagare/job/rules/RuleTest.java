package dev.nagare.job.rules;

import dev.nagare.job.config.NagareConfig;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RuleTest {
    private static final String HEADER = "-- id: demo_rule\n-- title: A demo\n-- severity: low\n"
            + "-- description: Finds things.\n-- runbook: docs/RULES.md#demo_rule\n";

    @Test
    void readsMetadataAndFillsParameters() {
        Rule rule = Rule.parse(HEADER + "-- tags: T1078, T1110\n-- dedup: 30m\n-- param.min: 5\n"
                + "-- a plain comment\n"
                + "SELECT 1 WHERE x >= ${min}", "test:demo_rule.sql");
        assertThat(rule.id()).isEqualTo("demo_rule");
        assertThat(rule.severity()).isEqualTo("low");
        assertThat(rule.tags()).containsExactly("T1078", "T1110");
        assertThat(rule.dedupPeriod()).isEqualTo(java.time.Duration.ofMinutes(30));
        assertThat(rule.enabled()).isTrue();
        assertThat(rule.params()).containsEntry("min", "5");
        assertThat(rule.sql()).endsWith("SELECT 1 WHERE x >= 5");
        // The header stays in the SQL, so the planner's line numbers are the file's.
        assertThat(rule.sql()).startsWith("-- id: demo_rule\n");
    }

    @Test
    void indentedCommentLinesContinueAValue() {
        Rule rule = Rule.parse(HEADER.replace("-- description: Finds things.\n", "-- description: Finds things\n--   over two lines.\n")
                + "--\n--   not a continuation after a blank comment\nSELECT 1", "t.sql");
        assertThat(rule.description()).isEqualTo("Finds things over two lines.");
    }

    @Test
    void disabledIdsAreSeparatedBySemicolonsAndACommaListIsExplained() {
        assertThat(RuleLoader.load(NagareConfig.defaults().with("rules.disabled", "app_error_rate;db_bulk_read")))
                .extracting(Rule::id).doesNotContain("app_error_rate", "db_bulk_read").contains("app_error_spike");
        assertThatThrownBy(() -> RuleLoader.load(NagareConfig.defaults().with("rules.disabled", "app_error_rate,db_bulk_read")))
                .isInstanceOf(RuleException.class)
                .hasMessageStartingWith("rules.disabled names unknown rule ids [app_error_rate,db_bulk_read]"
                        + " (separate ids with ';', not ','); known: [app_error_rate, ");
        assertThatThrownBy(() -> RuleLoader.load(NagareConfig.defaults().with("rules.disabled", "no_such_rule")))
                .hasMessageStartingWith("rules.disabled names unknown rule ids [no_such_rule]; known: ");
    }

    @Test
    void disabledRule() {
        assertThat(Rule.parse(HEADER + "-- enabled: false\nSELECT 1", "t").enabled()).isFalse();
    }

    @Test
    void rejectsIncompleteOrWrongMetadata() {
        assertThatThrownBy(() -> Rule.parse("-- id: x\n-- title: t\n-- severity: low\n-- runbook: r\nSELECT 1", "t.sql"))
                .isInstanceOf(RuleException.class)
                .hasMessage("t.sql: rule metadata 'description' is missing");
        assertThatThrownBy(() -> Rule.parse(HEADER.replace("severity: low", "severity: urgent") + "SELECT 1", "t.sql"))
                .hasMessage("t.sql: rule 'demo_rule' has severity 'urgent'; allowed: info, low, medium, high, critical");
        assertThatThrownBy(() -> Rule.parse(HEADER + "-- severty: low\nSELECT 1", "t.sql"))
                .hasMessage("t.sql:6: unknown rule metadata 'severty'; known: dedup, description, enabled, id, runbook, "
                        + "severity, state-ttl, tags, title, param.<name>");
        assertThatThrownBy(() -> Rule.parse(HEADER + "SELECT ${limit}", "t.sql"))
                .hasMessage("t.sql: rule 'demo_rule' uses ${limit} but has no 'param.limit' in its header");
        assertThatThrownBy(() -> Rule.parse(HEADER.replace("id: demo_rule", "id: Demo-Rule") + "SELECT 1", "t.sql"))
                .hasMessage("t.sql: rule id 'Demo-Rule' must be lower-case letters, digits and '_'");
    }

    @Test
    void rejectsDedupPeriodsThatWouldFailAtRunTime() {
        // A zero period divides by zero in the incident dedup; a sub-second one would page on every match.
        for (String dedup : new String[] {"0s", "0", "500ms", "1500ms", "31d", "soon"}) {
            assertThatThrownBy(() -> Rule.parse(HEADER + "-- dedup: " + dedup + "\nSELECT 1", "t.sql"))
                    .as(dedup)
                    .hasMessage("t.sql: rule 'demo_rule' has dedup '" + dedup
                            + "'; allowed: a whole number of seconds from 1s to 30d, such as 15m, 1h or 1d");
        }
        assertThat(Rule.parse(HEADER + "-- dedup: 1s\nSELECT 1", "t.sql").dedupPeriod()).hasSeconds(1);
    }

    @Test
    void stateTtlFromTheHeaderOrTheDefault() {
        String sql = "SELECT COUNT(*) OVER (PARTITION BY service ORDER BY event_time\n"
                + "  RANGE BETWEEN INTERVAL '${minutes}' MINUTE PRECEDING AND CURRENT ROW) -- not INTERVAL '9' DAY\nFROM logs";
        Rule own = Rule.parse(HEADER + "-- state-ttl: 2h\n-- param.minutes: 30\n" + sql, "t.sql");
        assertThat(own.stateTtl()).contains(java.time.Duration.ofHours(2));
        assertThat(own.stateTtl(java.time.Duration.ofDays(1))).isEqualTo(java.time.Duration.ofHours(2));
        Rule none = Rule.parse(HEADER + "-- param.minutes: 30\n" + sql, "t.sql");
        assertThat(none.stateTtl()).isEmpty();
        assertThat(none.stateTtl(java.time.Duration.ofHours(1))).isEqualTo(java.time.Duration.ofHours(1));
        // The default must outlive the rule's windows too; a comment's interval does not count.
        assertThatThrownBy(() -> none.stateTtl(java.time.Duration.ofMinutes(30)))
                .isInstanceOf(RuleException.class)
                .hasMessage("t.sql: rule 'demo_rule' spans 30 min (its longest interval) but has no state-ttl and the default "
                        + "rules.default-state-ttl is 30 min; add a '-- state-ttl:' header longer than 30 min");
    }

    @Test
    void rejectsStateTtlsOutOfBoundsOrShorterThanTheRulesWindows() {
        for (String ttl : new String[] {"0s", "30s", "1500ms", "366d", "soon", ""}) {
            assertThatThrownBy(() -> Rule.parse(HEADER + "-- state-ttl: " + ttl + "\nSELECT 1", "t.sql"))
                    .as(ttl)
                    .isInstanceOf(RuleException.class)
                    .hasMessage("t.sql: rule 'demo_rule' has state-ttl '" + ttl
                            + "'; allowed: a whole number of seconds from 1m to 365d, such as 2h or 8d");
        }
        assertThatThrownBy(() -> Rule.parse(HEADER + "-- state-ttl: 7d\nSELECT 1 FROM logs WHERE event_time > "
                + "CURRENT_TIMESTAMP - INTERVAL '7' DAY", "t.sql"))
                .hasMessage("t.sql: rule 'demo_rule' has state-ttl '7d', not longer than its longest interval (7 d): "
                        + "its state would expire while the rule still needs it");
        assertThat(Rule.parse(HEADER + "-- state-ttl: 1m\nSELECT 1", "t.sql").stateTtl()).contains(java.time.Duration.ofMinutes(1));
    }

    @Test
    void everyBundledRuleOutlivesItsWindowsWithTheDefault() {
        java.time.Duration defaultTtl = dev.nagare.job.config.NagareConfig.defaults()
                .get(dev.nagare.job.config.NagareOptions.RULES_DEFAULT_STATE_TTL);
        for (Rule rule : RuleLoader.bundled()) {
            assertThat(rule.stateTtl(defaultTtl)).as(rule.id()).isGreaterThan(Rule.longestInterval(rule.sql()));
        }
        Rule unusual = RuleLoader.bundled().stream().filter(r -> r.id().equals("db_unusual_client")).findFirst().orElseThrow();
        assertThat(Rule.longestInterval(unusual.sql())).isEqualTo(java.time.Duration.ofDays(7));
        assertThat(unusual.stateTtl()).contains(java.time.Duration.ofDays(8));
    }
}
