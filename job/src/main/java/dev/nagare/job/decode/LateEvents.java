package dev.nagare.job.decode;

import dev.nagare.job.metrics.JobMetrics;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.RowData;

/**
 * Counts late events: those whose one-minute event-time window the watermark has already closed
 * when they arrive, which is exactly what the {@code metrics_1m} rollup's windows drop (Flink
 * fires a window once the watermark reaches its end minus one millisecond). A late event is still
 * written to the lake, in the partition of its own event time; windowed rules with longer windows
 * drop at most these, OVER and MATCH_RECOGNIZE rules drop events behind the watermark (for the
 * rules fed watermark steps, behind the last step: fewer), so this
 * count tells an operator whether {@code job.watermark.out-of-orderness} is too tight.
 *
 * <p>Metrics: {@code nagareLateEvents}, in total and per {@code log_type} ({@link JobMetrics}); the job
 * result carries the total as the {@code nagare.lateEvents} accumulator.
 */
final class LateEvents {
    static final long WINDOW_MILLIS = 60_000;

    private final Counter late;
    private final LogTypeMetrics lateByType;
    private final Tally tally;

    LateEvents(MetricGroup nagare, Tally tally) {
        this.late = nagare.counter(JobMetrics.LATE_EVENTS);
        this.lateByType = new LogTypeMetrics(nagare, JobMetrics.LATE_EVENTS);
        this.tally = tally;
    }

    void count(RowData row, long watermark) {
        long time = row.getTimestamp(Schemas.LOGS_EVENT_TIME, 3).getMillisecond();
        if (isLate(time, watermark)) {
            late.inc();
            lateByType.inc(row.isNullAt(Schemas.LOGS_LOG_TYPE) ? null : row.getString(Schemas.LOGS_LOG_TYPE).toString());
            tally.inc("lateEvents");
        }
    }

    /** Whether the one-minute window of an event at {@code timeMillis} has fired at this watermark. */
    static boolean isLate(long timeMillis, long watermark) {
        long windowEnd = Math.floorDiv(timeMillis, WINDOW_MILLIS) * WINDOW_MILLIS + WINDOW_MILLIS;
        return watermark >= windowEnd - 1;
    }
}
