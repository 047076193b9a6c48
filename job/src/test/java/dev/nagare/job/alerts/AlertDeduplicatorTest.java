package dev.nagare.job.alerts;

import dev.nagare.job.schema.Schemas;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.types.RowUtils;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AlertDeduplicator} in Flink's keyed operator harness: one alert per incident, the merged
 * alert when the dedup period ends, and no state or timer left behind once it has.
 */
class AlertDeduplicatorTest {
    static final LocalDateTime T0 = LocalDateTime.of(2024, 6, 1, 10, 0);
    static final String RULE = "db_failed_login_burst";
    static final Duration DEDUP = Duration.ofMinutes(15);

    private final List<KeyedOneInputStreamOperatorTestHarness<String, Row, Row>> harnesses = new ArrayList<>();

    @AfterEach
    void closeHarnesses() throws Exception {
        for (KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness : harnesses) {
            harness.close();
        }
    }

    /**
     * A rule match for {@code group} in {@code account} whose window ended at {@code end}, as the job
     * carries it: positional fields with names.
     */
    static Row match(String account, String group, LocalDateTime end, long count) {
        List<String> names = DataType.getFieldNames(Schemas.ALERTS);
        LinkedHashMap<String, Integer> positions = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            positions.put(names.get(i), i);
        }
        Row row = RowUtils.createRowWithNamedPositions(RowKind.INSERT, new Object[names.size()], positions);
        row.setField("rule_id", RULE);
        row.setField("severity", "medium");
        row.setField("title", "Failed logins");
        row.setField("account", account);
        row.setField("group_key", group);
        row.setField("window_start", end.minusMinutes(5));
        row.setField("window_end", end);
        row.setField("event_count", count);
        row.setField("summary", count + " failed logins from " + group);
        row.setField("detected_at", end);
        return row;
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness(OperatorSubtaskState restore) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AlertDeduplicator(Map.of(RULE, DEDUP))), AlertDeduplicator::key, Types.STRING);
        harnesses.add(harness);
        // As in the job: a state type that would fall back to Kryo fails here, not in a checkpoint.
        harness.getExecutionConfig().disableGenericTypes();
        harness.setup(AlertDeduplicator.ALERT_TYPE.createSerializer(harness.getExecutionConfig().getSerializerConfig()));
        if (restore != null) {
            harness.initializeState(restore);
        }
        harness.open();
        return harness;
    }

    private static void send(KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness, Row match) throws Exception {
        harness.processElement(match, millis((LocalDateTime) match.getField("window_end")));
    }

    private static List<Row> merged(KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness) {
        return harness.getSideOutput(AlertDeduplicator.MERGED) == null ? List.of()
                : harness.getSideOutput(AlertDeduplicator.MERGED).stream().map(StreamRecord::getValue).collect(Collectors.toList());
    }

    private static long millis(LocalDateTime time) {
        return time.toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    @Test
    void laterMatchesOfAnIncidentMergeAndLeaveWhenThePeriodEnds() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness = harness(null);
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(2), 10));
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(7), 3));
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(9), 2));

        List<Row> alerts = harness.extractOutputValues();
        assertThat(alerts).hasSize(1); // the first match pages, the others merge into it
        String alertId = (String) alerts.get(0).getField("alert_id");
        assertThat(alertId).isNotNull();
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(4);
        assertThat(merged(harness)).isEmpty();

        harness.processWatermark(millis(T0.plus(DEDUP)) - 1);
        assertThat(merged(harness)).isEmpty(); // the period [10:00, 10:15) is still open

        harness.processWatermark(millis(T0.plus(DEDUP)));
        assertThat(merged(harness)).singleElement().satisfies(update -> {
            assertThat(update.getField("alert_id")).isEqualTo(alertId);
            assertThat(update.getField("event_count")).isEqualTo(15L);
            assertThat(update.getField("window_end")).isEqualTo(T0.plusMinutes(9));
            assertThat((String) update.getField("summary")).endsWith("(+2 merged matches until 2024-06-01T10:09)");
        });
        // Clearing at the period's end: the next match is a new incident, and idle groups cost nothing.
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void anIncidentWithoutLaterMatchesEndsSilently() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness = harness(null);
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(2), 10));
        harness.processWatermark(millis(T0.plus(DEDUP)));
        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(merged(harness)).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void accountsAndPeriodsAreSeparateIncidents() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness = harness(null);
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(2), 10));
        send(harness, match("444455556666", "10.0.0.7", T0.plusMinutes(3), 10));
        harness.processWatermark(millis(T0.plus(DEDUP)));
        send(harness, match("111122223333", "10.0.0.7", T0.plus(DEDUP).plusMinutes(1), 10));

        List<Object> ids = harness.extractOutputValues().stream().map(r -> r.getField("alert_id")).collect(Collectors.toList());
        assertThat(ids).hasSize(3).doesNotHaveDuplicates();
    }

    /** A match for the next period before the watermark closed the last one: the old incident closes first. */
    @Test
    void aMatchInTheNextPeriodClosesTheOldIncident() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness = harness(null);
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(2), 10));
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(4), 1));
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(20), 5));

        assertThat(harness.extractOutputValues()).hasSize(2);
        assertThat(merged(harness)).singleElement().satisfies(u -> assertThat(u.getField("event_count")).isEqualTo(11L));
        // The first period's timer still fires, and must leave the new incident alone.
        harness.processWatermark(millis(T0.plus(DEDUP)));
        assertThat(harness.numKeyedStateEntries()).isEqualTo(4);
        harness.processWatermark(millis(T0.plus(DEDUP.multipliedBy(2))));
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(merged(harness)).hasSize(1);
    }

    @Test
    void anOpenIncidentAndItsTimerSurviveASnapshotAndRestore() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, Row, Row> harness = harness(null);
        send(harness, match("111122223333", "10.0.0.7", T0.plusMinutes(2), 10));
        String alertId = (String) harness.extractOutputValues().get(0).getField("alert_id");
        OperatorSubtaskState snapshot = harness.snapshot(1, millis(T0.plusMinutes(2)));

        KeyedOneInputStreamOperatorTestHarness<String, Row, Row> restored = harness(snapshot);
        assertThat(restored.numEventTimeTimers()).isEqualTo(1);
        send(restored, match("111122223333", "10.0.0.7", T0.plusMinutes(8), 4));
        assertThat(restored.extractOutputValues()).isEmpty(); // merged into the incident from before the restore
        restored.processWatermark(millis(T0.plus(DEDUP)));
        assertThat(merged(restored)).singleElement().satisfies(u -> {
            assertThat(u.getField("alert_id")).isEqualTo(alertId);
            assertThat(u.getField("event_count")).isEqualTo(14L);
        });
        assertThat(restored.numKeyedStateEntries()).isZero();
        assertThat(restored.numEventTimeTimers()).isZero();
    }
}
