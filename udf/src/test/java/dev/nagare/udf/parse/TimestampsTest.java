package dev.nagare.udf.parse;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TimestampsTest {
    @Test
    void readsEveryIsoDialect() {
        assertThat(Timestamps.parseIso("2024-06-01T10:15:02.118Z")).isEqualTo(1717236902118L);
        assertThat(Timestamps.parseIso("2024-06-01 10:15:02,118")).isEqualTo(1717236902118L);
        assertThat(Timestamps.parseIso("2024-06-01T12:15:02.118+02:00")).isEqualTo(1717236902118L);
        assertThat(Timestamps.parseIso("2024-06-01T10:15:02.118123456")).isEqualTo(1717236902118L);
        assertThat(Timestamps.parseIso("not a time at all")).isNull();
    }

    @Test
    void aDateTooFarForEpochMillisecondsIsNoTime() {
        // Valid dates whose epoch milliseconds overflow a long: these threw ArithmeticException.
        assertThat(Timestamps.parseIso("+999999999-12-31T23:59:59Z")).isNull();
        assertThat(Timestamps.parseIso("-999999999-01-01T00:00:00Z")).isNull();
        assertThat(Timestamps.parseIso("999999999-12-31 23:59:59")).isNull();
        assertThat(Timestamps.parseIso("2024-06-01T10:15:02" + "1".repeat(4 * 1024 * 1024))).isNull();
    }

    @Test
    void epochNumbersOfAnyMagnitudeAreAnswered() {
        assertThat(Timestamps.fromEpochNumber(1717236902.118)).isEqualTo(1717236902118L);
        assertThat(Timestamps.fromEpochNumber(1717236902118204.0)).isEqualTo(1717236902118L);
        assertThat(Timestamps.fromEpochNumber(Double.MAX_VALUE)).isEqualTo(Long.MAX_VALUE); // saturates: the parser then distrusts it as future
        assertThat(Timestamps.fromEpochNumber(Double.NaN)).isZero();
        assertThat(Timestamps.fromEpochNumber(-1e300)).isEqualTo(Long.MIN_VALUE);
    }
}
