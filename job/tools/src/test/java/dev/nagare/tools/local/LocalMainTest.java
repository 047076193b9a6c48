package dev.nagare.tools.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Start-up with a bad configuration, as a user sees it: a separate JVM, its exit code and stderr. */
class LocalMainTest {
    @TempDir
    Path dir;

    @Test
    void unknownSourceTypeStopsStartUpWithOneLine() throws Exception {
        Result r = run("[{\"PropertyGroupId\":\"source\",\"PropertyMap\":{\"type\":\"kafka\"}}]");
        assertThat(r.exitCode).isEqualTo(2);
        assertThat(r.stderr).containsExactly(
                "nagare: Invalid configuration value 'kafka' for key 'type' in group 'source': must be one of: demo, kinesis, replay");
    }

    @Test
    void negativeRateStopsStartUpWithOneLine() throws Exception {
        Result r = run("[{\"PropertyGroupId\":\"source\",\"PropertyMap\":{\"demo.rate\":\"-5\"}}]");
        assertThat(r.exitCode).isEqualTo(2);
        assertThat(r.stderr).containsExactly(
                "nagare: Invalid configuration value '-5' for key 'demo.rate' in group 'source': must be an integer from 1 to 1000");
    }

    private Result run(String config) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, config);
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"),
                        dev.nagare.tools.cli.Nagare.class.getName(), "run", "--config", file.toString())
                .redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("nagare run did not stop on a bad configuration");
        }
        return new Result(p.exitValue(), Files.readAllLines(err, StandardCharsets.UTF_8));
    }

    private static final class Result {
        final int exitCode;
        final List<String> stderr;

        Result(int exitCode, List<String> stderr) {
            this.exitCode = exitCode;
            this.stderr = stderr;
        }
    }
}
