package dev.nagare.job.config;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.contrib.streaming.state.PredefinedOptions;
import org.apache.flink.contrib.streaming.state.RocksDBConfigurableOptions;
import org.apache.flink.contrib.streaming.state.RocksDBResourceContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.TableProperties;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurableStateTest {
    @Test
    void withoutDurableStorageTheJobDoesNotStartAndSaysWhichKeyToSet() {
        assertThatThrownBy(() -> DurableState.settings(new Configuration(), NagareConfig.defaults()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration: no durable checkpoint storage; set the key 'checkpoint.dir' in group 'job' "
                        + "(for example s3://my-bucket/nagare/checkpoints) or execution.checkpointing.dir in the Flink configuration: "
                        + "the JobManager's in-memory default holds 5 MB, which the job's state outgrows within minutes");
    }

    @Test
    void jobCheckpointDirNamesFileStorageAndRocksDbIsTheDefault() {
        Configuration settings = DurableState.settings(new Configuration(),
                NagareConfig.defaults().with("job.checkpoint.dir", "s3://bucket/nagare/checkpoints"));
        assertThat(settings.get(CheckpointingOptions.CHECKPOINT_STORAGE)).isEqualTo("filesystem");
        assertThat(settings.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo("s3://bucket/nagare/checkpoints");
        assertThat(settings.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
        assertThat(settings.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
    }

    @Test
    void whatTheFlinkConfigurationChoseIsKept() {
        // Managed Flink, or a cluster whose configuration names storage and a backend.
        Configuration cluster = new Configuration();
        cluster.setString("state.checkpoints.dir", "s3://managed/checkpoints"); // the deprecated key counts too
        cluster.set(StateBackendOptions.STATE_BACKEND, "hashmap");
        cluster.setString("state.backend.rocksdb.writebuffer.size", "32mb");
        cluster.setString("state.backend.rocksdb.use-bloom-filter", "false");
        cluster.setString("state.backend.rocksdb.compression.per.level", "SNAPPY_COMPRESSION");
        assertThat(DurableState.settings(cluster, Optional.empty()).toMap()).isEmpty();
    }

    @Test
    void rocksDbChosenByThePlatformGetsSmallWriteBuffersBloomFiltersAndLz4() {
        // Managed Flink: storage and RocksDB are the platform's; the job's many column families
        // still need write buffers small enough to share a slot's managed memory, the dedup's
        // lookups of new ids bloom filters, and its flushes and compactions a cheaper compression.
        Configuration managed = platformChoseRocksDb();
        assertThat(DurableState.settings(managed, Optional.empty()).toMap())
                .containsOnly(java.util.Map.entry("state.backend.rocksdb.writebuffer.size", "4 mb"),
                        java.util.Map.entry("state.backend.rocksdb.use-bloom-filter", "true"),
                        java.util.Map.entry("state.backend.rocksdb.compression.per.level", "LZ4_COMPRESSION"));
    }

    /**
     * The settings, read by Flink's RocksDB backend as they are and as a cluster receives them
     * (strings), open a real RocksDB whose files are LZ4-compressed: the option's name and value
     * are Flink's, and the native library in the job's Flink version has LZ4 (one without it
     * fails every job on RocksDB when its state backend opens).
     */
    @Test
    void rocksDbWritesLz4CompressedFiles(@TempDir Path dir) throws Exception {
        Configuration managed = platformChoseRocksDb();
        Configuration settings = DurableState.settings(managed, Optional.empty());
        // Read as they are: the benchmarks and the local run add them to a MiniCluster's configuration.
        assertThat(settings.get(RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL)).containsExactly(CompressionType.LZ4_COMPRESSION);
        Configuration submitted = Configuration.fromMap(settings.toMap());
        assertThat(submitted.get(RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL)).containsExactly(CompressionType.LZ4_COMPRESSION);

        RocksDB.loadLibrary();
        try (RocksDBResourceContainer resources = new RocksDBResourceContainer(submitted, PredefinedOptions.DEFAULT, null, null,
                     dir.resolve("db").toFile(), false);
             Options options = new Options(resources.getDbOptions(), resources.getColumnOptions()).setCreateIfMissing(true);
             RocksDB db = RocksDB.open(options, dir.resolve("db").toString());
             FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            assertThat(options.compressionPerLevel()).containsOnly(CompressionType.LZ4_COMPRESSION);
            byte[] value = "the same rule row, again and again ".repeat(20).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 1_000; i++) {
                db.put(("key-" + i).getBytes(StandardCharsets.UTF_8), value);
            }
            db.flush(flush);
            Map<String, TableProperties> tables = db.getPropertiesOfAllTables();
            assertThat(tables).isNotEmpty();
            assertThat(tables.values()).allSatisfy(table -> {
                assertThat(table.getCompressionName()).isEqualTo("LZ4");
                assertThat(table.getDataSize()).isLessThan(table.getRawValueSize() / 4);
            });
        }
    }

    /** Managed Flink's configuration: the platform names checkpoint storage and RocksDB, nothing of RocksDB's tuning. */
    private static Configuration platformChoseRocksDb() {
        Configuration managed = new Configuration();
        managed.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "s3://managed/checkpoints");
        managed.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        return managed;
    }

    @Test
    void aRelativeOrSchemelessDirectoryIsRejectedAtStartUp() {
        assertThatThrownBy(() -> NagareConfig.defaults().with("job.checkpoint.dir", "checkpoints"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'checkpoints' for key 'checkpoint.dir' in group 'job'");
    }
}
