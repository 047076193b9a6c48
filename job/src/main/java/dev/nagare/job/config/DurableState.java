package dev.nagare.job.config;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.List;
import java.util.Optional;

/**
 * Where the job keeps its state. The event-id dedup alone holds an hour of ids: heap state and the
 * JobManager's 5 MB in-memory checkpoint storage (Flink's defaults on a cluster of its own) fail
 * within minutes, and then every checkpoint fails and the job restarts in a loop. So the job runs
 * on durable checkpoint storage or does not start, and on RocksDB with incremental checkpoints,
 * as Managed Flink always does, unless the Flink configuration chose a state backend itself.
 */
public final class DurableState {
    /**
     * RocksDB's memtable size, {@code RocksDBConfigurableOptions.WRITE_BUFFER_SIZE} (declared by
     * key here: the RocksDB backend is a provided dependency, in every Flink distribution, and the
     * job's configuration code stays clear of its classes, as the job also runs on heap state).
     */
    static final ConfigOption<MemorySize> ROCKSDB_WRITE_BUFFER_SIZE =
            ConfigOptions.key("state.backend.rocksdb.writebuffer.size").memoryType().noDefaultValue();
    /**
     * Every stateful operator (dedup, each rule's windows and matches, the rollup) is a RocksDB
     * instance of its own, and every state in it a column family whose memtable takes one arena
     * block (1/8 of the write buffer size) as soon as it is written. With RocksDB's 64 MB default,
     * a slot's few dozen column families claim more than the slot's share of managed memory for
     * write buffers, so RocksDB flushes on nearly every write and stalls: measured with
     * {@code StateBenchmark}, 400 events/s against 2,000+ with 4 MB buffers.
     */
    static final MemorySize WRITE_BUFFER_SIZE = MemorySize.parse("4m");
    /**
     * Bloom filters in every SST file, {@code RocksDBConfigurableOptions.USE_BLOOM_FILTER}. Nearly
     * every dedup lookup is for an id never seen, and without a filter RocksDB answers a miss by
     * reading every level that could hold the key, so each event cost more the more ids the hour
     * held: at a sustained 20,000 events/s both dedup threads spent their time in
     * {@code RocksDB.get} and the job fell further behind every minute. With 10 bits per key
     * (Flink's default) a miss is settled in memory, 1% of the time by a read.
     */
    static final ConfigOption<Boolean> ROCKSDB_USE_BLOOM_FILTER =
            ConfigOptions.key("state.backend.rocksdb.use-bloom-filter").booleanType().noDefaultValue();
    /**
     * The compression of every level's SST files, {@code RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL}
     * (a list of RocksDB {@code CompressionType} names).
     */
    static final ConfigOption<List<String>> ROCKSDB_COMPRESSION_PER_LEVEL =
            ConfigOptions.key("state.backend.rocksdb.compression.per.level").stringType().asList().noDefaultValue();
    /**
     * LZ4 instead of Flink's default Snappy. Every event writes its id to the dedup state, and
     * RocksDB's flushes and compactions compress those files again at every level: with Snappy
     * its background threads took 3.2 of the job's 23.5 core-us per event in a 1.2M-record
     * benchmark run, with LZ4 2.0 of 21.4. LZ4 compresses about as well: a 150,000-event
     * {@code StateBenchmark} held 39.8 MB against 44.0 with Snappy, and 137 MB uncompressed,
     * which is why compression stays on (the rules' rows compress, and every incremental
     * checkpoint uploads the new files). docs/BENCHMARKS.md has the runs.
     */
    static final String COMPRESSION = "LZ4_COMPRESSION";

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
        settings.addAll(rocksDbTuning(flink));
        return settings;
    }

    /**
     * The RocksDB settings the job needs that the Flink configuration does not set itself: small
     * write buffers, bloom filters and LZ4 compression. Applied also where the platform chose
     * RocksDB (Managed Flink always does); harmless on heap state.
     */
    public static Configuration rocksDbTuning(ReadableConfig flink) {
        Configuration settings = new Configuration();
        if (flink.getOptional(ROCKSDB_WRITE_BUFFER_SIZE).isEmpty()) {
            settings.set(ROCKSDB_WRITE_BUFFER_SIZE, WRITE_BUFFER_SIZE);
        }
        if (flink.getOptional(ROCKSDB_USE_BLOOM_FILTER).isEmpty()) {
            settings.set(ROCKSDB_USE_BLOOM_FILTER, true);
        }
        if (flink.getOptional(ROCKSDB_COMPRESSION_PER_LEVEL).isEmpty()) {
            // As text, the form every reader parses: Flink's own option is a list of RocksDB's
            // enum and hands a stored list back as it is, so a list of strings copied into a
            // configuration as an object would reach RocksDB as strings; and a list written out
            // as YAML ("[LZ4_COMPRESSION]") is not a name to a reader of the legacy format.
            settings.setString(ROCKSDB_COMPRESSION_PER_LEVEL.key(), COMPRESSION);
        }
        return settings;
    }

    /**
     * Durable state for a job submitted to a cluster or to Managed Flink: {@link #settings} with
     * {@code job.checkpoint.dir}, and checkpoints every {@code job.checkpoint.interval} unless the
     * platform enabled them (Managed Flink configures its own; elsewhere the lake needs them to
     * commit files).
     */
    public static void configure(StreamExecutionEnvironment env, NagareConfig config) {
        env.configure(settings(env.getConfiguration(), config));
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(config.get(NagareOptions.CHECKPOINT_INTERVAL).toMillis());
        }
    }

    /** {@link #settings} with the job's {@code job.checkpoint.dir}. */
    public static Configuration settings(ReadableConfig flink, NagareConfig config) {
        return settings(flink, config.getOptional(NagareOptions.CHECKPOINT_DIR));
    }
}
