package dev.nagare.job.metrics;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;

import java.util.HashMap;
import java.util.Map;

/**
 * Job-wide counts reported with the job's result (accumulators), for the summary a bounded run
 * prints at its end; metrics serve a running job, these serve a finished one.
 */
public final class Tally {
    public static final String PREFIX = "nagare.";

    private final RuntimeContext context;
    private final Map<String, LongCounter> counters = new HashMap<>();

    public Tally(RuntimeContext context) {
        this.context = context;
    }

    public void inc(String name) {
        counter(name).add(1L);
    }

    /** The accumulator of that name, registered on first use; per-event paths keep it. */
    public LongCounter counter(String name) {
        return counters.computeIfAbsent(name, n -> {
            LongCounter counter = new LongCounter();
            context.addAccumulator(PREFIX + n, counter);
            return counter;
        });
    }
}
