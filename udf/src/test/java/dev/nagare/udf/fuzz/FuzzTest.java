package dev.nagare.udf.fuzz;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded share of the fuzz command ({@link Fuzz}): 20,000 inputs of every generator, the gzip
 * bombs and multi-megabyte lines included (each generator runs at least once). Nothing but decode
 * and parse errors may come out of the decoder, the parser or a SQL function.
 */
class FuzzTest {
    @Test
    void noThrowableEscapesTwentyThousandHostileRecords() {
        FuzzRun.Result result = FuzzRun.run(20_000, 20_240_601L);
        System.out.print(result.report());
        assertThat(result.generatorErrors).as(result.generatorErrorSample).isZero();
        assertThat(result.escapedSamples).isEmpty();
        assertThat(result.escaped).isZero();
        assertThat(result.generators.values()).allSatisfy(g -> assertThat(g.inputs).isPositive());
        assertThat(result.decodeErrors).isPositive();
        assertThat(result.parsed).isPositive();
    }
}
