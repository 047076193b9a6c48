package dev.nagare.job.decode;

import dev.nagare.job.metrics.Tally;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;

/**
 * Counters per log type (key/value group {@code log_type}, a CloudWatch dimension on Managed Flink) in
 * the job's exported group, created on first use (the
 * set of types is small and fixed by the parsers); optionally also an accumulator per type for a
 * bounded run's summary, found in the same lookup (no name is built per event).
 */
final class LogTypeMetrics {
    private final MetricGroup group;
    private final String name;
    private final Tally tally;
    private final String tallyPrefix;
    private final Map<String, Counters> counters = new HashMap<>();

    LogTypeMetrics(MetricGroup nagareGroup, String name) {
        this(nagareGroup, name, null, null);
    }

    /** Also counts each type in the accumulator {@code <tallyPrefix><type>}. */
    LogTypeMetrics(MetricGroup nagareGroup, String name, Tally tally, String tallyPrefix) {
        this.group = nagareGroup;
        this.name = name;
        this.tally = tally;
        this.tallyPrefix = tallyPrefix;
    }

    void inc(String logType) {
        Counters c = counters.computeIfAbsent(logType, t -> new Counters(
                group.addGroup("log_type", t == null ? "unknown" : t).counter(name),
                tally == null ? null : tally.counter(tallyPrefix + t)));
        c.metric.inc();
        if (c.tally != null) {
            c.tally.add(1L);
        }
    }

    private static final class Counters {
        final Counter metric;
        final LongCounter tally;

        Counters(Counter metric, LongCounter tally) {
            this.metric = metric;
            this.tally = tally;
        }
    }
}
