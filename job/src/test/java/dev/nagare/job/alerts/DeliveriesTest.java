package dev.nagare.job.alerts;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.types.RowUtils;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Admission, the rate limit, the deadline and the timeout of {@link Deliveries}, with a
 * hand-written sender that records each call and answers as the test says.
 */
class DeliveriesTest {
    static final long MS = 1_000_000L;

    /** A sender that records when each alert was sent and answers with what the test gives. */
    static final class FakeSender implements Sender {
        final List<Row> sent = new CopyOnWriteArrayList<>();
        final List<Long> sentAtNanos = new CopyOnWriteArrayList<>();
        volatile Function<Row, CompletableFuture<Attempt>> answer = alert -> CompletableFuture.completedFuture(Attempt.delivered());

        @Override
        public CompletableFuture<Attempt> send(Row alert) {
            sent.add(alert);
            sentAtNanos.add(System.nanoTime());
            return answer.apply(alert);
        }

        @Override
        public void close() {}
    }

    final FakeSender sender = new FakeSender();
    final Map<Object, List<List<Row>>> results = new ConcurrentHashMap<>();
    final SimpleCounter sent = new SimpleCounter();
    final SimpleCounter rejected = new SimpleCounter();
    final SimpleCounter deadLettered = new SimpleCounter();
    final SimpleCounter retried = new SimpleCounter();
    final SimpleCounter undeliveredCount = new SimpleCounter();
    Deliveries deliveries;

    @AfterEach
    void close() throws Exception {
        if (deliveries != null) {
            deliveries.close();
        }
    }

    Deliveries deliveries(Destination destination, long intervalNanos) {
        deliveries = new Deliveries(destination, sender, Executors.newSingleThreadScheduledExecutor(), intervalNanos,
                new Deliveries.Metrics(sent, retried, new SimpleCounter(), deadLettered, rejected, undeliveredCount, new Deliveries.LatestLatency()));
        return deliveries;
    }

    static Destination webhook(String maxWait, String connectTimeout, String requestTimeout, int maxInFlight) {
        NagareConfig config = NagareConfig.defaults()
                .with("alerts.webhook.url", "http://127.0.0.1:9/hook")
                .with("alerts.retry.max-wait", maxWait)
                .with("alerts.connect-timeout", connectTimeout)
                .with("alerts.request-timeout", requestTimeout)
                .with("alerts.retry.initial-backoff", "50 ms")
                .with("alerts.retry.max-backoff", "100 ms")
                .with("alerts.max-in-flight", String.valueOf(maxInFlight));
        return Destination.fromConfig(config, name -> null).get(0);
    }

    /** An alert as the job carries it: positional fields with names. */
    static Row alert(String id) {
        DataType type = Schemas.ALERTS;
        List<String> names = DataType.getFieldNames(type);
        LinkedHashMap<String, Integer> positions = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            positions.put(names.get(i), i);
        }
        Object[] values = new Object[names.size()];
        values[positions.get("alert_id")] = id;
        values[positions.get("rule_id")] = "aws_root_activity";
        values[positions.get("severity")] = "high";
        return RowUtils.createRowWithNamedPositions(RowKind.INSERT, values, positions);
    }

    void submit(String id) {
        results.putIfAbsent(id, new CopyOnWriteArrayList<>());
        deliveries.submit(id, alert(id), rows -> results.get(id).add(rows));
    }

    /** The single answer for an alert: no rows (delivered) or one undelivered row; null while none. */
    Row undelivered(String id) {
        List<List<Row>> answers = results.get(id);
        assertThat(answers).as("answers for " + id).hasSizeLessThanOrEqualTo(1);
        return answers.isEmpty() || answers.get(0).isEmpty() ? null : answers.get(0).get(0);
    }

    boolean answered(String id) {
        return !results.get(id).isEmpty();
    }

    static String error(Row undelivered) {
        return (String) undelivered.getField(Schemas.ALERTS_UNDELIVERED_ARITY - 3);
    }

    static int attempts(Row undelivered) {
        return (Integer) undelivered.getField(Schemas.ALERTS_UNDELIVERED_ARITY - 2);
    }

    void awaitAnswered(String... ids) throws InterruptedException {
        long end = System.nanoTime() + 10_000 * MS;
        for (String id : ids) {
            while (!answered(id)) {
                assertThat(System.nanoTime()).as("answer for " + id).isLessThan(end);
                Thread.sleep(5);
            }
        }
    }

    @Test
    void anAlertBeyondTheQueueIsAnsweredAtOnceAndCounted() throws Exception {
        deliveries(webhook("10 s", "1 s", "2 s", 2), 1000 * MS);
        sender.answer = alert -> new CompletableFuture<>(); // never answers within the test
        submit("a");
        submit("b");
        submit("c");
        assertThat(answered("a")).isFalse();
        assertThat(answered("b")).isFalse();
        assertThat(answered("c")).as("answered during submit").isTrue();
        Row row = undelivered("c");
        assertThat(error(row)).isEqualTo("queue full: 2 alerts waiting for webhook");
        assertThat(attempts(row)).isZero();
        assertThat(row.getField(0)).isEqualTo("c");
        assertThat(rejected.getCount()).isEqualTo(1);
        assertThat(deliveries.queued()).isEqualTo(2);
    }

    @Test
    void anAlertTheRateLimitCannotServeBeforeItsDeadlineIsAnsweredAtOnce() throws Exception {
        // One send a second, 2.5 s to wait, attempts of 0.5 s: slots at 0, 1 and 2 s can still finish.
        deliveries(webhook("2500 ms", "100 ms", "400 ms", 100), 1000 * MS);
        for (String id : List.of("a", "b", "c", "d", "e")) {
            submit(id);
        }
        assertThat(answered("d")).isTrue();
        assertThat(error(undelivered("d"))).isEqualTo(
                "rate limited: next slot in 3.0 s is past the delivery deadline (alerts.retry.max-wait 2500 ms, attempts of up to 500 ms)");
        assertThat(error(undelivered("e"))).startsWith("rate limited: next slot in 3.0 s");
        assertThat(rejected.getCount()).isEqualTo(2);
        assertThat(undeliveredCount.getCount()).as("rejected alerts count as undelivered").isEqualTo(2);
        awaitAnswered("a", "b", "c");
        assertThat(undelivered("a")).isNull();
        assertThat(undelivered("c")).isNull();
        assertThat(sent.getCount()).isEqualTo(3);
        assertThat(sender.sent).extracting(r -> r.getField(0)).containsExactly("a", "b", "c");
        List<Long> at = sender.sentAtNanos;
        assertThat(at.get(1) - at.get(0)).as("one second apart").isGreaterThan(950 * MS);
        assertThat(at.get(2) - at.get(1)).isGreaterThan(950 * MS);
    }

    @Test
    void aTimeoutWhileWaitingForTheSlotCancelsTheSend() throws Exception {
        deliveries(webhook("10 s", "100 ms", "400 ms", 100), 500 * MS);
        submit("a");
        submit("b"); // its slot is 0.5 s away
        assertThat(deliveries.timeout("b")).isTrue();
        Row row = undelivered("b");
        assertThat(error(row)).isEqualTo("timed out waiting for a rate-limit slot after 0 attempts; not sent again");
        assertThat(attempts(row)).isZero();
        awaitAnswered("a");
        // Past b's slot (0.5 s after a's): the cancelled send would have gone out by now.
        Thread.sleep(800);
        assertThat(sender.sent).extracting(r -> r.getField(0)).containsExactly("a");
        assertThat(deliveries.timeout("b")).as("ends once").isFalse();
        assertThat(deliveries.timeout("a")).as("delivered: nothing to time out").isFalse();
        assertThat(undelivered("a")).isNull();
        assertThat(deadLettered.getCount()).isEqualTo(1);
        assertThat(undeliveredCount.getCount()).as("dead-lettered alerts count as undelivered").isEqualTo(1);
        assertThat(deliveries.queued()).isZero();
    }

    @Test
    void aResultAfterTheTimeoutIsIgnored() throws Exception {
        deliveries(webhook("10 s", "100 ms", "400 ms", 100), 10 * MS);
        CompletableFuture<Sender.Attempt> inFlight = new CompletableFuture<>();
        sender.answer = alert -> inFlight;
        submit("a");
        long end = System.nanoTime() + 5000 * MS;
        while (sender.sent.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(deliveries.timeout("a")).isTrue();
        assertThat(error(undelivered("a"))).isEqualTo("timed out with attempt 1 in flight; the destination may have received it");
        inFlight.complete(Sender.Attempt.delivered());
        assertThat(results.get("a")).hasSize(1);
        assertThat(sent.getCount()).isZero();
    }

    @Test
    void retriesSendTheSameAlertAndStopWhenNoAttemptCanFinishBeforeTheDeadline() throws Exception {
        // 1 s to wait, attempts of up to 300 ms: no attempt may start after 700 ms.
        deliveries(webhook("1 s", "100 ms", "200 ms", 100), 10 * MS);
        sender.answer = alert -> CompletableFuture.completedFuture(Sender.Attempt.retry("HTTP 500", -1));
        long start = System.nanoTime();
        submit("a");
        awaitAnswered("a");
        long answeredAfter = System.nanoTime() - start;
        Row row = undelivered("a");
        assertThat(sender.sent.size()).isGreaterThan(2);
        assertThat(error(row)).isEqualTo("gave up after " + sender.sent.size() + " attempts: HTTP 500");
        assertThat(attempts(row)).isEqualTo(sender.sent.size());
        assertThat(sender.sent).allSatisfy(r -> assertThat(r.getField(0)).isEqualTo("a"));
        assertThat(sender.sentAtNanos).allSatisfy(t -> assertThat(t - start).isLessThanOrEqualTo(750 * MS));
        assertThat(answeredAfter).as("before the deadline").isLessThan(1000 * MS);
        assertThat(retried.getCount()).isEqualTo(sender.sent.size() - 1);
    }

    @Test
    void aRetryAfterPastTheDeadlineGivesUpAtOnce() throws Exception {
        deliveries(webhook("2 s", "100 ms", "200 ms", 100), 10 * MS);
        sender.answer = alert -> CompletableFuture.completedFuture(Sender.Attempt.retry("HTTP 429", 5000));
        submit("a");
        awaitAnswered("a");
        assertThat(error(undelivered("a"))).isEqualTo("gave up after 1 attempts: HTTP 429");
        assertThat(sender.sent).hasSize(1);
    }

    @Test
    void anAttemptThatOverrunsEveryTimeoutCountsAsFailed() throws Exception {
        deliveries(webhook("1200 ms", "50 ms", "50 ms", 100), 10 * MS);
        sender.answer = alert -> new CompletableFuture<>(); // hangs, past its own timeouts
        submit("a");
        awaitAnswered("a");
        assertThat(error(undelivered("a"))).isEqualTo("gave up after 1 attempts: no answer within 1100 ms");
    }

    @Test
    void aStormOfAlertsNeverBlocksTheCaller() throws Exception {
        deliveries(webhook("10 s", "1 s", "2 s", 1000), 1000 * MS);
        sender.answer = alert -> new CompletableFuture<>();
        long start = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            submit("s" + i);
        }
        assertThat(System.nanoTime() - start).as("10,000 submits").isLessThan(1000 * MS);
        // Slots at 0..7 s leave time for a 3 s attempt within 10 s: 8 are queued, every other one is answered.
        List<String> waiting = new ArrayList<>();
        results.forEach((id, answers) -> {
            if (answers.isEmpty()) {
                waiting.add((String) id);
            }
        });
        assertThat(waiting).hasSize(8);
        assertThat(rejected.getCount()).isEqualTo(10_000 - 8);
        assertThat(deliveries.queued()).isEqualTo(8);
    }

    @Test
    void aMaxWaitNoAttemptFitsInIsRefusedAtStartUp() {
        assertThatThrownBy(() -> webhook("3 s", "1 s", "2 s", 10))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("alerts.retry.max-wait (3000 ms) must be longer than one webhook attempt (3000 ms");
    }
}
