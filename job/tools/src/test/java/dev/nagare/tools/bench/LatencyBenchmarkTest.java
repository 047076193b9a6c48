package dev.nagare.tools.bench;

import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

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
