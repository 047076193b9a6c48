package dev.nagare.job.source;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class Base64LineFormatTest {
    static final String DATA = "aGVsbG8="; // "hello"

    @Test
    void aGetRecordsRecordCarriesItsArrivalTimeInEitherCliFormat() {
        KinesisRecord iso = Base64LineFormat.parse("{\"SequenceNumber\":\"1\",\"ApproximateArrivalTimestamp\":"
                + "\"2024-06-01T10:30:00.250000+00:00\",\"Data\":\"" + DATA + "\",\"PartitionKey\":\"k\"}");
        assertThat(new String(iso.data, StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(iso.arrivalMillis).isEqualTo(1717237800250L);
        KinesisRecord epoch = Base64LineFormat.parse("{\"ApproximateArrivalTimestamp\":1717237800.25,\"Data\":\"" + DATA + "\"}");
        assertThat(epoch.arrivalMillis).isEqualTo(1717237800250L);
    }

    @Test
    void bareDataHasNoArrivalTimeAndAnythingElseIsKeptAsItsText() {
        KinesisRecord bare = Base64LineFormat.parse(DATA);
        assertThat(new String(bare.data, StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(bare.arrivalMillis).isNull();
        assertThat(new String(Base64LineFormat.parse("not base64 at all!").data, StandardCharsets.UTF_8)).isEqualTo("not base64 at all!");
        // JSON that is not a captured record (no Data) is its own text, not an error.
        KinesisRecord json = Base64LineFormat.parse("{\"level\":\"INFO\"}");
        assertThat(new String(json.data, StandardCharsets.UTF_8)).isEqualTo("{\"level\":\"INFO\"}");
        assertThat(json.arrivalMillis).isNull();
        assertThat(Base64LineFormat.parse("{\"Data\":\"" + DATA + "\",\"ApproximateArrivalTimestamp\":\"yesterday\"}").arrivalMillis).isNull();
    }
}
