package dev.nagare.job.decode;

import dev.nagare.job.schema.Schemas;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * Counts late events — those whose event time is at or behind the watermark when they arrive —
 * and passes every event on unchanged. A late event is still written to the lake, in the
 * partition of its own event time; event-time windows (rules, the rollup) whose end the watermark
 * has passed have fired already and do not fire again, so this count is what tells an operator
 * how much the windows missed and whether {@code job.watermark.out-of-orderness} is too tight.
 *
 * <p>Metrics: {@code nagare.lateEvents} and {@code nagare.log_type.<type>.lateEvents}; the job
 * result carries the total as the {@code nagare.lateEvents} accumulator.
 */
public final class LateEvents extends ProcessFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private transient Counter late;
    private transient LogTypeMetrics lateByType;
    private transient Tally tally;

    @Override
    public void open(Configuration parameters) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup(DecodeFunction.METRIC_GROUP);
        late = metrics.counter("lateEvents");
        lateByType = new LogTypeMetrics(metrics, "lateEvents");
        tally = new Tally(getRuntimeContext());
    }

    @Override
    public void processElement(Row row, Context ctx, Collector<Row> out) {
        Long timestamp = ctx.timestamp();
        if (timestamp != null && timestamp <= ctx.timerService().currentWatermark()) {
            late.inc();
            lateByType.inc((String) row.getField(Schemas.LOGS_LOG_TYPE));
            tally.inc("lateEvents");
        }
        out.collect(row);
    }
}
