package dev.nagare.udf.functions;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;
import org.apache.flink.types.Row;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * {@code SUCCESS_AFTER_FAILURES(failed, t, min_failures, within_seconds) OVER (PARTITION BY ...
 * ORDER BY event_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)}: on the row that completes
 * "at least {@code min_failures} failures in a row, then a success, the last {@code min_failures}
 * of them less than {@code within_seconds} before it", a row {@code (failures, first_failure,
 * success_time)}; null on every other row.
 *
 * <p>What {@code MATCH_RECOGNIZE (PATTERN (F{n,} S) WITHIN ...)} finds, at a constant cost per
 * event. Flink's pattern operator registers a timer for every distinct timestamp of a key and
 * lists all of the key's buffered rows on each one; on RocksDB each listing seeks through the
 * tombstones of every row it processed before, so its cost grew with the length of the run (a
 * third of the whole job's CPU at 1.2M records, docs/BENCHMARKS.md). An {@code OVER} window
 * sorts by time the same way but with one timer per key and watermark, and this accumulator is a
 * few numbers: the run's length, its first failure and its last {@code min_failures} failure
 * times (a ring), enough to decide the window exactly.
 *
 * <p>Rows of the partition are in time order; rows that share a timestamp come in arrival order,
 * where the pattern's {@code ORDER BY event_time, outcome} put failures first. So a failure with
 * the same time as the success just before it is counted as coming before that success: if it
 * completes the sequence, its row carries the result (with the success's time), and each further
 * such failure carries the grown count. A rule takes the largest count per success time.
 *
 * <p>{@code failures} and {@code first_failure} describe the whole run of failures before the
 * success, which may have started before the window: an attack's full length is what a responder
 * wants to see.
 */
@FunctionHint(output = @DataTypeHint("ROW<failures BIGINT, first_failure TIMESTAMP(3), success_time TIMESTAMP(3)>"))
public final class SuccessAfterFailuresFunction extends AggregateFunction<Row, SuccessAfterFailuresFunction.Run> {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "SUCCESS_AFTER_FAILURES";

    /** The current run of failures, and the run that the last success ended (for failures tied with it). */
    public static final class Run {
        /** Failures in the current run. */
        public long count;
        /** Time of the run's first failure (epoch ms, UTC). */
        public long first;
        /** The run's last failure times, a ring indexed by count modulo its length. */
        public long[] recent;

        /** True once a success was seen. */
        public boolean succeeded;
        /** Time of the last success. */
        public long successTime;
        /** The run that success ended, which failures sharing its timestamp still join. */
        public long endedCount;
        public long endedFirst;
        public long[] endedRecent;
        /** True when the ended run completed a sequence. */
        public boolean endedFired;

        /** The current row's result (kept as numbers: the accumulator is state), when {@code completed}. */
        public boolean completed;
        public long resultFailures;
        public long resultFirst;
        public long resultSuccess;
    }

    @Override
    public Run createAccumulator() {
        return new Run();
    }

    public void accumulate(Run acc, Boolean failed, LocalDateTime time, Integer minFailures, Integer withinSeconds) {
        acc.completed = false;
        if (failed == null || time == null || minFailures == null || withinSeconds == null || minFailures < 1) {
            return;
        }
        long t = time.toInstant(ZoneOffset.UTC).toEpochMilli();
        long within = withinSeconds * 1000L;
        if (failed) {
            if (acc.succeeded && t == acc.successTime) {
                // Tied with the success just before: ordered first, it belongs to the run that success ended.
                acc.endedRecent = add(acc.endedRecent, acc.endedCount, t, minFailures);
                if (acc.endedCount++ == 0) {
                    acc.endedFirst = t;
                }
                if (acc.endedFired || completes(acc.endedCount, acc.endedRecent, acc.successTime, minFailures, within)) {
                    acc.endedFired = true;
                    complete(acc, acc.endedCount, acc.endedFirst, acc.successTime);
                }
                return;
            }
            acc.recent = add(acc.recent, acc.count, t, minFailures);
            if (acc.count++ == 0) {
                acc.first = t;
            }
            return;
        }
        if (acc.succeeded && t == acc.successTime) {
            // A second success at the same time: the first one ended the run (and took its ties).
            return;
        }
        acc.endedFired = completes(acc.count, acc.recent, t, minFailures, within);
        if (acc.endedFired) {
            complete(acc, acc.count, acc.first, t);
        }
        acc.endedCount = acc.count;
        acc.endedFirst = acc.first;
        // The ring arrays swap: the ended run's keeps its times, the new run reuses the old one.
        long[] spare = acc.endedRecent;
        acc.endedRecent = acc.recent;
        acc.recent = spare;
        acc.count = 0;
        acc.succeeded = true;
        acc.successTime = t;
    }

    @Override
    public Row getValue(Run acc) {
        return acc.completed ? Row.of(acc.resultFailures, utc(acc.resultFirst), utc(acc.resultSuccess)) : null;
    }

    /** The ring with {@code t} added as failure number {@code count} (from 0). */
    private static long[] add(long[] ring, long count, long t, int size) {
        if (ring == null || ring.length != size) {
            // Parameters are literals in a rule: another size comes only with another plan and empty state.
            ring = new long[size];
        }
        ring[(int) (count % size)] = t;
        return ring;
    }

    /**
     * At least {@code min} failures, and the {@code min}-th last of them less than {@code within}
     * before the success (the pattern's {@code WITHIN}: a match times out at exactly the window).
     */
    private static boolean completes(long count, long[] ring, long success, int min, long within) {
        if (count < min || ring == null || ring.length != min) {
            return false;
        }
        long oldestOfLast = ring[(int) (count % min)];
        return success - oldestOfLast < within;
    }

    private static void complete(Run acc, long failures, long first, long success) {
        acc.completed = true;
        acc.resultFailures = failures;
        acc.resultFirst = first;
        acc.resultSuccess = success;
    }

    private static LocalDateTime utc(long millis) {
        return LocalDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }
}
