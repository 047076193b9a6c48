package dev.nagare.job.config;

import org.apache.flink.configuration.MemorySize;

import java.io.Serializable;
import java.time.Duration;

/**
 * The typed settings of the Parquet lake (property group {@code lake}), with the checks of their
 * values beside them. {@link NagareConfig} runs the checks on every value it reads; {@link #of}
 * reads the settings of a validated configuration.
 */
public final class LakeSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Root of the lake: a folder or a file system URI. */
    public final String path;
    public final LakeCompression compression;
    /** A file is closed at this size (and on every checkpoint). */
    public final long rollingFileBytes;
    public final boolean compaction;
    /** How long each checkpoint's commit marker is kept. */
    public final Duration commitLogRetention;

    private LakeSettings(NagareConfig config) {
        path = config.get(NagareOptions.LAKE_PATH);
        compression = config.get(NagareOptions.LAKE_COMPRESSION);
        rollingFileBytes = config.get(NagareOptions.LAKE_ROLLING_FILE_SIZE).getBytes();
        compaction = config.get(NagareOptions.LAKE_COMPACTION);
        commitLogRetention = config.get(NagareOptions.LAKE_COMMIT_LOG_RETENTION);
    }

    /** The settings of a validated configuration. */
    public static LakeSettings of(NagareConfig config) {
        return new LakeSettings(config);
    }

    /** The checks of the {@code lake} values, beyond what their types enforce. */
    static void registerChecks() {
        NagareConfig.check(NagareOptions.LAKE_PATH, (String v) -> !v.isBlank(), "must be a folder or a file system URI");
        NagareConfig.check(NagareOptions.LAKE_ROLLING_FILE_SIZE, (MemorySize v) -> v.getBytes() >= 1024 * 1024,
                "must be a size of at least 1 mb");
        NagareConfig.check(NagareOptions.LAKE_COMMIT_LOG_RETENTION, NagareConfig::atLeastOneSecond, "must be a duration of at least 1 s");
    }
}
