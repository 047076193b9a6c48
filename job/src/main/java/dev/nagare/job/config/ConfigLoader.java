package dev.nagare.job.config;

import com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * Finds the property groups of this run: {@code --config FILE} when given; else the runtime
 * properties of Managed Service for Apache Flink when the job runs there; else the default
 * {@code conf/local.json} bundled in the jar. Files have the shape Managed Flink uses:
 * {@code [{"PropertyGroupId": "source", "PropertyMap": {"type": "demo"}}, ...]}.
 */
public final class ConfigLoader {
    public static final String BUNDLED_DEFAULT = "/nagare/conf/local.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigLoader() {}

    /** The only argument the cluster entry point takes. */
    public static final String CONFIG_ARGUMENT = "--config";

    /** Options a cluster run must set itself: their defaults are the local demo's (generator, lake on local disk). */
    static final java.util.List<org.apache.flink.configuration.ConfigOption<?>> REQUIRED_ON_CLUSTER =
            java.util.List.of(NagareOptions.SOURCE_TYPE, NagareOptions.LAKE_PATH);

    /**
     * The validated configuration of a cluster run ({@code flink run}, Managed Flink): from
     * {@code --config FILE}, else the Managed Flink runtime properties; never the bundled demo
     * default, because a job that silently generates demo data and writes to a task manager's disk
     * looks healthy while doing nothing useful. Anything else on the command line, no configuration
     * at all, or a configuration without {@code source.type} and {@code lake.path} stops it.
     */
    public static NagareConfig loadForCluster(String[] args) {
        return loadForCluster(args, ConfigLoader::managedFlinkProperties);
    }

    static NagareConfig loadForCluster(String[] args, Supplier<Map<String, Properties>> managed) {
        checkOnlyConfigArgument(args);
        String file = argument(args, CONFIG_ARGUMENT);
        NagareConfig config;
        if (file != null) {
            config = NagareConfig.fromGroups(readFile(Path.of(file)));
        } else {
            Map<String, Properties> properties = managed.get();
            if (properties == null) {
                throw new ConfigException("No configuration: pass " + CONFIG_ARGUMENT + " FILE (flink run ... nagare-job.jar "
                        + CONFIG_ARGUMENT + " FILE) or set the runtime property groups (" + String.join(", ", NagareConfig.knownGroups().stream().filter(g -> !g.equals("local")).toArray(String[]::new))
                        + ") on Managed Flink; the demo configuration runs only locally (LocalMain)");
            }
            config = NagareConfig.fromGroups(properties);
        }
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (org.apache.flink.configuration.ConfigOption<?> option : REQUIRED_ON_CLUSTER) {
            if (!config.isSet(option)) {
                missing.add(option.key());
            }
        }
        if (!missing.isEmpty()) {
            throw new ConfigException("Invalid configuration: " + String.join(" and ", missing) + " must be set on a cluster"
                    + " (their defaults are the local demo's: generated records, lake on local disk)");
        }
        return config;
    }

    /** Only {@code --config FILE} or {@code --config=FILE}, once: a typo must not go unnoticed. */
    static void checkOnlyConfigArgument(String[] args) {
        int seen = 0;
        for (int i = 0; i < args.length; i++) {
            if (CONFIG_ARGUMENT.equals(args[i])) {
                i++; // its value
                seen++;
            } else if (args[i].startsWith(CONFIG_ARGUMENT + "=")) {
                seen++;
            } else {
                throw new ConfigException("Invalid arguments: unknown argument '" + args[i] + "'; allowed: " + CONFIG_ARGUMENT + " FILE");
            }
        }
        if (seen > 1) {
            throw new ConfigException("Invalid arguments: " + CONFIG_ARGUMENT + " given " + seen + " times; allowed once: " + CONFIG_ARGUMENT + " FILE");
        }
    }

    /**
     * The validated configuration for the command-line arguments, falling back to the bundled demo
     * default: for the local run only (see {@link #loadForCluster}).
     */
    public static NagareConfig load(String[] args) {
        String file = argument(args, "--config");
        if (file != null) {
            return NagareConfig.fromGroups(readFile(Path.of(file)));
        }
        Map<String, Properties> managed = managedFlinkProperties();
        if (managed != null) {
            return NagareConfig.fromGroups(managed);
        }
        return NagareConfig.fromGroups(readBundledDefault());
    }

    /** The value after {@code name} in {@code args}, or null when absent. */
    public static String argument(String[] args, String name) {
        for (int i = 0; i < args.length; i++) {
            if (name.equals(args[i])) {
                if (i + 1 >= args.length) {
                    throw new ConfigException("Invalid arguments: " + name + " needs a value");
                }
                return args[i + 1];
            }
            if (args[i].startsWith(name + "=")) {
                return args[i].substring(name.length() + 1);
            }
        }
        return null;
    }

    /** The arguments without {@code name} and its value ({@code name VALUE} or {@code name=VALUE}). */
    public static java.util.List<String> withoutOption(String[] args, String name) {
        java.util.List<String> rest = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (name.equals(args[i])) {
                i++; // skip the value too
            } else if (!args[i].startsWith(name + "=")) {
                rest.add(args[i]);
            }
        }
        return rest;
    }

    public static Map<String, Properties> readFile(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return parse(in, path.toString());
        } catch (NoSuchFileException e) {
            throw new ConfigException("Invalid configuration: file " + path + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("Invalid configuration: cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    static Map<String, Properties> readBundledDefault() {
        return readBundled(BUNDLED_DEFAULT);
    }

    /** A configuration file bundled in the jar ({@code /nagare/conf/*.json}). */
    public static Map<String, Properties> readBundled(String resource) {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ConfigException("Invalid build: " + resource + " is missing from the jar");
            }
            return parse(in, resource);
        } catch (IOException e) {
            throw new ConfigException("Invalid build: cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    /** Property groups in the Managed Flink shape; every value is kept as text. */
    static Map<String, Properties> parse(InputStream in, String name) {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (JsonProcessingException e) {
            throw new ConfigException("Invalid configuration: " + name + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
        } catch (IOException e) {
            throw new ConfigException("Invalid configuration: cannot read " + name + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new ConfigException(
                    "Invalid configuration: " + name + " must be a JSON array of {\"PropertyGroupId\": ..., \"PropertyMap\": {...}}");
        }
        Map<String, Properties> groups = new LinkedHashMap<>();
        for (JsonNode group : root) {
            JsonNode id = group.get("PropertyGroupId");
            JsonNode map = group.get("PropertyMap");
            if (id == null || !id.isTextual() || map == null || !map.isObject()) {
                throw new ConfigException(
                        "Invalid configuration: every entry of " + name + " needs a PropertyGroupId (text) and a PropertyMap (object)");
            }
            Properties props = groups.computeIfAbsent(id.asText(), k -> new Properties());
            map.fields().forEachRemaining(f -> props.setProperty(f.getKey(), f.getValue().isValueNode() ? f.getValue().asText() : f.getValue().toString()));
        }
        return groups;
    }

    /** The application properties on Managed Flink; null anywhere else. */
    static Map<String, Properties> managedFlinkProperties() {
        try {
            Map<String, Properties> properties = KinesisAnalyticsRuntime.getApplicationProperties();
            return properties == null || properties.isEmpty() ? null : properties;
        } catch (FileNotFoundException e) {
            return null; // not on Managed Flink: there is no application properties file
        } catch (IOException e) {
            throw new ConfigException("Invalid configuration: cannot read the Managed Flink application properties: " + e.getMessage(), e);
        }
    }
}
