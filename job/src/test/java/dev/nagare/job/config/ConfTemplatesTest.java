package dev.nagare.job.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local run with stand-ins uses the production configuration keys; only endpoints (and the
 * stand-ins' own settings) differ. Compared key by key, so the two files cannot drift apart.
 */
class ConfTemplatesTest {
    /** Keys only the stand-in run has: where the stand-ins listen, their dummy credentials, the demo feed. */
    private static final Set<String> STAND_IN_ONLY = Set.of(
            "source.kinesis.endpoint", "source.kinesis.access-key-id", "source.kinesis.secret-access-key");
    /** Keys both have with different values: where alerts go. */
    private static final Set<String> ENDPOINTS = Set.of("alerts.webhook.url");

    @Test
    void bothTemplatesAreValid() {
        ConfigLoader.load(new String[] {"--config", "../conf/production.json"});
        ConfigLoader.load(new String[] {"--config", "../conf/local-standins.json"});
    }

    @Test
    void theStandInRunDiffersFromProductionOnlyInEndpoints() {
        Map<String, String> production = flatten(ConfigLoader.readFile(Path.of("../conf/production.json")));
        Map<String, String> local = flatten(ConfigLoader.readFile(Path.of("../conf/local-standins.json")));

        assertThat(local.keySet()).containsAll(production.keySet());
        production.forEach((key, value) -> {
            if (!ENDPOINTS.contains(key)) {
                assertThat(local.get(key)).as(key).isEqualTo(value);
            }
        });
        for (String key : local.keySet()) {
            if (!production.containsKey(key)) {
                assertThat(STAND_IN_ONLY.contains(key) || key.startsWith("local.") || key.startsWith("source.demo."))
                        .as("%s is only in local-standins.json", key).isTrue();
            }
        }
        assertThat(local).containsEntry("local.stand-ins", "true");
    }

    private static Map<String, String> flatten(Map<String, Properties> groups) {
        Map<String, String> flat = new TreeMap<>();
        groups.forEach((group, properties) -> properties.stringPropertyNames()
                .forEach(key -> flat.put(group + "." + key, properties.getProperty(key))));
        return flat;
    }
}
