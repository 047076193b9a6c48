package dev.nagare.tools.bench;

import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;

/** The latency benchmark's probe is what the rule it times counts: ten failed logins from one new host. */
class LatencyBenchmarkTest {
    @Test
    void aProbeIsTenFailedLoginsFromItsOwnHost() throws Exception {
        long t = 1_717_200_000_000L;
        List<NormalizedEvent> events = new ArrayList<>();
        EventParser parser = new EventParser();
        for (RawLogEvent raw : new RecordDecoder().decode(LatencyBenchmark.probeRecord(70_000, t)).events()) {
            events.add(parser.parse(raw, t));
        }
        assertThat(events).hasSize(10).allSatisfy(e -> {
            assertThat(e.logType).isEqualTo("mysql_audit");
            assertThat(e.dbOperation).isEqualTo("FAILED_CONNECT");
            assertThat(e.dbClientHost).isEqualTo("198.19.17.112"); // probe 70,000 = 1 << 16 | 17 << 8 | 112
            assertThat(e.account).isEqualTo(DemoScenario.ACCOUNT);
        });
        assertThat(events.get(9).eventTimeMillis).isEqualTo(t + 9);
        assertThat(LatencyBenchmark.probeRecord(1, t)).isNotEqualTo(LatencyBenchmark.probeRecord(2, t));
    }

    /**
     * A reader keeps to its schedule and, after a stall, emits at once until it is back on it, then
     * waits again; Guava's limiter would have let it make up one second of the ten.
     */
    @Test
    void aReaderWaitsForItsScheduleAndCatchesUpAfterAStall() {
        long second = 1_000_000_000L;
        AtomicLong now = new AtomicLong(5 * second);
        LatencyBenchmark.scheduleStart.set(0);
        RateLimiter reader = new LatencyBenchmark.OnSchedule(1, now::get); // one record a second: due at 5 s, 6 s, ...
        assertThat(reader.acquire().toCompletableFuture()).isDone(); // the first record, at once
        assertThat(reader.acquire().toCompletableFuture()).isNotDone(); // the second is due a second later
        now.addAndGet(10 * second); // a stall: at 15 s, the records due at 7 s ... 15 s are all late
        for (int record = 2; record <= 10; record++) {
            assertThat(reader.acquire().toCompletableFuture()).as("record %d", record).isDone();
        }
        assertThat(reader.acquire().toCompletableFuture()).as("record 11, due at 16 s").isNotDone();
        // Every reader keeps to the one schedule: one that asks later starts where the first did.
        RateLimiter late = new LatencyBenchmark.OnSchedule(1, now::get);
        for (int record = 0; record <= 10; record++) {
            assertThat(late.acquire().toCompletableFuture()).as("late reader's record %d", record).isDone();
        }
        assertThat(late.acquire().toCompletableFuture()).isNotDone();
    }

    /**
     * The report counts only the probes that entered after the warm-up and before the last
     * seconds (where the end of the input flushes every window), says which probes never alerted,
     * and lists the slowest with their time into the run, each reader's lag and every alert posted.
     */
    @Test
    void theReportCountsTheProbesBetweenTheWarmUpAndTheEnd() {
        long second = 1_000_000_000L;
        long start = 7 * second; // any nanoTime origin
        LatencyBenchmark.scheduleStart.set(start);
        LatencyBenchmark.lastEmit.set(start + 120 * second);
        LatencyBenchmark.eventsInSecond = new AtomicLongArray(121);
        for (int i = 0; i < 121; i++) {
            LatencyBenchmark.eventsInSecond.set(i, i < 30 ? 5_000 : 20_000);
        }
        // Probes entering at these seconds, alerting this many ms later (0: never).
        long[][] probes = {{10, 9_999}, {40, 1_200}, {50, 1_500}, {60, 0}, {70, 1_300}, {113, 2_000}, {115, 50}};
        LatencyBenchmark.probeEntered = new AtomicLongArray(probes.length);
        LatencyBenchmark.probeAlerted = new AtomicLongArray(probes.length);
        for (int i = 0; i < probes.length; i++) {
            long entered = start + probes[i][0] * second;
            LatencyBenchmark.probeEntered.set(i, entered);
            LatencyBenchmark.probeAlerted.set(i, probes[i][1] == 0 ? 0 : entered + probes[i][1] * 1_000_000L);
        }
        LatencyBenchmark.maxLagMillis = new AtomicLongArray(new long[] {12, 300});
        LatencyBenchmark.lastLagMillis = new AtomicLongArray(new long[] {0, 5});
        LatencyBenchmark.posted.clear();
        LatencyBenchmark.posted.put("db_failed_login_burst", new AtomicLong(4));
        LatencyBenchmark.posted.put("app_error_rate", new AtomicLong(2));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Locale locale = Locale.getDefault();
        Locale.setDefault(Locale.ROOT); // digit grouping as in the assertions, whatever the machine's
        try {
            LatencyBenchmark.report(new LatencyBenchmark.Settings(), 2_250_000, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        } finally {
            Locale.setDefault(locale);
            LatencyBenchmark.posted.clear();
            LatencyBenchmark.scheduleStart.set(0);
            LatencyBenchmark.lastEmit.set(0);
        }
        // Counted: the seconds 30 to 113 (the last emission at 120 s, less 1 s out-of-orderness and 5 s).
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "source: 2,250,000 events entered in 120.0 s (target 20,000 events/s for 120 s); 20,000 events/s sustained"
                        + " in the 84 measured seconds after the warm-up",
                "alert latency, crossing event entering the source -> webhook POST received, 4 probes (out-of-orderness 1000 ms"
                        + " included): p50 1300 ms, p90 2000 ms, p99 2000 ms, max 2000 ms; 1 probes without an alert",
                "  beyond the out-of-orderness: p50 300 ms, p99 1000 ms",
                "  readers behind the schedule: split 0: most 12 ms after the warm-up, 0 ms at its last record; split 1: most"
                        + " 300 ms after the warm-up, 5 ms at its last record",
                "  alerts posted to the webhook in the whole run, by rule: {app_error_rate=2, db_failed_login_burst=4}",
                "  slowest probes (latency at seconds into the run): 2,000 ms at 113.0 s, 1,500 ms at 50.0 s, 1,300 ms at 70.0 s,"
                        + " 1,200 ms at 40.0 s");
    }

    /**
     * A wait completes on one shared timer thread: completed through
     * {@code CompletableFuture.delayedExecutor}, every wait started a thread of its own on a
     * 2-core machine, thousands a second that took CPU from the job being paced.
     */
    @Test
    void waitsCompleteWithoutAThreadEach() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        LatencyBenchmark.scheduleStart.set(0);
        RateLimiter reader = new LatencyBenchmark.OnSchedule(100_000, now::get); // a record due every 10 microseconds
        reader.acquire();
        long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (int record = 1; record <= 2_000; record++) {
            // The fake clock stands still: the records due within 5 ms go at once, the rest wait.
            CompletableFuture<Void> wait = reader.acquire().toCompletableFuture();
            assertThat(wait.isDone()).as("record %d", record).isEqualTo(record * 10_000L <= LatencyBenchmark.OnSchedule.EARLY_NANOS);
            waits.add(wait);
        }
        assertThat(CompletableFuture.allOf(waits.toArray(new CompletableFuture[0]))).succeedsWithin(Duration.ofSeconds(10));
        assertThat(ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - started).isLessThan(10);
        LatencyBenchmark.scheduleStart.set(0);
    }

    @Test
    void percentilesAreNearestRank() {
        List<Double> sorted = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            sorted.add((double) i);
        }
        assertThat(LatencyBenchmark.percentile(sorted, 50)).isEqualTo(100.0);
        assertThat(LatencyBenchmark.percentile(sorted, 99)).isEqualTo(198.0);
        assertThat(LatencyBenchmark.percentile(List.of(7.0), 99)).isEqualTo(7.0);
    }
}
