package dev.nagare.udf.parse;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

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

    /** The hand-written common path answers exactly what the general java.time path answers. */
    @Test
    void theCommonPathAgreesWithTheGeneralOneOnEveryText() {
        List<String> texts = new ArrayList<>(List.of(
                "2024-06-01T10:15:02Z", "2024-06-01 10:15:02", "2024-06-01T10:15:02.1", "2024-06-01T10:15:02,12",
                "2024-06-01T10:15:02.123456789Z", "2024-06-01T10:15:02.1234567891Z", "2024-06-01T10:15:02.Z",
                "2024-06-01T10:15:02.", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2023-02-29 00:00:00",
                "2024-06-31T00:00:00Z", "2024-06-31 00:00:00", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
                "2024-06-00T00:00:00Z", "2024-06-01T24:00:00Z", "2024-06-01T23:60:00Z", "2024-06-01T23:59:60Z",
                "0000-01-01T00:00:00Z", "0000-01-01 00:00:00", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z",
                "1900-01-01T00:00:00.5-05:30", "2024-06-01T10:15:02+18:00", "2024-06-01T10:15:02-18:00",
                "2024-06-01T10:15:02+17:59", "2024-06-01T10:15:02+24:00", "2024-06-01T10:15:02+01", "2024-06-01T10:15:02+0100",
                "2024-06-01T10:15:02+01:00:30", "2024-06-01T10:15:02z", "2024-06-01t10:15:02Z", "2024-06-01T10:15:02Zjunk",
                " 2024-06-01T10:15:02Z", "2024-06-01T10:15:02Z ", "2024-06-01T10:15:02 Z", "2024-06-01T1a:15:02Z",
                "２０２４-06-01T10:15:02Z", "2024-06-01T10:15:02.１Z", "2024/06/01 10:15:02", "2024-06-01T10:15"));
        Random random = new Random(11);
        String[] offsets = {"", "Z", "+00:00", "-00:00", "+05:30", "-08:00", "+14:00", "-12:00"};
        for (int k = 0; k < 50_000; k++) {
            long millis = random.nextLong() % (200L * 365 * 86_400_000) + 946_684_800_000L;
            String iso = java.time.Instant.ofEpochMilli(millis).toString(); // 2024-06-01T10:15:02.118Z or without a fraction
            String local = iso.substring(0, 19);
            StringBuilder text = new StringBuilder(local);
            if (random.nextBoolean()) {
                text.setCharAt(10, ' ');
            }
            int fraction = random.nextInt(11);
            if (fraction > 0) {
                text.append(random.nextBoolean() ? '.' : ',');
                for (int d = 1; d < fraction; d++) {
                    text.append((char) ('0' + random.nextInt(10)));
                }
            }
            text.append(offsets[random.nextInt(offsets.length)]);
            texts.add(text.toString());
        }
        for (String text : texts) {
            assertThat(Timestamps.parseIso(text)).as(text).isEqualTo(Timestamps.parseIsoGeneral(text));
        }
        // ... and the common shapes do take the common path.
        assertThat(Timestamps.commonIso("2024-06-01T10:15:02.118Z")).isEqualTo(1717236902118L);
        assertThat(Timestamps.commonIso("2024-06-01 10:15:02,118")).isEqualTo(1717236902118L);
        assertThat(Timestamps.commonIso("2024-06-01T12:15:02.118+02:00")).isEqualTo(1717236902118L);
        assertThat(Timestamps.commonIso("1969-12-31T23:59:59.999Z")).isEqualTo(-1L);
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
