package dev.nagare.job.rules;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Loads the rule pack: the rules bundled in the jar ({@code sql/rules/*.sql}), then the files of
 * {@code rules.directory} (a file with a bundled rule's id replaces it), minus disabled rules; every
 * enabled rule's state TTL is checked against its windows.
 */
public final class RuleLoader {
    public static final String BUNDLED_RULES = "/nagare/sql/rules";

    private RuleLoader() {}

    /** The enabled rules for this configuration, in id order. */
    public static List<Rule> load(NagareConfig config) {
        Map<String, Rule> rules = new LinkedHashMap<>();
        for (Rule rule : bundled()) {
            rules.put(rule.id(), rule);
        }
        config.getOptional(NagareOptions.RULES_DIRECTORY).ifPresent(dir -> {
            List<Rule> external = dir.contains("://") ? fromFileSystem(dir) : fromDirectory(Path.of(dir));
            for (Rule rule : external) {
                rules.put(rule.id(), rule);
            }
        });
        Set<String> disabled = new TreeSet<>(config.get(NagareOptions.RULES_DISABLED));
        Set<String> unknown = new TreeSet<>(disabled);
        unknown.removeAll(rules.keySet());
        if (!unknown.isEmpty()) {
            // Flink's list options are separated by ';': "a,b" is one id, and saying so saves a guess.
            String separator = unknown.stream().anyMatch(id -> id.contains(",")) ? " (separate ids with ';', not ',')" : "";
            throw new RuleException("rules.disabled names unknown rule ids " + unknown + separator + "; known: "
                    + new TreeSet<>(rules.keySet()));
        }
        List<Rule> enabled = rules.values().stream()
                .filter(Rule::enabled)
                .filter(r -> !disabled.contains(r.id()))
                .sorted((a, b) -> a.id().compareTo(b.id()))
                .collect(Collectors.toList());
        // A rule without its own state-ttl must outlive its windows under the default.
        java.time.Duration defaultTtl = config.get(NagareOptions.RULES_DEFAULT_STATE_TTL);
        enabled.forEach(rule -> rule.stateTtl(defaultTtl));
        return enabled;
    }

    /** Every rule file in a folder (not recursive), whatever its {@code enabled} flag. */
    public static List<Rule> fromDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new RuleException("rules.directory '" + dir + "' is not a folder");
        }
        return readAll(dir, dir.toString());
    }

    /**
     * Every rule file under a file system URI ({@code s3://bucket/rules/}, {@code file:///...}),
     * read through Flink's file systems, so whatever the cluster can read (S3 on Managed Flink)
     * works. Test files beside them are read the same way when the rules are tested.
     */
    public static List<Rule> fromFileSystem(String uri) {
        org.apache.flink.core.fs.Path dir = new org.apache.flink.core.fs.Path(uri);
        List<Rule> rules = new ArrayList<>();
        try {
            org.apache.flink.core.fs.FileSystem fs = dir.getFileSystem();
            org.apache.flink.core.fs.FileStatus[] files = fs.listStatus(dir);
            if (files == null) {
                throw new RuleException("rules.directory '" + uri + "' does not exist or is not a folder");
            }
            List<org.apache.flink.core.fs.Path> sql = new ArrayList<>();
            for (org.apache.flink.core.fs.FileStatus file : files) {
                if (!file.isDir() && file.getPath().getName().endsWith(".sql")) {
                    sql.add(file.getPath());
                }
            }
            sql.sort((a, b) -> a.getName().compareTo(b.getName()));
            for (org.apache.flink.core.fs.Path file : sql) {
                try (InputStream in = fs.open(file)) {
                    rules.add(checked(Rule.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), file.toString()), file.getName()));
                }
            }
        } catch (IOException e) {
            throw new RuleException("cannot read rules from " + uri + ": " + e.getMessage());
        }
        return rules;
    }

    private static Rule checked(Rule rule, String fileName) {
        String expected = fileName.substring(0, fileName.length() - ".sql".length());
        if (!rule.id().equals(expected)) {
            throw new RuleException(rule.source() + ": rule id '" + rule.id() + "' must match the file name '" + expected + "'");
        }
        return rule;
    }

    /** The rules packaged in the jar (or in the classes folder when run from the build). */
    public static List<Rule> bundled() {
        URL url = RuleLoader.class.getResource(BUNDLED_RULES);
        if (url == null) {
            throw new RuleException("the bundled rule pack " + BUNDLED_RULES + " is missing from the classpath");
        }
        try {
            URI uri = url.toURI();
            if ("jar".equals(uri.getScheme())) {
                // A folder inside a jar can only be listed through a zip file system.
                try (FileSystem fs = FileSystems.newFileSystem(uri, Collections.emptyMap())) {
                    return readAll(fs.getPath(BUNDLED_RULES), "bundled:");
                } catch (FileSystemAlreadyExistsException e) {
                    return readAll(FileSystems.getFileSystem(uri).getPath(BUNDLED_RULES), "bundled:");
                }
            }
            return readAll(Path.of(uri), "bundled:");
        } catch (URISyntaxException | IOException e) {
            throw new RuleException("cannot list the bundled rules: " + e);
        }
    }

    private static List<Rule> readAll(Path dir, String origin) {
        List<Rule> rules = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".sql")).sorted().collect(Collectors.toList())) {
                String name = file.getFileName().toString();
                String source = origin.endsWith(":") ? origin + "sql/rules/" + name : file.toString();
                try (InputStream in = Files.newInputStream(file)) {
                    rules.add(checked(Rule.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), source), name));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rules from " + dir, e);
        }
        return rules;
    }
}
