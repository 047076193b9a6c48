package dev.nagare.job.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NagareConfigTest {

    private static Map<String, Properties> group(String group, String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return Map.of(group, p);
    }

    @Test
    void defaultsWhenNothingIsSet() {
        NagareConfig config = NagareConfig.fromGroups(Map.of());
        assertThat(config.get(NagareOptions.SOURCE_TYPE)).isEqualTo(SourceType.DEMO);
        assertThat(config.get(NagareOptions.DEMO_RATE)).isEqualTo(20);
        assertThat(config.get(NagareOptions.LAKE_PATH)).isEqualTo("./data/lake");
        assertThat(config.get(NagareOptions.WATERMARK_DELAY)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void readsTypedValues() {
        NagareConfig config = NagareConfig.fromGroups(group("job", "watermark.out-of-orderness", "2 min", "checkpoint.interval", "10s"));
        assertThat(config.get(NagareOptions.WATERMARK_DELAY)).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.get(NagareOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofSeconds(10));
        assertThat(NagareConfig.fromGroups(group("source", "type", "Demo")).get(NagareOptions.SOURCE_TYPE)).isEqualTo(SourceType.DEMO);
        assertThat(NagareConfig.fromGroups(group("rules", "disabled", "a;b")).get(NagareOptions.RULES_DISABLED)).containsExactly("a", "b");
    }

    @Test
    void unknownSourceType() {
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("source", "type", "kafka")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration value 'kafka' for key 'type' in group 'source': must be one of: demo, kinesis, replay");
    }

    @Test
    void negativeRate() {
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("source", "demo.rate", "-5")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration value '-5' for key 'demo.rate' in group 'source': must be an integer from 1 to 1000");
    }

    @Test
    void valueOfTheWrongType() {
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("source", "demo.rate", "fast")))
                .hasMessage("Invalid configuration value 'fast' for key 'demo.rate' in group 'source': must be an integer");
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("job", "checkpoint.interval", "often")))
                .hasMessage("Invalid configuration value 'often' for key 'checkpoint.interval' in group 'job': "
                        + "must be a duration such as 30 s or 5 min");
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("job", "checkpoint.interval", "10 ms")))
                .hasMessage("Invalid configuration value '10 ms' for key 'checkpoint.interval' in group 'job': "
                        + "must be a duration of at least 1 s");
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("alerts", "print", "yes please")))
                .hasMessage("Invalid configuration value 'yes please' for key 'print' in group 'alerts': must be true or false");
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("source", "demo.start", "yesterday")))
                .hasMessage("Invalid configuration value 'yesterday' for key 'demo.start' in group 'source': "
                        + "must be 'now' or an ISO-8601 instant such as 2024-06-01T00:00:00Z");
    }

    @Test
    void ruleWatermarkStepIsOffOrWithinRange() {
        assertThat(NagareConfig.fromGroups(group("rules", "sequence-watermark-step", "0")).get(NagareOptions.RULES_WATERMARK_STEP))
                .isZero();
        assertThat(NagareConfig.fromGroups(group("rules", "sequence-watermark-step", "100 ms")).get(NagareOptions.RULES_WATERMARK_STEP))
                .isEqualTo(Duration.ofMillis(100));
        assertThat(NagareConfig.defaults().get(NagareOptions.RULES_WATERMARK_STEP)).isEqualTo(Duration.ofSeconds(10));
        for (String value : List.of("99 ms", "61 min")) {
            assertThatThrownBy(() -> NagareConfig.fromGroups(group("rules", "sequence-watermark-step", value)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("Invalid configuration value '" + value + "' for key 'sequence-watermark-step' in group 'rules': "
                            + "must be 0 (off) or a duration from 100 ms to 1 h such as 10 s");
        }
    }

    @Test
    void routesAreCheckedAndComeFirst() {
        NagareConfig config = NagareConfig.fromGroups(group("parse", "routes", "mysql_audit:/custom/db-audit/.*; app:/k8s/.+"));
        assertThat(config.routes()).extracting(Object::toString)
                .containsExactly("/custom/db-audit/.* -> mysql_audit", "/k8s/.+ -> app");
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("parse", "routes", "mysql:/custom/.*")))
                .hasMessage("Invalid configuration value 'mysql:/custom/.*' for key 'routes' in group 'parse': must be "
                        + "'<log_type>:<log group regex>' entries separated by ';' with log_type one of "
                        + "mysql_audit, postgres_audit, cloudtrail, lambda, app, text");
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("parse", "routes", "app:/ecs/(unclosed")))
                .hasMessageStartingWith("Invalid configuration value 'app:/ecs/(unclosed' for key 'routes' in group 'parse': must be");
    }

    @Test
    void unknownKeyNamesTheKnownOnes() {
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("lake", "pth", "/tmp/lake")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration: unknown key 'pth' in group 'lake'; known keys: "
                        + "path, compression, rolling.file-size, compaction, commit-log.retention");
    }

    @Test
    void unknownGroupNamesTheKnownOnes() {
        assertThatThrownBy(() -> NagareConfig.fromGroups(group("sources", "type", "demo")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration: unknown property group 'sources'; known groups: "
                        + "source, lake, parse, redact, rules, alerts, job, local");
    }

    @Test
    void redactionRulesAreValidated() {
        assertThat(NagareConfig.defaults().with("redact.secret-keys", "pin;x-vault-token").redactor().mask("pin=1234 password=x"))
                .isEqualTo("pin=***** password=x");
        assertThat(NagareConfig.defaults().with("redact.extra-patterns", "ticket-([0-9]{4}+)").redactor().mask("ticket-9876"))
                .isEqualTo("ticket-*****");
        assertThatThrownBy(() -> NagareConfig.defaults().with("redact.extra-patterns", "([a-z]"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("must be Java regexes");
        assertThatThrownBy(() -> NagareConfig.defaults().with("redact.extra-patterns", "x*"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at least one character");
        assertThatThrownBy(() -> NagareConfig.defaults().with("redact.secret-keys", "pass word"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("key words");
    }

    @Test
    void withValidatesToo() {
        assertThatThrownBy(() -> NagareConfig.defaults().with("lake.compression", "lz4"))
                .hasMessage("Invalid configuration value 'lz4' for key 'compression' in group 'lake': "
                        + "must be one of: snappy, zstd, gzip, uncompressed");
    }
}
