package dev.nagare.job.decode;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class LateEventsTest {
    static final long T1000 = Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();
    static final long T1001 = T1000 + 60_000;

    @Test
    void anEventIsLateOnceTheWatermarkHasFiredItsMinute() {
        // Flink fires the window [10:00, 10:01) when the watermark reaches 10:00:59.999.
        assertThat(LateEvents.isLate(T1000 + 30_000, T1001 - 2)).isFalse();
        assertThat(LateEvents.isLate(T1000 + 30_000, T1001 - 1)).isTrue();
        // Behind the watermark but in a minute that is still open: the rollup still counts it.
        assertThat(LateEvents.isLate(T1001 + 1, T1001 + 30_000)).isFalse();
        assertThat(LateEvents.isLate(T1000, Long.MIN_VALUE)).isFalse();
    }

    @Test
    void minutesBeforeTheEpochAreFloored() {
        assertThat(LateEvents.isLate(-1, -2)).isFalse();
        assertThat(LateEvents.isLate(-1, -1)).isTrue();
    }
}
