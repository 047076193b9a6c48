package dev.nagare.job.testing;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.local.KinesisLocal;

import java.nio.file.Path;

/** Where the build installs the stand-ins for the tests, and the job's settings for them. */
public final class StandInTools {
    private StandInTools() {}

    /** kinesis-local, the S3Proxy classpath and the Flink plugins folder are under {@code job/target} (surefire runs in the module folder). */
    public static final Path DIR = Path.of("target");

    /**
     * The job's source settings for a stream of a kinesis-local stand-in, read from its oldest
     * record, with watermarks tuned for short tests (small out-of-orderness, quick idleness).
     */
    public static NagareConfig kinesisSource(KinesisLocal kinesis, NagareConfig config, String streamArn) {
        return config
                .with("source.type", "kinesis")
                .with("source.kinesis.stream-arn", streamArn)
                .with("source.kinesis.endpoint", kinesis.endpoint())
                .with("source.kinesis.region", KinesisLocal.REGION)
                .with("source.kinesis.initial-position", "trim_horizon")
                .with("source.kinesis.shard-discovery-interval", "1 s")
                .with("source.kinesis.access-key-id", KinesisLocal.ACCESS_KEY)
                .with("source.kinesis.secret-access-key", KinesisLocal.SECRET_KEY)
                .with("job.watermark.out-of-orderness", "5 s")
                .with("job.watermark.idle-timeout", "2 s");
    }
}
