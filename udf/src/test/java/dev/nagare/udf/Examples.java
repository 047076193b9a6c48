package dev.nagare.udf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The format examples written for the project: test resources under {@code examples/}, read from
 * the classpath so the job's tests find them in udf's test-jar as well. The Kinesis records that
 * wrap them are built by {@link KinesisRecords}.
 */
public final class Examples {
    private Examples() {}

    public static String text(String name) {
        try (InputStream in = Examples.class.getResourceAsStream("/examples/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no example " + name + " on the test classpath (udf/src/test/resources/examples)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The example's lines, without their line terminators. */
    public static List<String> lines(String name) {
        return text(name).lines().collect(Collectors.toList());
    }
}
