package dev.nagare.job.lake;

import dev.nagare.job.config.LakeCompression;
import dev.nagare.job.schema.Schemas;
import dev.nagare.job.testing.Lakes;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link LakeWriter} and {@link LakeCommitter} in Flink's operator harnesses, with a real lake in a
 * temporary folder read back by DuckDB: files become visible only when their checkpoint completes,
 * staging is emptied after the commit, and a restore from an older checkpoint takes back what later
 * checkpoints committed.
 */
class LakeCommitterTest {
    static final long T0 = Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();
    static final long FILE_BYTES = 128L << 20;

    /**
     * The harness restores every snapshot as checkpoint 0 ({@code initializeState} reports that id),
     * so the checkpoint a test restores from has id 0 and later ones count up from it.
     */
    static final long RESTORED = 0;

    @TempDir
    Path lake;

    private final List<OneInputStreamOperatorTestHarness<?, ?>> harnesses = new ArrayList<>();

    @AfterEach
    void closeHarnesses() throws Exception {
        for (OneInputStreamOperatorTestHarness<?, ?> harness : harnesses) {
            harness.close();
        }
    }

    static Row event(String id, long time) {
        NormalizedEvent e = new NormalizedEvent();
        e.eventId = id;
        e.eventTimeMillis = time;
        e.ingestTimeMillis = time;
        e.logType = "app";
        e.logGroup = "/ecs/orders";
        e.message = "order " + id + " placed";
        return Schemas.logRow(e);
    }

    private OneInputStreamOperatorTestHarness<Object, LakeFile> writer() throws Exception {
        OneInputStreamOperatorTestHarness<Object, LakeFile> writer = new OneInputStreamOperatorTestHarness<>(
                new LakeWriter(Lake.LOGS_TABLE, lake.toUri() + "/" + Lake.STAGING, FILE_BYTES, LakeCompression.SNAPPY));
        harnesses.add(writer);
        writer.open();
        return writer;
    }

    private OneInputStreamOperatorTestHarness<LakeFile, Void> committer(OperatorSubtaskState restore) throws Exception {
        OneInputStreamOperatorTestHarness<LakeFile, Void> committer = new OneInputStreamOperatorTestHarness<>(
                new LakeCommitter(lake.toUri().toString().replaceAll("/$", ""), true, FILE_BYTES, Duration.ofDays(30)));
        harnesses.add(committer);
        committer.getStreamConfig().setCheckpointingEnabled(true);
        if (restore != null) {
            committer.initializeState(restore);
        }
        committer.open();
        return committer;
    }

    /** Writes the rows, then does what a checkpoint barrier does: the writer flushes, the committer snapshots. */
    private static OperatorSubtaskState checkpoint(long id, OneInputStreamOperatorTestHarness<Object, LakeFile> writer,
                                                   OneInputStreamOperatorTestHarness<LakeFile, Void> committer,
                                                   Row... rows) throws Exception {
        for (Row row : rows) {
            writer.processElement(row, T0);
        }
        writer.prepareSnapshotPreBarrier(id);
        for (LakeFile file : writer.extractOutputValues()) {
            committer.processElement(file, T0);
        }
        writer.getOutput().clear();
        return committer.snapshot(id, T0);
    }

    private long committedRows() throws Exception {
        if (files(lake.resolve(Lake.LOGS)).isEmpty()) {
            return 0;
        }
        try (Lakes read = new Lakes(lake, Lake.LOGS)) {
            return read.count("SELECT count(*) FROM logs");
        }
    }

    private static List<Path> files(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .collect(Collectors.toList());
        }
    }

    @Test
    void filesBecomeVisibleWhenTheirCheckpointCompletesAndStagingEmpties() throws Exception {
        OneInputStreamOperatorTestHarness<Object, LakeFile> writer = writer();
        OneInputStreamOperatorTestHarness<LakeFile, Void> committer = committer(null);
        checkpoint(1, writer, committer, event("e1", T0), event("e2", T0 + 1_000));

        assertThat(committedRows()).isZero(); // checkpoint 1 is not complete yet
        assertThat(files(lake.resolve(Lake.STAGING))).hasSize(1);

        committer.notifyOfCompletedCheckpoint(1);
        assertThat(committedRows()).isEqualTo(2);
        assertThat(files(lake.resolve(Lake.STAGING))).isEmpty();

        // Committed once: completing it again (a repeated notification) adds nothing.
        committer.notifyOfCompletedCheckpoint(1);
        assertThat(committedRows()).isEqualTo(2);
    }

    @Test
    void aRestoreFromAnOlderCheckpointTakesBackWhatLaterOnesCommitted() throws Exception {
        OneInputStreamOperatorTestHarness<Object, LakeFile> writer = writer();
        OneInputStreamOperatorTestHarness<LakeFile, Void> committer = committer(null);
        OperatorSubtaskState first = checkpoint(RESTORED, writer, committer, event("e1", T0));
        committer.notifyOfCompletedCheckpoint(RESTORED);
        checkpoint(RESTORED + 1, writer, committer, event("e2", T0), event("e3", T0));
        committer.notifyOfCompletedCheckpoint(RESTORED + 1);
        assertThat(committedRows()).isEqualTo(3);

        // The source replays everything after checkpoint 1, so the lake must hold what it held then.
        committer(first);
        assertThat(committedRows()).isEqualTo(1);
    }

    /** Files of a checkpoint that had not completed when the snapshot was taken are committed on restore. */
    @Test
    void aRestoreCommitsTheFilesOfItsOwnCheckpoint() throws Exception {
        OneInputStreamOperatorTestHarness<Object, LakeFile> writer = writer();
        OneInputStreamOperatorTestHarness<LakeFile, Void> committer = committer(null);
        OperatorSubtaskState snapshot = checkpoint(RESTORED, writer, committer, event("e1", T0), event("e2", T0));
        assertThat(committedRows()).isZero();

        // The job failed before the notification; a checkpoint restored from is complete all the same.
        committer(snapshot);
        assertThat(committedRows()).isEqualTo(2);
        assertThat(files(lake.resolve(Lake.STAGING))).isEmpty();
    }
}
