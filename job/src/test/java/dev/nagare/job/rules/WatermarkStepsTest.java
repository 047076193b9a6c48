package dev.nagare.job.rules;

import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link WatermarkSteps}: rows at once, watermarks in whole steps. */
class WatermarkStepsTest {
    private static final long STEP = 10_000;

    @Test
    void rowsPassAtOnceAndWatermarksInWholeSteps() throws Exception {
        try (OneInputStreamOperatorTestHarness<RowData, RowData> harness =
                     new OneInputStreamOperatorTestHarness<>(new WatermarkSteps(STEP))) {
            harness.open();
            harness.processElement(new StreamRecord<>(GenericRowData.of(1L), 12_345));
            harness.processWatermark(new Watermark(-1));
            harness.processWatermark(new Watermark(0));
            harness.processWatermark(new Watermark(9_999));
            harness.processElement(new StreamRecord<>(GenericRowData.of(2L), 31_000));
            harness.processWatermark(new Watermark(10_000));
            harness.processWatermark(new Watermark(29_999));
            harness.processWatermark(new Watermark(25_000));
            harness.processWatermark(new Watermark(Long.MAX_VALUE));

            List<String> out = new ArrayList<>();
            for (Object o : harness.getOutput()) {
                out.add(o instanceof Watermark ? "wm " + ((Watermark) o).getTimestamp()
                        : "row " + ((StreamRecord<?>) o).getTimestamp());
            }
            // -1 falls to -10 s; 9,999 is still step 0, so nothing new; a watermark going back sends nothing.
            assertThat(out).containsExactly("row 12345", "wm -10000", "wm 0", "row 31000", "wm 10000", "wm 20000",
                    "wm " + Long.MAX_VALUE);
        }
    }

    /** Going idle passes the watermark as it came, so rows past the last step are not held while no data comes. */
    @Test
    void anIdleInputPassesItsWholeWatermark() throws Exception {
        try (OneInputStreamOperatorTestHarness<RowData, RowData> harness =
                     new OneInputStreamOperatorTestHarness<>(new WatermarkSteps(STEP))) {
            harness.open();
            harness.processWatermark(new Watermark(12_345));
            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.processWatermarkStatus(WatermarkStatus.ACTIVE);
            harness.processWatermark(new Watermark(15_000));
            harness.processWatermark(new Watermark(20_001));
            harness.processWatermarkStatus(WatermarkStatus.IDLE);

            List<String> out = new ArrayList<>();
            for (Object o : harness.getOutput()) {
                out.add(o instanceof Watermark ? "wm " + ((Watermark) o).getTimestamp() : String.valueOf(o));
            }
            // After going active, 15,000 steps down to 10,000, below what was sent: nothing until 20,000.
            assertThat(out).containsExactly("wm 10000", "wm 12345", "WatermarkStatus(IDLE)", "WatermarkStatus(ACTIVE)",
                    "wm 20000", "wm 20001", "WatermarkStatus(IDLE)");
        }
    }

    @Test
    void stepsAtTheEdgesOfTime() {
        assertThat(WatermarkSteps.step(Long.MIN_VALUE, STEP)).isEqualTo(Long.MIN_VALUE);
        assertThat(WatermarkSteps.step(Long.MIN_VALUE + 1, STEP)).isEqualTo(Long.MIN_VALUE);
        assertThat(WatermarkSteps.step(Long.MAX_VALUE, STEP)).isEqualTo(Long.MAX_VALUE);
        assertThat(WatermarkSteps.step(Long.MAX_VALUE - 1, STEP)).isEqualTo(Long.MAX_VALUE - 1 - (Long.MAX_VALUE - 1) % STEP);
        assertThat(WatermarkSteps.step(1_717_200_012_345L, STEP)).isEqualTo(1_717_200_010_000L);
        assertThat(WatermarkSteps.step(-10_001, STEP)).isEqualTo(-20_000);
        assertThat(WatermarkSteps.step(7, 1)).isEqualTo(7);
        assertThatThrownBy(() -> new WatermarkSteps(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
