package dev.nagare.job.decode;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;

/**
 * Counters per log type (key/value group {@code log_type}, a CloudWatch dimension on Managed Flink) in
 * the job's exported group, created on first use (the
 * set of types is small and fixed by the parsers).
 */
final class LogTypeMetrics {
    private final MetricGroup group;
    private final String name;
    private final Map<String, Counter> counters = new HashMap<>();

    LogTypeMetrics(MetricGroup nagareGroup, String name) {
        this.group = nagareGroup;
        this.name = name;
    }

    void inc(String logType) {
        String type = logType == null ? "unknown" : logType;
        counters.computeIfAbsent(type, t -> group.addGroup("log_type", t).counter(name)).inc();
    }
}
