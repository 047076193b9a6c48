package dev.nagare.job.alerts;

import dev.nagare.job.schema.Schemas;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.types.Row;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Delivers alerts to one destination through Flink's async I/O, so a slow or failing destination
 * holds only its own bounded queue, never the lake. Each alert is retried with exponential
 * backoff and jitter (or the destination's Retry-After) at the destination's rate limit, for at
 * most {@code alerts.retry.max-wait}; then, or at once for a permanent error, it leaves as an
 * {@code alerts_undelivered} row with the last error. Nothing is dropped and nothing fails the job.
 * In-flight alerts are part of checkpoints, so after a restart they are sent again, with the same
 * {@code alert_id}.
 */
public final class DeliveryFunction extends RichAsyncFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryFunction.class);

    private final Destination destination;

    private transient Sender sender;
    private transient ScheduledExecutorService scheduler;
    private transient long intervalNanos;
    private transient long nextSlotNanos;
    private transient Counter sent;
    private transient Counter retried;
    private transient Counter failedAttempts;
    private transient Counter deadLettered;
    private transient Histogram latencyMillis;

    public DeliveryFunction(Destination destination) {
        this.destination = destination;
    }

    @Override
    public void open(Configuration parameters) {
        sender = destination.kind == Destination.Kind.WEBHOOK ? new WebhookSender(destination) : new LambdaSender(destination);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nagare-delivery-" + destination.name);
            t.setDaemon(true);
            return t;
        });
        // The limit is per destination: each parallel instance takes its share.
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        intervalNanos = (long) (1e9 * parallelism / destination.ratePerSecond);
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("nagare").addGroup("destination", destination.name);
        sent = metrics.counter("sent");
        retried = metrics.counter("retried");
        failedAttempts = metrics.counter("failedAttempts");
        deadLettered = metrics.counter("deadLettered");
        latencyMillis = metrics.histogram("deliveryLatencyMs", new DescriptiveStatisticsHistogram(1000));
        LOG.info("Delivering alerts to {}", destination);
    }

    @Override
    public void asyncInvoke(Row alert, ResultFuture<Row> result) {
        new Delivery(alert, result).attempt(1, 0);
    }

    @Override
    public void timeout(Row alert, ResultFuture<Row> result) {
        // Retries end before this timeout; reaching it means a request hung past every bound.
        deadLettered.inc();
        result.complete(List.of(undelivered(alert, "delivery timed out", 0)));
    }

    @Override
    public void close() throws Exception {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (sender != null) {
            sender.close();
        }
    }

    /** The next send slot under the rate limit, as a delay from now. */
    private synchronized long reserveSlotDelayNanos(long notBeforeNanos) {
        long now = System.nanoTime();
        long slot = Math.max(Math.max(now, notBeforeNanos), nextSlotNanos);
        nextSlotNanos = slot + intervalNanos;
        return slot - now;
    }

    private Row undelivered(Row alert, String error, int attempts) {
        Object[] fields = new Object[Schemas.ALERTS_UNDELIVERED_ARITY];
        for (int i = 0; i < alert.getArity(); i++) {
            fields[i] = alert.getField(i);
        }
        int n = alert.getArity();
        fields[n] = destination.name;
        fields[n + 1] = error;
        fields[n + 2] = attempts;
        fields[n + 3] = Schemas.utc(System.currentTimeMillis());
        return Row.of(fields);
    }

    /** One alert's way to the destination. */
    private final class Delivery {
        private final Row alert;
        private final ResultFuture<Row> result;
        private final long startNanos = System.nanoTime();
        private final long deadlineNanos = startNanos + destination.maxWait.toNanos();
        private final AtomicBoolean done = new AtomicBoolean();

        Delivery(Row alert, ResultFuture<Row> result) {
            this.alert = alert;
            this.result = result;
        }

        void attempt(int n, long notBeforeNanos) {
            long delay = reserveSlotDelayNanos(notBeforeNanos);
            try {
                scheduler.schedule(() -> send(n), delay, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The task is shutting down; the checkpointed alert is sent again after the restart.
            }
        }

        private void send(int n) {
            sender.send(alert).whenComplete((attempt, error) -> {
                if (error != null) {
                    attempt = Sender.Attempt.retry("unexpected " + error.getClass().getSimpleName(), -1);
                }
                onAttempt(n, attempt);
            });
        }

        private void onAttempt(int n, Sender.Attempt attempt) {
            if (attempt.delivered) {
                sent.inc();
                latencyMillis.update((System.nanoTime() - startNanos) / 1_000_000);
                finish(Collections.emptyList());
                return;
            }
            failedAttempts.inc();
            long backoff = attempt.retryAfterMillis >= 0 ? attempt.retryAfterMillis * 1_000_000 : backoffNanos(n);
            long next = System.nanoTime() + backoff;
            if (!attempt.retryable || next > deadlineNanos) {
                deadLettered.inc();
                String reason = (attempt.retryable ? "gave up after " + n + " attempts: " : "permanent error: ") + attempt.error;
                LOG.warn("Alert {} of rule {} not delivered to {}: {}", alert.getField("alert_id"), alert.getField("rule_id"),
                        destination, reason);
                finish(List.of(undelivered(alert, reason, n)));
                return;
            }
            retried.inc();
            attempt(n + 1, next);
        }

        /** Exponential from the initial backoff, capped, with ±20% jitter so retries do not march in step. */
        private long backoffNanos(int n) {
            double base = Math.min(destination.maxBackoff.toNanos(), destination.initialBackoff.toNanos() * Math.pow(2, n - 1));
            return (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        }

        private void finish(List<Row> rows) {
            if (done.compareAndSet(false, true)) {
                result.complete(rows);
            }
        }
    }
}
