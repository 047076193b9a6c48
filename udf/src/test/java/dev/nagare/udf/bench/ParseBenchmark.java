package dev.nagare.udf.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.udf.Examples;
import dev.nagare.udf.KinesisRecords;
import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Decoding plus parsing throughput per format on one thread (so: per core), the work the job's
 * decode-and-parse operator does per record. Not a test: run it with
 * {@code mvn -q -pl udf test-compile exec:java -Dexec.mainClass=dev.nagare.udf.bench.ParseBenchmark -Dexec.classpathScope=test}
 * and record the figures in docs/BENCHMARKS.md. {@code -Dexec.args=pgaudit} runs only the formats whose name
 * contains that text.
 */
public final class ParseBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVENTS_PER_RECORD = 50;
    private static final long WARMUP_NANOS = 3_000_000_000L;
    private static final long MEASURE_NANOS = 5_000_000_000L;

    private ParseBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, List<byte[]>> formats = new LinkedHashMap<>();
        formats.put("app JSON (logback/pino/python) in CWL", cwl("/ecs/orders", lines("logback-json.jsonl", "pino.jsonl", "python-json.jsonl")));
        formats.put("Aurora/RDS MySQL audit in CWL", cwl("/aws/rds/cluster/orders/audit", lines("aurora-mysql-audit.log", "rds-mysql-audit.log")));
        formats.put("PostgreSQL pgaudit in CWL", cwl("/aws/rds/cluster/billing/postgresql", pgEntries()));
        formats.put("CloudTrail in CWL", cwl("aws-cloudtrail-logs-1-org", KinesisRecords.messages("cwl-subscription-data")));
        formats.put("Lambda text in CWL", List.of(KinesisRecords.of("cwl-subscription-data-lambda")));
        formats.put("Lambda JSON in CWL", cwl("/aws/lambda/orders-api", lines("lambda-json.jsonl")));
        formats.put("FireLens JSON record (1 line each)", fireLens());

        System.out.printf("Java %s, %s, %d cores%n", System.getProperty("java.version"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors());
        System.out.printf("%-40s %14s %12s %14s%n", "format", "events/s/core", "MB/s in", "bytes/event");
        RecordDecoder decoder = new RecordDecoder();
        EventParser parser = new EventParser();
        String only = args.length > 0 ? args[0] : "";
        for (Map.Entry<String, List<byte[]>> format : formats.entrySet()) {
            if (!format.getKey().contains(only)) {
                continue;
            }
            run(decoder, parser, format.getValue(), WARMUP_NANOS);
            long allocatedBefore = allocated();
            long[] result = run(decoder, parser, format.getValue(), MEASURE_NANOS);
            double seconds = result[2] / 1e9;
            System.out.printf("%-40s %,14.0f %12.1f %,14d%n", format.getKey(), result[0] / seconds, result[1] / seconds / 1e6,
                    (allocated() - allocatedBefore) / result[0]);
        }
    }

    /**
     * Bytes this thread has allocated so far. Per event, the steadier gauge for comparing two
     * versions on a shared machine, where events/s moves by 20% between runs of one build.
     */
    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** {events, bytes, nanos} decoded and parsed in about {@code budget} nanoseconds. */
    private static long[] run(RecordDecoder decoder, EventParser parser, List<byte[]> records, long budget) throws Exception {
        long events = 0;
        long bytes = 0;
        long start = System.nanoTime();
        long now = start;
        while (now - start < budget) {
            for (byte[] record : records) {
                DecodedRecord decoded = decoder.decode(record);
                for (RawLogEvent event : decoded.events()) {
                    if (parser.parse(event, 1_800_000_000_000L).logType != null) {
                        events++;
                    }
                }
                bytes += record.length;
            }
            now = System.nanoTime();
        }
        return new long[] {events, bytes, now - start};
    }

    private static List<String> lines(String... files) {
        List<String> lines = new ArrayList<>();
        for (String file : files) {
            Examples.lines(file).stream().filter(l -> !l.isBlank()).forEach(lines::add);
        }
        return lines;
    }

    private static List<String> pgEntries() {
        List<String> entries = new ArrayList<>();
        for (String line : Examples.lines("pgaudit.log")) {
            if (line.length() > 4 && Character.isDigit(line.charAt(0)) && line.charAt(4) == '-' || entries.isEmpty()) {
                entries.add(line);
            } else {
                entries.set(entries.size() - 1, entries.get(entries.size() - 1) + "\n" + line);
            }
        }
        return entries;
    }

    /** Gzip CWL records of {@value #EVENTS_PER_RECORD} events each, cycling through the lines. */
    private static List<byte[]> cwl(String logGroup, List<String> lines) throws Exception {
        List<byte[]> records = new ArrayList<>();
        int next = 0;
        for (int r = 0; r < 20; r++) {
            ObjectNode root = JSON.createObjectNode();
            root.put("messageType", "DATA_MESSAGE").put("owner", "111122223333").put("logGroup", logGroup).put("logStream", "s");
            root.putArray("subscriptionFilters").add("f");
            ArrayNode events = root.putArray("logEvents");
            for (int i = 0; i < EVENTS_PER_RECORD; i++) {
                events.addObject().put("id", Integer.toString(r * 1000 + i)).put("timestamp", 1717236902000L + i)
                        .put("message", lines.get(next++ % lines.size()));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(JSON.writeValueAsBytes(root));
            }
            records.add(out.toByteArray());
        }
        return records;
    }

    private static List<byte[]> fireLens() {
        List<byte[]> records = new ArrayList<>();
        for (String line : Examples.lines("firelens.jsonl")) {
            if (!line.isBlank() && !line.contains("\"partial_message\"")) {
                records.add((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return records;
    }
}
