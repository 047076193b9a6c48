package dev.nagare.tools.bench;

import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.NormalizedEvent;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

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
