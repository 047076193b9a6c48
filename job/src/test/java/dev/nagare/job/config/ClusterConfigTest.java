package dev.nagare.job.config;

import dev.nagare.job.NagareJob;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cluster entry point never falls back to the local demo configuration (issue #10). */
class ClusterConfigTest {
    private static final Map<String, Properties> NOT_ON_MANAGED_FLINK = null;

    @TempDir
    Path dir;

    @Test
    void withoutConfigurationItStopsWithOneLineNamingTheWaysToConfigure() {
        assertThatThrownBy(() -> ConfigLoader.loadForCluster(new String[0], () -> NOT_ON_MANAGED_FLINK))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("No configuration: pass --config FILE")
                .hasMessageContaining("property groups (source, lake, parse, redact, rules, alerts, job")
                .hasMessageContaining("on Managed Flink")
                .hasMessageContaining("demo configuration runs only locally")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void theMainStopsBeforeBuildingAJob() {
        // Not on Managed Flink in tests: no application properties file.
        assertThatThrownBy(() -> NagareJob.main(new String[0]))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("No configuration: pass --config FILE");
    }

    @Test
    void aMistypedOrUnknownArgumentIsNamed() {
        assertThatThrownBy(() -> ConfigLoader.loadForCluster(new String[] {"--conf", "x.json"}, () -> NOT_ON_MANAGED_FLINK))
                .hasMessage("Invalid arguments: unknown argument '--conf'; allowed: --config FILE");
        assertThatThrownBy(() -> NagareJob.main(new String[] {"--conf=x.json"}))
                .hasMessage("Invalid arguments: unknown argument '--conf=x.json'; allowed: --config FILE");
        assertThatThrownBy(() -> ConfigLoader.loadForCluster(new String[] {"--config", "../conf/production.json", "extra"},
                () -> NOT_ON_MANAGED_FLINK))
                .hasMessage("Invalid arguments: unknown argument 'extra'; allowed: --config FILE");
        assertThatThrownBy(() -> ConfigLoader.loadForCluster(new String[] {"--config=a.json", "--config", "b.json"},
                () -> NOT_ON_MANAGED_FLINK))
                .hasMessage("Invalid arguments: --config given 2 times; allowed once: --config FILE");
        assertThatThrownBy(() -> ConfigLoader.loadForCluster(new String[] {"--config"}, () -> NOT_ON_MANAGED_FLINK))
                .hasMessage("Invalid arguments: --config needs a value");
    }

    @Test
    void aFileIsUsedEvenOnManagedFlink() {
        NagareConfig config = ConfigLoader.loadForCluster(new String[] {"--config", "../conf/production.json"},
                () -> Map.of("source", props("type", "demo"), "lake", props("path", "/elsewhere")));
        assertThat(config.get(NagareOptions.SOURCE_TYPE)).isEqualTo(SourceType.KINESIS);
        assertThat(config.get(NagareOptions.LAKE_PATH)).isEqualTo("s3://nagare-lake/nagare");
    }

    @Test
    void managedFlinkPropertiesAreUsedWithoutArguments() {
        NagareConfig config = ConfigLoader.loadForCluster(new String[0],
                () -> Map.of("source", props("type", "kinesis", "kinesis.stream-arn", "arn:aws:kinesis:eu-west-1:111122223333:stream/logs"),
                        "lake", props("path", "s3://bucket/lake")));
        assertThat(config.get(NagareOptions.SOURCE_TYPE)).isEqualTo(SourceType.KINESIS);
        assertThat(config.get(NagareOptions.LAKE_PATH)).isEqualTo("s3://bucket/lake");
    }

    @Test
    void aConfigurationThatLeavesTheDemoDefaultsIsRefused() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.loadForCluster(new String[0], () -> Map.of("alerts", props("print", "true"))))
                .hasMessage("Invalid configuration: source.type and lake.path must be set on a cluster"
                        + " (their defaults are the local demo's: generated records, lake on local disk)");
        Path file = dir.resolve("no-lake.json");
        Files.writeString(file, "[{\"PropertyGroupId\":\"source\",\"PropertyMap\":{\"type\":\"demo\"}}]");
        assertThatThrownBy(() -> ConfigLoader.loadForCluster(new String[] {"--config", file.toString()}, () -> NOT_ON_MANAGED_FLINK))
                .hasMessageStartingWith("Invalid configuration: lake.path must be set on a cluster");
    }

    @Test
    void theLocalRunKeepsItsDemoDefault() {
        assertThat(ConfigLoader.load(new String[0]).get(NagareOptions.SOURCE_TYPE)).isEqualTo(SourceType.DEMO);
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }
}
