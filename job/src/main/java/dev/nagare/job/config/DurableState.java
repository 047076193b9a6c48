package dev.nagare.job.config;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.StateBackendOptions;

import java.util.Optional;

/**
 * Where the job keeps its state. The event-id dedup alone holds an hour of ids: heap state and the
 * JobManager's 5 MB in-memory checkpoint storage (Flink's defaults on a cluster of its own) fail
 * within minutes, and then every checkpoint fails and the job restarts in a loop. So the job runs
 * on durable checkpoint storage or does not start, and on RocksDB with incremental checkpoints,
 * as Managed Flink always does, unless the Flink configuration chose a state backend itself.
 */
public final class DurableState {
    private DurableState() {}

    /**
     * The settings to add to a job's environment.
     *
     * @param flink the Flink configuration the job is submitted with (the cluster's, or Managed Flink's)
     * @param checkpointDir where to checkpoint when the Flink configuration names no place; empty for none
     * @throws ConfigException when neither names durable checkpoint storage
     */
    public static Configuration settings(ReadableConfig flink, Optional<String> checkpointDir) {
        Configuration settings = new Configuration();
        if (checkpointDir.isPresent()) {
            settings.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            settings.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir.get());
        } else if (flink.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isEmpty()) {
            throw new ConfigException("Invalid configuration: no durable checkpoint storage; set the key 'checkpoint.dir' in group "
                    + "'job' (for example s3://my-bucket/nagare/checkpoints) or execution.checkpointing.dir in the Flink "
                    + "configuration: the JobManager's in-memory default holds 5 MB, which the job's state outgrows within minutes");
        }
        if (flink.getOptional(StateBackendOptions.STATE_BACKEND).isEmpty()) {
            settings.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
            settings.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        }
        return settings;
    }

    /** {@link #settings} with the job's {@code job.checkpoint.dir}. */
    public static Configuration settings(ReadableConfig flink, NagareConfig config) {
        return settings(flink, config.getOptional(NagareOptions.CHECKPOINT_DIR));
    }
}
