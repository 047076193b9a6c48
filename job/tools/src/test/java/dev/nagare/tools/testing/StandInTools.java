package dev.nagare.tools.testing;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.testing.Await;
import dev.nagare.job.testing.Lakes;
import dev.nagare.tools.local.KinesisLocal;
import dev.nagare.tools.local.S3Local;

import java.nio.file.Path;

/** Where the build installs the stand-ins for the tests, and the job's settings for them. */
public final class StandInTools {
    private StandInTools() {}

    /** kinesis-local, the S3Proxy classpath and the Flink plugins folder are under {@code job/tools/target} (surefire runs in the module folder). */
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

    /**
     * Waits until a table of a lake on S3 ({@code s3://bucket/prefix}) holds at least {@code rows}
     * committed rows, or the timeout passes; returns the local copy made last (under
     * {@code work}), which holds the table as a subfolder.
     */
    public static Path awaitS3Rows(String lake, String table, long rows, java.time.Duration timeout, Path work) throws Exception {
        return Await.until(() -> {
            Path copy = java.nio.file.Files.createTempDirectory(work, "s3-copy");
            S3Local.download(lake + "/" + table, copy.resolve(table));
            return copy;
        }, copy -> Lakes.countRows(copy, table) >= rows, timeout);
    }
}
