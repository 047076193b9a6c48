package dev.nagare.udf.parse;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LambdaTextParserTest {
    private final LambdaTextParser parser = new LambdaTextParser();

    @Test
    void aReportLineWithNumbersThatAreNotNumbersStillParses() {
        // These threw NumberFormatException: "1.2.3" matches [0-9.]+ and 99999999999 is past an int.
        NormalizedEvent e = new NormalizedEvent();
        parser.parse("REPORT RequestId: 5b0e6d1a-9c4f-4e7b-8a2d-3f1c0b9e7d64\tDuration: 1.2.3 ms\tBilled Duration: 2 ms\t"
                + "Memory Size: 99999999999 MB\tMax Memory Used: 64 MB\tInit Duration: 12.5 ms\n", e);
        assertThat(e.requestId).isEqualTo("5b0e6d1a-9c4f-4e7b-8a2d-3f1c0b9e7d64");
        assertThat(e.lambdaDurationMs).isNull();
        assertThat(e.lambdaMemorySizeMb).isNull();
        assertThat(e.lambdaMaxMemoryMb).isEqualTo(64);
        assertThat(e.lambdaInitMs).isEqualTo(12.5);
        assertThat(e.level).isEqualTo("INFO");
    }
}
