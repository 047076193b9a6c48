package dev.nagare.job.testing;

import java.nio.file.Path;

/** Where the build installs the stand-ins for the tests (surefire runs in the module folder). */
public final class StandInTools {
    private StandInTools() {}

    /** kinesis-local, the S3Proxy classpath and the Flink plugins folder are under {@code job/target}. */
    public static final Path DIR = Path.of("target");
}
