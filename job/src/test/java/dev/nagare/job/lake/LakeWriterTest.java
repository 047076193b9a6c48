package dev.nagare.job.lake;

import dev.nagare.job.config.LakeCompression;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link LakeWriter} alone, in Flink's operator harness, writing a real staging folder. */
class LakeWriterTest {
    @TempDir
    Path lake;

    /**
     * {@code lake.rolling.file-size} below Parquet's default row group (128 MB) rolls files
     * between checkpoints: the writer keeps a row group in memory and the file grows only when one
     * is written, so the row groups are no larger than the rolling size.
     */
    @Test
    void aFileIsRolledWhenItReachesTheRollingSize() throws Exception {
        long target = 1 << 20;
        int rows = 6_000;
        try (OneInputStreamOperatorTestHarness<Object, LakeFile> writer = new OneInputStreamOperatorTestHarness<>(
                new LakeWriter(Lake.LOGS_TABLE, lake.toUri() + "/" + Lake.STAGING, target, LakeCompression.SNAPPY))) {
            writer.open();
            Random random = new Random(7);
            for (int i = 0; i < rows; i++) {
                writer.processElement(Schemas.logRow(event("e" + i, random)), LakeCommitterTest.T0);
            }
            writer.prepareSnapshotPreBarrier(1);
            List<LakeFile> files = writer.extractOutputValues().stream().filter(f -> f.path != null).collect(Collectors.toList());

            // About 6 MB of incompressible messages, in files of about the rolling size.
            assertThat(files).hasSizeGreaterThanOrEqualTo(3);
            assertThat(files.subList(0, files.size() - 1)).allSatisfy(f -> assertThat(f.bytes).isBetween(target / 2, 3 * target));
            assertThat(files.stream().mapToLong(f -> f.rows).sum()).isEqualTo(rows);
        }
    }

    private static NormalizedEvent event(String id, Random random) {
        byte[] noise = new byte[750];
        random.nextBytes(noise);
        NormalizedEvent e = new NormalizedEvent();
        e.eventId = id;
        e.eventTimeMillis = LakeCommitterTest.T0;
        e.ingestTimeMillis = LakeCommitterTest.T0;
        e.logType = "app";
        e.logGroup = "/ecs/orders";
        e.message = Base64.getEncoder().encodeToString(noise);
        return e;
    }
}
