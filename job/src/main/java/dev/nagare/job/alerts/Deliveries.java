package dev.nagare.job.alerts;

import dev.nagare.job.schema.Schemas;

import org.apache.flink.metrics.Counter;
import org.apache.flink.types.Row;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The deliveries of one subtask to one destination: admission, the rate limit, retries and the
 * deadline, without Flink (the {@link DeliveryFunction} feeds it; unit tests drive it directly).
 *
 * <p>Nothing here ever waits on the caller's thread. {@link #submit} admits an alert only when
 * fewer than {@code alerts.max-in-flight} alerts are waiting and the next rate-limit slot leaves
 * time for a whole attempt before the alert's deadline ({@code alerts.retry.max-wait} from now);
 * otherwise the alert is answered at once with an {@code alerts_undelivered} row that says why
 * and the {@code rejected} counter grows. A storm of alerts thus costs undelivered rows, never a
 * stalled task thread: a blocked task thread would back-pressure the rules and the shared
 * upstream, and with them the lake and its checkpoints.
 *
 * <p>Each admitted alert is a small state machine: {@code PENDING_SLOT} (waiting for its slot),
 * {@code SENDING} (one attempt in flight), and the end states {@code DONE} and
 * {@code TIMED_OUT}. Every move is a compare-and-set, so an alert ends exactly once: a timeout
 * and a send can never both happen, and a result that arrives after the timeout is ignored. An
 * attempt (first or retry) takes a slot only if it can finish, by its own timeout, before the
 * deadline; the last failed attempt therefore ends the alert before the deadline and the
 * {@link #timeout} safety net (Flink's async timeout, set beyond the deadline) should never fire.
 * If it does while the alert waits for a slot, the scheduled send is cancelled. Retries send the
 * same row, so the same {@code alert_id}.
 */
final class Deliveries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Deliveries.class);

    /** Extra time beyond an attempt's own timeout before the attempt counts as lost. */
    static final Duration ATTEMPT_GRACE = Duration.ofSeconds(1);

    /** Where one delivery is. */
    enum State {
        PENDING_SLOT,
        SENDING,
        DONE,
        TIMED_OUT
    }

    /** The counters and the latency the deliveries update. */
    static final class Metrics {
        final Counter sent;
        final Counter retried;
        final Counter failedAttempts;
        final Counter deadLettered;
        final Counter rejected;
        /** Dead-lettered plus rejected: every alert that leaves as an {@code alerts_undelivered} row. */
        final Counter undelivered;
        final LatestLatency latencyMillis;

        Metrics(Counter sent, Counter retried, Counter failedAttempts, Counter deadLettered, Counter rejected,
                Counter undelivered, LatestLatency latencyMillis) {
            this.sent = sent;
            this.retried = retried;
            this.failedAttempts = failedAttempts;
            this.deadLettered = deadLettered;
            this.rejected = rejected;
            this.undelivered = undelivered;
            this.latencyMillis = latencyMillis;
        }
    }

    /**
     * The latency of the latest successful delivery, read by a gauge: Managed Flink does not
     * publish histograms, and the latest value is what an operator looking at a dashboard wants.
     */
    static final class LatestLatency {
        private volatile long latest;

        void update(long millis) {
            latest = millis;
        }

        long latest() {
            return latest;
        }
    }

    private final Destination destination;
    private final Sender sender;
    private final ScheduledExecutorService scheduler;
    private final Metrics metrics;
    private final long intervalNanos;
    private final long maxWaitNanos;
    private final long attemptNanos;
    private final int maxQueued;
    private final AtomicInteger queued = new AtomicInteger();
    private final Map<Object, Delivery> byKey = new ConcurrentHashMap<>();
    /** The first free send slot (System.nanoTime()); guarded by this. */
    private long nextSlotNanos;

    /**
     * @param intervalNanos the time between two sends of this subtask (its share of the rate limit)
     */
    Deliveries(Destination destination, Sender sender, ScheduledExecutorService scheduler, long intervalNanos, Metrics metrics) {
        this.destination = destination;
        this.sender = sender;
        this.scheduler = scheduler;
        this.intervalNanos = intervalNanos;
        this.metrics = metrics;
        this.maxWaitNanos = destination.maxWait.toNanos();
        this.attemptNanos = destination.attemptTimeout().toNanos();
        this.maxQueued = destination.maxInFlight;
        this.nextSlotNanos = System.nanoTime();
    }

    /** Alerts admitted and not yet done. */
    int queued() {
        return queued.get();
    }

    /**
     * Admits an alert or answers it at once; never blocks. {@code result} is called exactly once,
     * on some thread, with no rows (delivered) or one {@code alerts_undelivered} row.
     *
     * @param key identifies the delivery for {@link #timeout}
     */
    void submit(Object key, Row alert, Consumer<List<Row>> result) {
        long now = System.nanoTime();
        long deadline = now + maxWaitNanos;
        int waiting = queued.incrementAndGet();
        if (waiting > maxQueued) {
            queued.decrementAndGet();
            reject(alert, result, "queue full: " + (waiting - 1) + " alerts waiting for " + destination.name);
            return;
        }
        long slot = reserveSlot(now, deadline - attemptNanos);
        if (slot - (deadline - attemptNanos) > 0) {
            queued.decrementAndGet();
            reject(alert, result, String.format(Locale.ROOT,
                    "rate limited: next slot in %.1f s is past the delivery deadline (alerts.retry.max-wait %s, attempts of up to %s)",
                    (slot - now) / 1e9, human(destination.maxWait), human(destination.attemptTimeout())));
            return;
        }
        Delivery delivery = new Delivery(key, alert, result, now, deadline);
        byKey.put(key, delivery);
        delivery.schedule(1, slot);
    }

    /**
     * The safety net behind the deadline: ends the delivery if it has not ended. Returns false
     * when there is none (it ended already).
     */
    boolean timeout(Object key) {
        Delivery delivery = byKey.get(key);
        return delivery != null && delivery.timeout();
    }

    @Override
    public void close() throws Exception {
        scheduler.shutdownNow();
        sender.close();
    }

    /**
     * The earliest slot at or after {@code notBefore}; it is taken only if it is not after
     * {@code latestStart}. Returns the slot either way (the caller compares).
     */
    private synchronized long reserveSlot(long notBefore, long latestStart) {
        long now = System.nanoTime();
        long slot = now;
        if (notBefore - slot > 0) {
            slot = notBefore;
        }
        if (nextSlotNanos - slot > 0) {
            slot = nextSlotNanos;
        }
        if (slot - latestStart <= 0) {
            nextSlotNanos = slot + intervalNanos;
        }
        return slot;
    }

    private void reject(Row alert, Consumer<List<Row>> result, String reason) {
        metrics.rejected.inc();
        metrics.undelivered.inc();
        LOG.debug("Alert {} not queued for {}: {}", alert.getField("alert_id"), destination.name, reason);
        result.accept(List.of(undelivered(alert, reason, 0)));
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

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** One admitted alert's way to the destination. */
    private final class Delivery {
        private final Object key;
        private final Row alert;
        private final Consumer<List<Row>> result;
        private final long startNanos;
        private final long deadlineNanos;
        private final AtomicReference<State> state = new AtomicReference<>(State.PENDING_SLOT);
        private volatile int attempts;
        private volatile ScheduledFuture<?> scheduled;

        Delivery(Object key, Row alert, Consumer<List<Row>> result, long startNanos, long deadlineNanos) {
            this.key = key;
            this.alert = alert;
            this.result = result;
            this.startNanos = startNanos;
            this.deadlineNanos = deadlineNanos;
        }

        /** Attempt {@code n} at its reserved slot; the state is PENDING_SLOT. */
        void schedule(int n, long slotNanos) {
            try {
                scheduled = scheduler.schedule(() -> start(n), Math.max(0, slotNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // The task is shutting down; the checkpointed alert is delivered again after the restart.
            }
            if (state.get() == State.TIMED_OUT && scheduled != null) {
                scheduled.cancel(false);
            }
        }

        private void start(int n) {
            if (!state.compareAndSet(State.PENDING_SLOT, State.SENDING)) {
                return; // timed out while waiting: never sent
            }
            attempts = n;
            CompletableFuture<Sender.Attempt> attempt;
            try {
                attempt = sender.send(alert);
            } catch (RuntimeException e) {
                attempt = CompletableFuture.completedFuture(Sender.Attempt.retry("unexpected " + e.getClass().getSimpleName(), -1));
            }
            // The sender's own timeouts end an attempt; this bound holds even if one does not.
            attempt.orTimeout(attemptNanos + ATTEMPT_GRACE.toNanos(), TimeUnit.NANOSECONDS).whenComplete((outcome, error) -> {
                if (error != null) {
                    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                    outcome = cause instanceof TimeoutException
                            ? Sender.Attempt.retry("no answer within " + human(destination.attemptTimeout().plus(ATTEMPT_GRACE)), -1)
                            : Sender.Attempt.retry("unexpected " + cause.getClass().getSimpleName(), -1);
                }
                onAttempt(n, outcome);
            });
        }

        private void onAttempt(int n, Sender.Attempt attempt) {
            if (attempt.delivered) {
                if (end(State.SENDING, List.of())) {
                    metrics.sent.inc();
                    metrics.latencyMillis.update((System.nanoTime() - startNanos) / 1_000_000);
                }
                return;
            }
            metrics.failedAttempts.inc();
            String reason = null;
            long slot = 0;
            if (!attempt.retryable) {
                reason = "permanent error: " + attempt.error;
            } else {
                long backoff = attempt.retryAfterMillis >= 0 ? TimeUnit.MILLISECONDS.toNanos(attempt.retryAfterMillis) : backoffNanos(n);
                slot = reserveSlot(System.nanoTime() + backoff, deadlineNanos - attemptNanos);
                if (slot - (deadlineNanos - attemptNanos) > 0) {
                    reason = "gave up after " + n + " attempts: " + attempt.error;
                }
            }
            if (reason != null) {
                if (end(State.SENDING, List.of(undelivered(alert, reason, n)))) {
                    metrics.deadLettered.inc();
                    metrics.undelivered.inc();
                    LOG.warn("Alert {} of rule {} not delivered to {}: {}", alert.getField("alert_id"), alert.getField("rule_id"),
                            destination, reason);
                }
                return;
            }
            if (state.compareAndSet(State.SENDING, State.PENDING_SLOT)) {
                metrics.retried.inc();
                schedule(n + 1, slot);
            }
        }

        /** Exponential from the initial backoff, capped, with ±20% jitter so retries do not march in step. */
        private long backoffNanos(int n) {
            double base = Math.min(destination.maxBackoff.toNanos(), destination.initialBackoff.toNanos() * Math.pow(2, n - 1));
            return (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        }

        /** The safety net: ends the delivery unless it ended; a pending send is cancelled, never made. */
        boolean timeout() {
            while (true) {
                State now = state.get();
                if (now == State.DONE || now == State.TIMED_OUT) {
                    return false;
                }
                if (state.compareAndSet(now, State.TIMED_OUT)) {
                    ScheduledFuture<?> pending = scheduled;
                    if (now == State.PENDING_SLOT && pending != null) {
                        pending.cancel(false);
                    }
                    String reason = now == State.PENDING_SLOT
                            ? "timed out waiting for a rate-limit slot after " + attempts + " attempts; not sent again"
                            : "timed out with attempt " + attempts + " in flight; the destination may have received it";
                    metrics.deadLettered.inc();
                    metrics.undelivered.inc();
                    LOG.warn("Alert {} of rule {} not delivered to {}: {}", alert.getField("alert_id"), alert.getField("rule_id"),
                            destination, reason);
                    finish(List.of(undelivered(alert, reason, attempts)));
                    return true;
                }
            }
        }

        private boolean end(State from, List<Row> rows) {
            if (!state.compareAndSet(from, State.DONE)) {
                return false; // timed out meanwhile: the timeout has answered
            }
            finish(rows);
            return true;
        }

        private void finish(List<Row> rows) {
            byKey.remove(key);
            queued.decrementAndGet();
            result.accept(rows);
        }
    }
}
