package dev.nagare.tools.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.job.rules.RuleException;

import org.apache.flink.util.TimeUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

/**
 * One test case of a rule, read from {@code <rule id>.test.json} beside the rule: log lines in the
 * formats users know, at times relative to the case's start, and the alerts the rule must raise.
 *
 * <pre>
 * {"cases": [{
 *    "name": "a burst of errors fires",
 *    "events": [{"log_group": "/ecs/orders-api", "at": "0s", "repeat": 30, "every": "1s",
 *                "messages": ["{\"@timestamp\":\"${iso}\",\"level\":\"ERROR\",\"message\":\"boom\"}"]}],
 *    -- or, for JSON lines:  "json": {"@timestamp": "${iso}", "level": "ERROR", "message": "boom"}
 *    "expect": [{"group_key": "orders-api", "event_count": 30}]
 *    -- optional per event spec: "account": "444455556666" (default 111122223333); per expectation:
 *    -- "account" pins the alert's account (then every alert of the case is compared with its account)
 * }]}
 * </pre>
 *
 * Placeholders in messages: {@code ${iso}} (ISO-8601 with ms), {@code ${iso_s}} (whole seconds),
 * {@code ${epoch_ms}}, {@code ${epoch_us}}, {@code ${rds}} ({@code YYYYMMDD HH:MM:SS}),
 * {@code ${pg}} ({@code YYYY-MM-DD HH:MM:SS UTC}), {@code ${i}} (the repeat index) and
 * {@code ${uuid}} (a UUID unique to the event).
 */
public final class RuleCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter RDS = DateTimeFormatter.ofPattern("yyyyMMdd HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter PG = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    /** One expected alert: the group key, and the count and account when the case pins them. */
    public static final class Expected {
        public final String groupKey;
        public final Long eventCount;
        public final String account;

        Expected(String groupKey, Long eventCount, String account) {
            this.groupKey = groupKey;
            this.eventCount = eventCount;
            this.account = account;
        }

        @Override
        public String toString() {
            return (account == null ? "" : "account=" + account + " ") + groupKey + (eventCount == null ? "" : " count=" + eventCount);
        }
    }

    private final String ruleId;
    private final String name;
    private final JsonNode events;
    private final List<Expected> expected;

    private RuleCase(String ruleId, String name, JsonNode events, List<Expected> expected) {
        this.ruleId = ruleId;
        this.name = name;
        this.events = events;
        this.expected = expected;
    }

    /** The cases of one rule from its test file's content. */
    public static List<RuleCase> parse(String ruleId, String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new RuleException(source + ": not valid JSON: " + e.getMessage());
        }
        List<RuleCase> cases = new ArrayList<>();
        for (JsonNode c : root.path("cases")) {
            String name = c.path("name").asText(null);
            if (name == null || !c.path("events").isArray() || !c.path("expect").isArray()) {
                throw new RuleException(source + ": every case needs a name, an events array and an expect array");
            }
            List<Expected> expected = new ArrayList<>();
            for (JsonNode e : c.path("expect")) {
                expected.add(new Expected(e.path("group_key").asText(), e.has("event_count") ? e.get("event_count").asLong() : null,
                        e.has("account") ? e.get("account").asText() : null));
            }
            cases.add(new RuleCase(ruleId, name, c.path("events"), expected));
        }
        if (cases.isEmpty()) {
            throw new RuleException(source + ": no cases");
        }
        return cases;
    }

    public String ruleId() {
        return ruleId;
    }

    public String name() {
        return name;
    }

    public List<Expected> expected() {
        return expected;
    }

    /** True when the case expects no alert (a negative case). */
    public boolean negative() {
        return expected.isEmpty();
    }

    /**
     * The case's events as CloudWatch Logs subscription records (gzip, one record per log group,
     * stream and up to 50 events), all times relative to {@code start}.
     */
    public List<byte[]> records(Instant start, String idPrefix) {
        Map<String, List<ObjectNode>> byStream = new LinkedHashMap<>();
        int n = 0;
        for (JsonNode spec : events) {
            String group = spec.path("log_group").asText();
            String stream = spec.path("log_stream").asText("test-stream");
            String owner = spec.path("account").asText("111122223333");
            long at = millis(spec.path("at").asText("0s"));
            int repeat = spec.path("repeat").asInt(1);
            long every = millis(spec.path("every").asText("1s"));
            List<String> messages = new ArrayList<>();
            if (spec.has("message")) {
                messages.add(spec.get("message").asText());
            }
            spec.path("messages").forEach(m -> messages.add(m.asText()));
            // A JSON log line (CloudTrail, application JSON) may be written as an object instead of a string.
            if (spec.has("json")) {
                messages.add(spec.get("json").toString());
            }
            if (messages.isEmpty()) {
                throw new RuleException(ruleId + " case '" + name + "': an event needs a message or messages");
            }
            for (int i = 0; i < repeat; i++) {
                Instant time = start.plusMillis(at + i * every);
                String message = fill(messages.get(i % messages.size()), time, i, idPrefix + "-" + n);
                ObjectNode event = JSON.createObjectNode();
                event.put("id", idPrefix + "-" + (n++));
                event.put("timestamp", time.toEpochMilli());
                event.put("message", message);
                byStream.computeIfAbsent(owner + "\u0000" + group + "\u0000" + stream, k -> new ArrayList<>()).add(event);
            }
        }
        List<byte[]> records = new ArrayList<>();
        byStream.forEach((key, list) -> {
            String[] parts = key.split("\u0000");
            for (int from = 0; from < list.size(); from += 50) {
                ObjectNode root = JSON.createObjectNode();
                root.put("messageType", "DATA_MESSAGE").put("owner", parts[0]).put("logGroup", parts[1]).put("logStream", parts[2]);
                root.putArray("subscriptionFilters").add("rule-test");
                ArrayNode logEvents = root.putArray("logEvents");
                list.subList(from, Math.min(list.size(), from + 50)).forEach(logEvents::add);
                records.add(gzip(root));
            }
        });
        return records;
    }

    private static String fill(String template, Instant time, int i, String unique) {
        return template
                .replace("${iso}", ISO_MILLIS.format(time))
                .replace("${iso_s}", time.truncatedTo(ChronoUnit.SECONDS).toString())
                .replace("${epoch_ms}", Long.toString(time.toEpochMilli()))
                .replace("${epoch_us}", Long.toString(time.toEpochMilli() * 1000))
                .replace("${rds}", RDS.format(time))
                .replace("${pg}", PG.format(time))
                .replace("${i}", Integer.toString(i))
                .replace("${uuid}", UUID.nameUUIDFromBytes(unique.getBytes()).toString());
    }

    private static long millis(String duration) {
        return TimeUtils.parseDuration(duration).toMillis();
    }

    private static byte[] gzip(ObjectNode root) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    public String toString() {
        return ruleId + ": " + name;
    }
}
