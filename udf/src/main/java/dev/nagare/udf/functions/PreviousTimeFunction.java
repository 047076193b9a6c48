package dev.nagare.udf.functions;

import org.apache.flink.table.functions.AggregateFunction;

import java.time.LocalDateTime;

/**
 * {@code PREVIOUS_TIME(t) OVER (PARTITION BY ... ORDER BY event_time ROWS BETWEEN UNBOUNDED
 * PRECEDING AND CURRENT ROW)}: the time of the partition's row before the current one; null on
 * its first row (or when that row's time was null).
 *
 * <p>What a rule needs to ask "when did this pair last appear?" at a constant cost per event: the
 * accumulator is two times, kept in one value of keyed state. The alternatives keep more: a
 * {@code RANGE} over the lookback keeps and rescans every row in it on each timer, a
 * {@code ROWS BETWEEN 1 PRECEDING} frame keeps the rows too and lists its state's keys on every
 * event (on RocksDB, an iterator per event: the most expensive step of the whole job in a
 * profile), and {@code LAG} takes the {@code RANGE} frame, under which rows that share a
 * timestamp all see the same previous row. Over {@code ROWS} each row of a tie is its own step.
 */
public final class PreviousTimeFunction extends AggregateFunction<LocalDateTime, PreviousTimeFunction.Times> {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "PREVIOUS_TIME";

    /** The last row's time and the one before it. */
    public static final class Times {
        public LocalDateTime last;
        public LocalDateTime previous;
        /** True once a row was seen: a null time is a row too. */
        public boolean seen;
    }

    @Override
    public Times createAccumulator() {
        return new Times();
    }

    public void accumulate(Times acc, LocalDateTime time) {
        acc.previous = acc.seen ? acc.last : null;
        acc.last = time;
        acc.seen = true;
    }

    @Override
    public LocalDateTime getValue(Times acc) {
        return acc.previous;
    }
}
