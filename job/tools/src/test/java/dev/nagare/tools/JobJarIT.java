package dev.nagare.tools;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job jar (job/target, uploaded to Managed Flink or put on a cluster) carries the product
 * only: none of the developer tooling, and none of Flink itself, which the cluster provides.
 */
class JobJarIT {
    /** Tooling and test code, and Flink's own runtime, table API and planner. */
    private static final List<String> FORBIDDEN = List.of(
            "dev/nagare/tools/",                 // the whole tooling module: stand-ins, CLI, rule-case runner, local run
            "dev/nagare/job/local/",             // where the stand-ins used to live
            "dev/nagare/job/cli/",
            "dev/nagare/job/rules/testing/",
            "nagare/local/",                     // the stand-ins' scripts and settings
            "picocli/",
            "org/apache/flink/runtime/minicluster/",
            "org/apache/flink/runtime/jobmaster/",
            "org/apache/flink/table/api/bridge/",
            "org/apache/flink/table/planner/",
            "org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class",
            "org/junit/",
            "org/assertj/");

    @Test
    void theJobJarCarriesOnlyTheProduct() throws Exception {
        Path jar = Path.of(System.getProperty("nagare.job.jar"));
        assertThat(jar).exists();
        List<String> entries;
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            entries = zip.stream().map(ZipEntry::getName).collect(Collectors.toList());
        }
        // What the job needs is there: the read below is of the real jar, not of an empty one.
        assertThat(entries).contains(
                "dev/nagare/job/NagareJob.class",
                "dev/nagare/udf/parse/EventParser.class",
                "nagare/sql/rules/app_error_rate.sql",
                "org/apache/flink/connector/kinesis/source/KinesisStreamsSource.class",
                "org/apache/flink/formats/parquet/ParquetWriterFactory.class");
        List<String> forbidden = entries.stream()
                .filter(e -> FORBIDDEN.stream().anyMatch(e::startsWith) || e.matches(".*Collecting[A-Za-z]*Sink.*\\.class"))
                .collect(Collectors.toList());
        assertThat(forbidden).as("tooling, test or Flink runtime classes in " + jar.getFileName()).isEmpty();
        assertThat(Files.size(jar)).as("job jar size").isLessThan(150L * 1024 * 1024);
    }
}
