package dev.nagare.job.config;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.junit.jupiter.api.Test;

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
        assertThat(DurableState.settings(cluster, Optional.empty()).toMap()).isEmpty();
    }

    @Test
    void rocksDbChosenByThePlatformGetsSmallWriteBuffersAndBloomFilters() {
        // Managed Flink: storage and RocksDB are the platform's; the job's many column families
        // still need write buffers small enough to share a slot's managed memory, and the dedup's
        // lookups of new ids bloom filters.
        Configuration managed = new Configuration();
        managed.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "s3://managed/checkpoints");
        managed.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        assertThat(DurableState.settings(managed, Optional.empty()).toMap())
                .containsOnly(java.util.Map.entry("state.backend.rocksdb.writebuffer.size", "4 mb"),
                        java.util.Map.entry("state.backend.rocksdb.use-bloom-filter", "true"));
    }

    @Test
    void aRelativeOrSchemelessDirectoryIsRejectedAtStartUp() {
        assertThatThrownBy(() -> NagareConfig.defaults().with("job.checkpoint.dir", "checkpoints"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'checkpoints' for key 'checkpoint.dir' in group 'job'");
    }
}
