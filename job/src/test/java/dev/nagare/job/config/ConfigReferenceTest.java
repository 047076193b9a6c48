package dev.nagare.job.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

/** The README's configuration table is the one {@link ConfigReference} renders from the options. */
class ConfigReferenceTest {
    private static final Path README = Path.of("..", "README.md");
    /** Rewrites the README's table instead of failing; the failure message prints this command. */
    static final String UPDATE_PROPERTY = "nagare.update-readme";
    static final String UPDATE_COMMAND = "mvn -B -q verify -pl job -am -Dtest=ConfigReferenceTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -D" + UPDATE_PROPERTY + "=true";

    @Test
    void theReadmeTableIsGeneratedFromTheOptions() throws Exception {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        String current = ConfigReference.replaceIn(readme);
        if (current.equals(readme)) {
            return;
        }
        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.writeString(README, current, StandardCharsets.UTF_8);
            return;
        }
        fail("README.md's configuration table differs from NagareOptions; regenerate it with\n  " + UPDATE_COMMAND);
    }

    /** Every option is in the table: a new option left out of NagareOptions.ALL fails here. */
    @Test
    void everyOptionIsListed() {
        assertThat(ConfigReference.valueTypes().keySet()).containsExactlyInAnyOrderElementsOf(NagareOptions.ALL);
        assertThat(ConfigReference.table().lines().count()).isEqualTo(NagareOptions.ALL.size() + 2);
    }

    @Test
    void rowsShowGroupKeyDefaultTypeAndMeaning() {
        assertThat(ConfigReference.table().lines())
                .contains("| source | `demo.rate` | `20` | int | Kinesis records per second the demo source emits "
                        + "(each record carries 1 to 5 log events). At most 1000. |")
                .anySatisfy(l -> assertThat(l).startsWith("| source | `type` | `demo` | demo, kinesis, replay | "))
                .anySatisfy(l -> assertThat(l).startsWith("| parse | `dedup.ttl` | `1 h` | duration | "))
                .anySatisfy(l -> assertThat(l).startsWith("| lake | `rolling.file-size` | `128 mb` | size | "))
                .anySatisfy(l -> assertThat(l).startsWith("| source | `kinesis.stream-arn` | — | string | "));
    }

    @Test
    void aReadmeWithoutMarkersIsRefused() {
        assertThatThrownBy(() -> ConfigReference.replaceIn("# no table here\n"))
                .hasMessageContaining("no '" + ConfigReference.BEGIN + "'");
    }

    @Test
    void pipesInDescriptionsDoNotSplitCells() {
        for (String line : (Iterable<String>) ConfigReference.table().lines().skip(2)::iterator) {
            assertThat(line.split("(?<!\\\\)\\|", -1)).as(line).hasSize(7);
        }
    }
}
