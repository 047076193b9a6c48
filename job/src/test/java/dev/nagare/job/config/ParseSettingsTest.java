package dev.nagare.job.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parse and redact settings: read from the configuration, checked where they are defined. */
class ParseSettingsTest {

    @Test
    void defaultsAreTheOptionsDefaults() {
        ParseSettings settings = ParseSettings.of(NagareConfig.defaults());
        assertThat(settings.routes).isEmpty();
        assertThat(settings.maxLineChars).isEqualTo(NagareOptions.MAX_LINE_CHARS.defaultValue());
        assertThat(settings.maxFuture).isEqualTo(NagareOptions.MAX_FUTURE.defaultValue());
        assertThat(settings.maxRecordBytes).isEqualTo(NagareOptions.MAX_RECORD_BYTES.defaultValue().getBytes());
        assertThat(settings.dedupTtl).isEqualTo(NagareOptions.DEDUP_TTL.defaultValue());
        assertThat(settings.secretKeys).isEqualTo(NagareOptions.REDACT_SECRET_KEYS.defaultValue());
        assertThat(settings.extraPatterns).isEmpty();
    }

    @Test
    void configuredValuesReachTheParser() {
        NagareConfig config = NagareConfig.defaults()
                .with("parse.max-line-chars", "20000")
                .with("parse.dedup.ttl", "0 s")
                .with("parse.routes", "mysql_audit:/custom/db/.*")
                .with("redact.extra-patterns", "ORD-[0-9]++");
        ParseSettings settings = ParseSettings.of(config);
        assertThat(settings.parser().maxLineChars()).isEqualTo(20000);
        assertThat(settings.dedupTtl).isEqualTo(Duration.ZERO);
        assertThat(settings.routes).extracting(Object::toString).containsExactly("/custom/db/.* -> mysql_audit");
        assertThat(settings.redactor().mask("order ORD-12345 shipped")).doesNotContain("ORD-12345");
    }

    @Test
    void theChecksBesideTheSettingsStillStopABadValue() {
        assertThatThrownBy(() -> NagareConfig.defaults().with("parse.max-line-chars", "100"))
                .hasMessage("Invalid configuration value '100' for key 'max-line-chars' in group 'parse': must be an integer >= 16384");
        assertThatThrownBy(() -> NagareConfig.defaults().with("parse.dedup.ttl", "500 ms"))
                .hasMessage("Invalid configuration value '500 ms' for key 'dedup.ttl' in group 'parse': "
                        + "must be 0 s (off) or a duration of at least 1 s such as 1 h");
        assertThatThrownBy(() -> NagareConfig.defaults().with("parse.dedup.ttl", "999 ms")).hasMessageContaining("at least 1 s");
        assertThat(ParseSettings.of(NagareConfig.defaults().with("parse.dedup.ttl", "1 s")).dedupTtl).isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> NagareConfig.defaults().with("parse.dedup.filter-memory", "64"))
                .hasMessage("Invalid configuration value '64' for key 'dedup.filter-memory' in group 'parse': "
                        + "must be 0 (off) or a size from 1 mb to 1 gb such as 64 mb");
        assertThatThrownBy(() -> NagareConfig.defaults().with("parse.dedup.filter-memory", "64 gb")).hasMessageContaining("1 mb to 1 gb");
        assertThat(ParseSettings.of(NagareConfig.defaults().with("parse.dedup.filter-memory", "0")).dedupFilterBytes).isZero();
        assertThat(ParseSettings.of(NagareConfig.defaults()).dedupFilterBytes).isEqualTo(64L << 20);
        assertThatThrownBy(() -> NagareConfig.defaults().with("redact.extra-patterns", "x*"))
                .hasMessage("Invalid configuration value 'x*' for key 'extra-patterns' in group 'redact': "
                        + "must be Java regexes separated by ';', each matching at least one character");
    }
}
