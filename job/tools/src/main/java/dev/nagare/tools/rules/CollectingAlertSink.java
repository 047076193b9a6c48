package dev.nagare.tools.rules;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.types.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Collects alerts in memory for a run on an embedded cluster in this JVM (rule tests); each run
 * has its own id. Not for a distributed cluster: the rows stay in the task manager's JVM.
 */
public final class CollectingAlertSink implements Sink<Row> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, Queue<Row>> RUNS = new ConcurrentHashMap<>();

    private final String runId;

    public CollectingAlertSink(String runId) {
        this.runId = runId;
        RUNS.put(runId, new ConcurrentLinkedQueue<>());
    }

    /** The alerts of a run, removing them. */
    public static List<Row> drain(String runId) {
        Queue<Row> rows = RUNS.remove(runId);
        return rows == null ? List.of() : new ArrayList<>(rows);
    }

    @Override
    @SuppressWarnings("deprecation") // Flink 1.20 still requires the InitContext variant
    public SinkWriter<Row> createWriter(InitContext context) {
        return writer();
    }

    @Override
    public SinkWriter<Row> createWriter(WriterInitContext context) {
        return writer();
    }

    private SinkWriter<Row> writer() {
        Queue<Row> rows = RUNS.computeIfAbsent(runId, k -> new ConcurrentLinkedQueue<>());
        return new SinkWriter<>() {
            @Override
            public void write(Row alert, Context context) {
                rows.add(alert);
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
