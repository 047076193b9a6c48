package dev.nagare.job.lake;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.demo.DemoScenario;
import dev.nagare.job.source.demo.DemoSource;
import dev.nagare.job.testing.Await;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.CheckpointConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Restoring from a checkpoint older than files the lake already compacted and committed (what
 * Flink 1.20's filesystem compaction cannot do, FLINK-34109): the job runs with compaction on and
 * every checkpoint retained, is cancelled mid-stream, and is restored from the third-newest
 * checkpoint with restarts off. The lake must then hold every event exactly once, and the
 * per-minute rollup must count every event once, and staging must be left empty.
 */
class LakeRestoreITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension(retainAll());

    static final DemoScenario SCENARIO = new DemoScenario(11, Instant.parse("2024-03-05T09:00:00Z"), 40);
    static final int RECORDS = 4_000;

    @TempDir
    Path dir;

    @Test
    void restoringAnOlderCheckpointLeavesEveryEventInTheLakeOnce() throws Exception {
        long expected = 0;
        for (int i = 0; i < RECORDS; i++) {
            expected += SCENARIO.record(i).validEvents();
        }
        Path lakePath = dir.resolve("lake");
        Path checkpoints = dir.resolve("checkpoints");
        NagareConfig config = NagareConfig.defaults().with("lake.path", lakePath.toString());

        JobClient first = start(config, checkpoints, null);
        List<Long> taken = Await.until(() -> completed(checkpoints), ids -> ids.size() >= 6, Duration.ofMinutes(2));
        first.cancel().get(30, TimeUnit.SECONDS);
        // Cancelled tasks close their open files as they go down: wait until they are all down.
        assertThat(Await.until(() -> first.getJobStatus().get(), s -> s.isGloballyTerminalState(), Duration.ofSeconds(30))
                .isGloballyTerminalState()).isTrue();
        assertThat(Lakes.awaitRows(lakePath, "logs", 1, Duration.ofSeconds(1))).isPositive();
        try (Stream<Path> files = Files.list(lakePath.resolve(Lake.STAGING))) {
            assertThat(files.count()).as("files the cancelled run left in staging").isPositive();
        }

        List<Long> ids = completed(checkpoints);
        long restoreFrom = ids.get(ids.size() - 3);
        // The scenario this test is about: checkpoints after the one restored already committed files.
        assertThat(committedCheckpoints(lakePath)).as("commits after checkpoint %d (taken: %s)", restoreFrom, taken)
                .anyMatch(id -> id > restoreFrom);

        JobClient second = start(config, checkpoints, checkpointDir(checkpoints, restoreFrom));
        MiniClusters.awaitFinished(second, Duration.ofMinutes(3));
        // A finished job's checkpoints are discarded asynchronously after it reports FINISHED; wait
        // for that, or the temporary directory's clean-up races the JobManager's deletes.
        Path secondCheckpoints = checkpoints.resolve(second.getJobID().toHexString());
        assertThat(Await.until(() -> checkpointDirs(secondCheckpoints), List::isEmpty, Duration.ofSeconds(30))).isEmpty();

        try (Lakes lake = new Lakes(lakePath, "logs", "metrics_1m")) {
            assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(expected);
            assertThat(lake.count("SELECT count(DISTINCT (account, log_group, log_stream, event_id)) FROM logs")).isEqualTo(expected);
            assertThat(lake.count("SELECT sum(event_count) FROM metrics_1m")).isEqualTo(expected);
        }
        // The cancelled run left files in staging (closed after its last checkpoint, half-written
        // at the cancel); the restored run's committer removed them, and committed all of its own.
        try (Stream<Path> files = Files.list(lakePath.resolve(Lake.STAGING))) {
            assertThat(files.map(p -> p.getFileName().toString())).isEmpty();
        }
        // Compaction merged the two writers' files: one file per partition and checkpoint.
        try (Stream<Path> files = Files.walk(lakePath.resolve("logs"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("part-")).collect(Collectors.toList());
            assertThat(names).allMatch(n -> n.endsWith("-0.parquet"));
        }
    }

    private static JobClient start(NagareConfig config, Path checkpoints, Path restore) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        if (restore != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, restore.toUri().toString());
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(MiniClusters.PARALLELISM);
        env.enableCheckpointing(500);
        env.getCheckpointConfig().setCheckpointStorage(checkpoints.toUri().toString());
        env.getCheckpointConfig().setExternalizedCheckpointCleanup(CheckpointConfig.ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION);
        NagarePipeline.from(config).source(DemoSource.create(SCENARIO, RECORDS, RateLimiterStrategy.perSecond(200))).outputs().attachTo(env);
        return env.executeAsync("lake-restore");
    }

    /** The JobManager keeps every checkpoint, so an older one can be chosen. */
    private static Configuration retainAll() {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 100);
        return conf;
    }

    /** Ids of the completed (retained) checkpoints, oldest first. */
    private static List<Long> completed(Path checkpoints) throws Exception {
        if (!Files.exists(checkpoints)) {
            return List.of();
        }
        // The JobManager renames a checkpoint's in-progress metadata file while the walk may be
        // listing its directory: a file listed and then gone is not an error, walk again.
        for (int attempt = 1; ; attempt++) {
            try (Stream<Path> files = Files.walk(checkpoints)) {
                return files.filter(p -> p.getFileName().toString().equals("_metadata"))
                        .map(p -> Long.parseLong(p.getParent().getFileName().toString().substring("chk-".length())))
                        .sorted()
                        .collect(Collectors.toList());
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException) || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    /** The {@code chk-N} directories of one job, whether or not their metadata is written. */
    private static List<Path> checkpointDirs(Path jobCheckpoints) throws Exception {
        if (!Files.exists(jobCheckpoints)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(jobCheckpoints)) {
            return files.filter(p -> p.getFileName().toString().startsWith("chk-")).collect(Collectors.toList());
        } catch (NoSuchFileException e) {
            return List.of(); // removed with its last checkpoint since the check above
        }
    }

    private static Path checkpointDir(Path checkpoints, long id) throws Exception {
        try (Stream<Path> files = Files.walk(checkpoints)) {
            return files.filter(p -> p.getFileName().toString().equals("chk-" + id)).findFirst().orElseThrow();
        }
    }

    /** Checkpoint ids with a commit marker in the lake. */
    private static List<Long> committedCheckpoints(Path lake) throws Exception {
        try (Stream<Path> files = Files.walk(lake.resolve(Lake.COMMITS))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .map(n -> Long.parseLong(n.substring(0, n.length() - 5)))
                    .collect(Collectors.toList());
        }
    }
}
