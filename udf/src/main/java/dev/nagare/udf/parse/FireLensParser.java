package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ECS FireLens records as Fluent Bit's {@code kinesis_streams} output writes them: one JSON
 * object per container line with {@code log}, {@code source} and the ECS metadata
 * (LOG_FORMATS.md section 6). The line in {@code log} is parsed again as application JSON or
 * text; lines longer than 16 KiB arrive as partial chunks that {@link PartialChunk} carries to a
 * keyed reassembly step first.
 */
public final class FireLensParser {
    private FireLensParser() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AppJsonParser APP_JSON = new AppJsonParser();
    private static final List<String> METADATA =
            List.of("container_id", "container_name", "source", "ecs_cluster", "ecs_task_arn", "ecs_task_definition", "ec2_instance_id");
    private static final List<String> PARTIAL_KEYS = List.of("partial_message", "partial_id", "partial_ordinal", "partial_last");
    private static final Pattern TASK_ARN = Pattern.compile("arn:aws[\\w-]*:ecs:([\\w-]+):(\\d{12}):task/.*");

    /** True when a JSON object is a FireLens record. */
    public static boolean isFireLens(ObjectNode json) {
        return json.has("log") && (json.has("container_id") || json.has("container_name") || json.has("ecs_task_arn"));
    }

    /** One piece of a line the container runtime split at 16 KiB. */
    public static final class PartialChunk implements Serializable {
        private static final long serialVersionUID = 1L;
        /** {@code container_id|source|partial_id}: the chunks of one line share it. */
        public String key;
        public int ordinal;
        public boolean last;
        /** The chunk's record as JSON; the first chunk's metadata becomes the whole line's. */
        public String record;
        public String log;
        /** When Kinesis received the chunk's record (epoch ms), the reassembled line's time of last resort; null if unknown. */
        public Long arrivalMillis;

        public PartialChunk() {}
    }

    /** The partial chunk in a FireLens record, or null when the record is a whole line. */
    public static PartialChunk partialChunk(String message) {
        if (!message.contains("\"partial_message\"")) {
            return null;
        }
        ObjectNode json = AppJsonParser.readObject(message);
        if (json == null || !isFireLens(json) || !"true".equals(json.path("partial_message").asText())) {
            return null;
        }
        PartialChunk chunk = new PartialChunk();
        chunk.key = json.path("container_id").asText("") + "|" + json.path("source").asText("") + "|" + json.path("partial_id").asText("");
        try {
            // The ordinal is a string; compare it as a number ("10" comes after "9").
            chunk.ordinal = Integer.parseInt(json.path("partial_ordinal").asText());
        } catch (NumberFormatException e) {
            return null; // not a chunk we can place: parse it as a whole record instead
        }
        chunk.last = "true".equals(json.path("partial_last").asText());
        chunk.log = json.path("log").asText("");
        chunk.record = message;
        return chunk;
    }

    /** The record of a reassembled line: the first chunk's record with the whole line and no partial keys. */
    public static String reassembled(PartialChunk first, String wholeLine, boolean complete, int originalLength) {
        ObjectNode json = AppJsonParser.readObject(first.record);
        if (json == null) {
            throw new IllegalArgumentException("a partial chunk that is not a JSON object");
        }
        PARTIAL_KEYS.forEach(json::remove);
        json.put("log", wholeLine);
        if (!complete) {
            json.put("nagare_partial_incomplete", "true");
        }
        if (originalLength > wholeLine.length()) {
            json.put("nagare_truncated_from_chars", Integer.toString(originalLength));
        }
        try {
            return JSON.writeValueAsString(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The one place a FireLens record is unwrapped: the container line in {@code log} is parsed as
     * application JSON or as text, and the ECS metadata around it fills the context.
     */
    static void parse(ObjectNode record, NormalizedEvent out) {
        String line = record.path("log").asText("");
        ObjectNode json = AppJsonParser.looksLikeJson(line) ? AppJsonParser.readObject(line) : null;
        if (json != null) {
            APP_JSON.parse(json, out);
        } else {
            LogFormats.text(line, out);
        }
        if (out.service == null) {
            out.service = service(record);
        }
        out.logStream = textOrNull(record, "container_name");
        Matcher arn = TASK_ARN.matcher(record.path("ecs_task_arn").asText(""));
        if (arn.matches()) {
            out.region = arn.group(1);
            out.account = arn.group(2);
        }
        for (String key : METADATA) {
            String value = textOrNull(record, key);
            if (value != null) {
                out.attributes.put(key, value);
            }
        }
        // Fields Fluent Bit filters added beside the line (time_key, parsed fields, our markers).
        for (Map.Entry<String, JsonNode> field : (Iterable<Map.Entry<String, JsonNode>>) record::fields) {
            String key = field.getKey();
            if (!"log".equals(key) && !METADATA.contains(key) && !PARTIAL_KEYS.contains(key) && field.getValue().isValueNode()) {
                out.attributes.putIfAbsent(key, field.getValue().asText());
            }
        }
        // Fluent Bit's time_key (UTC, no zone) when the line has no time of its own.
        if (json == null || !hasOwnTime(json)) {
            Long time = Timestamps.parseIso(textOrNull(record, "time"));
            if (time != null) {
                out.eventTimeMillis = time;
            }
        }
    }

    private static boolean hasOwnTime(ObjectNode line) {
        return line.has("@timestamp") || line.has("timestamp") || line.has("time") || line.has("asctime");
    }

    /** The task definition family ({@code orders-web:12} gives {@code orders-web}), else the container name. */
    private static String service(ObjectNode record) {
        String family = textOrNull(record, "ecs_task_definition");
        if (family != null) {
            int colon = family.indexOf(':');
            return colon > 0 ? family.substring(0, colon) : family;
        }
        String name = textOrNull(record, "container_name");
        return name == null ? null : name.replaceFirst("^/", "");
    }

    private static String textOrNull(ObjectNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || !v.isValueNode() ? null : v.asText();
    }
}
