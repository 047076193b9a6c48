package dev.nagare.udf.redact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The redaction corpus ({@code redaction/corpus.jsonl}): secret-bearing log lines of every format,
 * each with its log group, the secrets it hides and the non-secret parts that must survive
 * masking. Shared by the unit test here and the job's end-to-end test.
 */
public final class RedactionCorpus {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One line: where it is logged, what it hides and what must stay readable. */
    public static final class Entry {
        public final String format;
        public final String logGroup;
        public final String where;
        public final String line;
        public final List<String> secrets;
        public final List<String> keep;

        Entry(JsonNode node) {
            format = node.get("format").asText();
            logGroup = node.get("logGroup").asText();
            where = node.get("where").asText();
            line = node.get("line").asText();
            secrets = strings(node.get("secrets"));
            keep = strings(node.get("keep"));
        }

        @Override
        public String toString() {
            return format + " / " + where;
        }
    }

    private RedactionCorpus() {}

    public static List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        try (InputStream in = RedactionCorpus.class.getResourceAsStream("/redaction/corpus.jsonl");
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    entries.add(new Entry(JSON.readTree(line)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /** Every secret of the corpus. */
    public static List<String> allSecrets() {
        List<String> all = new ArrayList<>();
        entries().forEach(e -> all.addAll(e.secrets));
        return all;
    }

    /** What is wrong with {@code stored} (all text kept of the entry's line): leaked secrets and lost parts. */
    public static List<String> problems(Entry entry, String stored) {
        List<String> problems = new ArrayList<>();
        for (String secret : entry.secrets) {
            if (stored.contains(secret)) {
                problems.add(entry + ": secret '" + secret + "' kept in " + stored);
            }
        }
        for (String part : entry.keep) {
            if (!stored.contains(part)) {
                problems.add(entry + ": non-secret '" + part + "' lost from " + stored);
            }
        }
        return problems;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
