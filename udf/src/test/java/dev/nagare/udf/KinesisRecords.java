package dev.nagare.udf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;

/**
 * Kinesis record payloads as a CloudWatch Logs subscription writes them (LOG_FORMATS.md 1.1):
 * built at test time from the envelope examples {@code examples/<name>.json}, written as compact
 * JSON and gzipped. The examples are pretty-printed for reading, and an event's {@code message}
 * may be written there as a JSON object (a CloudTrail event, a JSON log line): it becomes the
 * one-line string CloudWatch Logs carries.
 */
public final class KinesisRecords {
    /** Every example record: CloudTrail, Aurora MySQL audit, ECS awslogs, Lambda, an account-level policy, a control message. */
    public static final List<String> NAMES = List.of(
            "cwl-subscription-data", "cwl-subscription-data-aurora-audit", "cwl-subscription-data-ecs-awslogs",
            "cwl-subscription-data-lambda", "cwl-subscription-data-account-policy", "cwl-subscription-control");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, byte[]> BUILT = new ConcurrentHashMap<>();

    private KinesisRecords() {}

    /** The record's bytes: a fresh copy, so a test may corrupt it. */
    public static byte[] of(String name) {
        return BUILT.computeIfAbsent(name, KinesisRecords::build).clone();
    }

    /** The envelope's event messages, as CloudWatch Logs delivers them. */
    public static List<String> messages(String name) {
        List<String> messages = new ArrayList<>();
        for (JsonNode event : envelope(name).get("logEvents")) {
            messages.add(event.get("message").asText());
        }
        return messages;
    }

    /** The envelope as CloudWatch Logs sends it: every message a string. */
    private static ObjectNode envelope(String name) {
        JsonNode root;
        try {
            root = JSON.readTree(Examples.text(name + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // A fixture typo would otherwise pass as a test of a decode error.
        if (!(root instanceof ObjectNode) || !root.path("messageType").isTextual() || !root.path("logEvents").isArray()) {
            throw new IllegalArgumentException("example " + name + " is not a CloudWatch Logs envelope with messageType and logEvents");
        }
        for (JsonNode event : root.get("logEvents")) {
            JsonNode message = event.get("message");
            if (message != null && message.isObject()) {
                ((ObjectNode) event).put("message", message.toString());
            }
        }
        return (ObjectNode) root;
    }

    private static byte[] build(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(JSON.writeValueAsBytes(envelope(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
