package dev.nagare.job.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.udf.Examples;
import dev.nagare.udf.KinesisRecords;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Kinesis record payloads for tests: udf's format examples and envelopes built on the spot. */
public final class Records {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Records() {}

    /** An example record ({@link KinesisRecords#NAMES}), gzipped as CloudWatch Logs writes it. */
    public static byte[] example(String name) {
        return KinesisRecords.of(name);
    }

    public static List<String> exampleLines(String name) {
        return Examples.lines(name);
    }

    /** A gzip CWL DATA_MESSAGE with one event per message, ids {@code idPrefix-0, -1, ...}. */
    public static byte[] cwl(String logGroup, String idPrefix, long timestamp, String... messages) {
        return cwlFrom("111122223333", logGroup, idPrefix, timestamp, messages);
    }

    /** As {@link #cwl}, sent by the given account. */
    public static byte[] cwlFrom(String account, String logGroup, String idPrefix, long timestamp, String... messages) {
        ObjectNode root = JSON.createObjectNode();
        root.put("messageType", "DATA_MESSAGE");
        root.put("owner", account);
        root.put("logGroup", logGroup);
        root.put("logStream", "stream-1");
        root.putArray("subscriptionFilters").add("test");
        ArrayNode events = root.putArray("logEvents");
        for (int i = 0; i < messages.length; i++) {
            events.addObject().put("id", idPrefix + "-" + i).put("timestamp", timestamp + i).put("message", messages[i]);
        }
        try {
            return gzip(JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** When the test records arrived at Kinesis: after every time the examples and tests write. */
    public static final long ARRIVAL = java.time.Instant.parse("2025-01-01T00:00:00Z").toEpochMilli();

    /** A bounded source of the given payloads, in order, read by one reader, each arriving at {@link #ARRIVAL}. */
    public static RecordSource source(List<byte[]> records) {
        List<KinesisRecord> arrived = new java.util.ArrayList<>();
        records.forEach(data -> arrived.add(KinesisRecord.of(data, ARRIVAL)));
        return RecordSource.ofRecords(arrived);
    }
}
