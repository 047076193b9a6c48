package dev.nagare.job.source.demo;

import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.RecordDecoder;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class DemoScenarioTest {
    static final Instant T0 = Instant.parse("2024-06-01T00:00:00Z");

    @Test
    void theSameSeedGivesTheSameBytes() {
        DemoScenario a = new DemoScenario(7, T0, 10);
        DemoScenario b = new DemoScenario(7, T0, 10);
        for (long i = 0; i < 200; i++) {
            assertThat(a.record(i).toBytes()).isEqualTo(b.record(i).toBytes());
        }
        assertThat(new DemoScenario(8, T0, 10).record(0).toBytes()).isNotEqualTo(a.record(0).toBytes());
    }

    @Test
    void recordsAreRealCloudWatchEnvelopes() throws Exception {
        DemoScenario s = new DemoScenario(7, T0, 10);
        RecordDecoder decoder = new RecordDecoder();
        for (long i = 0; i < 8; i++) {
            DemoRecord record = s.record(i);
            DecodedRecord decoded = decoder.decode(record.toBytes());
            assertThat(decoded.kind()).isEqualTo(DecodedRecord.Kind.CWL_DATA);
            assertThat(decoded.events()).hasSize(record.events().size());
            assertThat(decoded.events().get(0).envelope().logGroup()).isEqualTo(record.logGroup());
            assertThat(decoded.events().get(0).id()).hasSize(56);
        }
    }

    @Test
    void incidentsFollowTheSchedule() {
        DemoScenario s = new DemoScenario(7, T0, 10);
        assertThat(DemoScenario.burstService(5)).isEqualTo("orders-api");
        assertThat(DemoScenario.burstService(15)).isEqualTo("payments-api");
        assertThat(DemoScenario.burstService(25)).isEqualTo("wallet-api");
        assertThat(DemoScenario.burstService(6)).isNull();
        // Minute 8 starts at record 8 * 60 * 10 = 4800; its first audit slot is 4807.
        assertThat(s.isPrivilegeIncident(4807)).isTrue();
        assertThat(s.isPrivilegeIncident(4815)).isFalse();
        assertThat(s.isPrivilegeIncident(7)).isFalse();
        assertThat(s.record(4807).events()).anySatisfy(e -> assertThat(e.message).contains("GRANT ALL PRIVILEGES"));
        assertThat(s.record(4815).events()).noneSatisfy(e -> assertThat(e.message).contains("GRANT ALL"));
    }

    @Test
    void specialRecordsAtTheirPlaces() {
        DemoScenario s = new DemoScenario(7, T0, 10);
        assertThat(s.record(59 * 8 + 2).kind()).isEqualTo(DemoRecord.Kind.CONTROL);
        assertThat(s.record(124 * 8 + 1).kind()).isEqualTo(DemoRecord.Kind.TRUNCATED_GZIP);
        assertThat(s.record(249 * 8 + 1).kind()).isEqualTo(DemoRecord.Kind.NOT_JSON_GZIP);
        assertThat(s.record(150 * 8 + 7).deadLetters()).isEqualTo(1);
        assertThat(s.timeOf(10)).isEqualTo(T0.toEpochMilli() + 1000);
    }
}
