package dev.nagare.job.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void theShippedLocalConfigurationIsValid() {
        NagareConfig config = ConfigLoader.load(new String[] {"--config", "../conf/local.json"});
        assertThat(config.get(NagareOptions.LOCAL_WEB_UI_PORT)).isEqualTo(8081);
        assertThat(config.get(NagareOptions.LOCAL_PARALLELISM)).isEqualTo(2);
    }

    @Test
    void withoutArgumentsTheBundledDefaultIsUsed() {
        // Not on Managed Flink here, so there are no runtime properties to find.
        assertThat(ConfigLoader.load(new String[0]).get(NagareOptions.SOURCE_TYPE)).isEqualTo(SourceType.DEMO);
    }

    @Test
    void readsTheManagedFlinkShape() throws Exception {
        Path file = dir.resolve("conf.json");
        Files.writeString(file, "[{\"PropertyGroupId\":\"source\",\"PropertyMap\":{\"demo.rate\":7}},"
                + "{\"PropertyGroupId\":\"lake\",\"PropertyMap\":{\"path\":\"/tmp/x\"}}]");
        NagareConfig config = ConfigLoader.load(new String[] {"--config=" + file});
        assertThat(config.get(NagareOptions.DEMO_RATE)).isEqualTo(7);
        assertThat(config.get(NagareOptions.LAKE_PATH)).isEqualTo("/tmp/x");
    }

    @Test
    void clearMessagesForBadFiles() throws Exception {
        Path missing = dir.resolve("missing.json");
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--config", missing.toString()}))
                .hasMessage("Invalid configuration: file " + missing + " does not exist");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "[{\"PropertyGroupId\": \"source\",\n \"PropertyMap\": {\"type\": }}]");
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--config", broken.toString()}))
                .hasMessageStartingWith("Invalid configuration: " + broken + " is not valid JSON: Unexpected character ('}'")
                .hasMessageEndingWith("at line 2, column 26");
        Path object = dir.resolve("object.json");
        Files.writeString(object, "{\"source\": {\"type\": \"demo\"}}");
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--config", object.toString()}))
                .hasMessage("Invalid configuration: " + object
                        + " must be a JSON array of {\"PropertyGroupId\": ..., \"PropertyMap\": {...}}");
        assertThatThrownBy(() -> ConfigLoader.load(new String[] {"--config"}))
                .hasMessage("Invalid arguments: --config needs a value");
    }
}
