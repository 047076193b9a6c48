package dev.nagare.job.alerts;

import dev.nagare.job.metrics.JobMetrics;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.types.Row;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;

/**
 * Delivers alerts to one destination through Flink's async I/O (unordered, see
 * {@code NagarePipeline.deliver}). The work is done by {@link Deliveries}; this class only plugs
 * it into Flink.
 *
 * <p>{@link #asyncInvoke} never waits: an alert that cannot be queued (its destination already
 * has {@code alerts.max-in-flight} alerts waiting, or the rate limit has no slot before its
 * deadline) is answered at once with an {@code alerts_undelivered} row that says why. The
 * operator's own capacity is set above that bound, so Flink's async operator never blocks its
 * task thread either: a slow or rate-limited destination back-pressures nothing, and the lake and
 * checkpoints go on. Admitted alerts are retried with exponential backoff and jitter (or the
 * destination's Retry-After) at the destination's rate limit until {@code alerts.retry.max-wait}
 * after they arrived; then, or at once for a permanent error, they leave as an
 * {@code alerts_undelivered} row with the last error. Nothing is dropped and nothing fails the
 * job. In-flight alerts are part of checkpoints (Flink's async operator keeps them in its state),
 * so after a restart they are sent again, with the same {@code alert_id} and a new deadline.
 *
 * <p>Flink's async timeout ({@link Destination#asyncTimeout}) lies beyond the deadline and every
 * attempt's own timeout; it is only a safety net. If it fires while an alert waits for its
 * slot, the scheduled send is cancelled: a timed-out alert is never also sent.
 */
public final class DeliveryFunction extends RichAsyncFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryFunction.class);

    private final Destination destination;

    private transient Deliveries deliveries;

    public DeliveryFunction(Destination destination) {
        this.destination = destination;
    }

    @Override
    public void open(Configuration parameters) {
        Sender sender = destination.kind == Destination.Kind.WEBHOOK ? new WebhookSender(destination) : new LambdaSender(destination);
        var scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nagare-delivery-" + destination.name);
            t.setDaemon(true);
            return t;
        });
        // The limit is per destination: each parallel instance takes its share.
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        long intervalNanos = (long) (1e9 * parallelism / destination.ratePerSecond);
        MetricGroup exported = JobMetrics.of(getRuntimeContext().getMetricGroup());
        MetricGroup metrics = exported.addGroup("destination", destination.name);
        // Job-wide as well as per destination: the alarm watches one metric whatever the destinations.
        Counter undelivered = exported.counter(JobMetrics.ALERTS_UNDELIVERED);
        Deliveries.LatestLatency latency = new Deliveries.LatestLatency();
        deliveries = new Deliveries(destination, sender, scheduler, intervalNanos, new Deliveries.Metrics(
                metrics.counter(JobMetrics.DELIVERY_SENT),
                metrics.counter(JobMetrics.DELIVERY_RETRIED),
                metrics.counter(JobMetrics.DELIVERY_FAILED_ATTEMPTS),
                metrics.counter(JobMetrics.DELIVERY_DEAD_LETTERED),
                metrics.counter(JobMetrics.DELIVERY_REJECTED),
                undelivered,
                latency));
        metrics.gauge(JobMetrics.DELIVERY_QUEUED, (Gauge<Integer>) deliveries::queued);
        metrics.gauge(JobMetrics.DELIVERY_LATENCY_MS, (Gauge<Long>) latency::latest);
        LOG.info("Delivering alerts to {}", destination);
    }

    @Override
    public void asyncInvoke(Row alert, ResultFuture<Row> result) {
        deliveries.submit(result, alert, result::complete);
    }

    @Override
    public void timeout(Row alert, ResultFuture<Row> result) {
        // Deliveries end before this timeout; reaching it means an attempt overran every bound.
        deliveries.timeout(result);
    }

    @Override
    public void close() throws Exception {
        if (deliveries != null) {
            deliveries.close();
        }
    }
}
