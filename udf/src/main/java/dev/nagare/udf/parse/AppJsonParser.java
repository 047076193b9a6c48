package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Structured application logs: logstash-logback-encoder / Spring Boot, pino, python-json-logger
 * and structlog, Lambda Powertools (LOG_FORMATS.md section 7). Field names and types drift
 * between libraries, so every well-known name is tried and anything unknown goes to
 * {@code attributes}.
 */
public final class AppJsonParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Name[] TIME_FIELDS = names("@timestamp", "timestamp", "time", "ts", "asctime", "datetime");
    private static final Name[] LEVEL_FIELDS = names("level", "levelname", "severity", "log.level", "loglevel");
    private static final String[] MESSAGE_FIELDS = {"message", "msg", "event"};
    // Not "name": pino and python-json-logger use it for the logger, not the service.
    private static final Name[] SERVICE_FIELDS = names("service", "service.name", "serviceName", "app", "application");
    private static final Name[] TRACE_FIELDS = names("traceId", "trace_id", "xray_trace_id", "trace.id", "dd.trace_id");
    private static final Name[] REQUEST_FIELDS =
            names("requestId", "request_id", "reqId", "function_request_id", "aws_request_id", "AWSRequestId", "requestID");
    private static final Name STACK_TRACE = new Name("stack_trace");
    private static final Name ERROR_STACK_TRACE = new Name("error.stack_trace");
    /** Fields that are consumed into columns or are noise, so not repeated in attributes. */
    private static final Set<String> CONSUMED =
            Set.of("@version", "level_value", "stack_trace", "err", "exc_info", "v", "stackTrace", "errorType", "errorMessage",
                    "error.stack_trace", "error.message", "error.type");
    /**
     * Every field name that is not repeated in attributes: the consumed ones and every name tried
     * for a column. One lookup per field (comparing each field with the 31 names one by one was
     * 7% of the parse of application JSON in a profile).
     */
    private static final Set<String> NOT_ATTRIBUTES = notAttributes();

    /**
     * A field name, flat ({@code "log.level"}) or, when it has dots, also the path of a nested
     * field ({@code "log": {"level": ...}}), split once here: split for each event, the pieces
     * were new strings whose hashes were computed on every lookup.
     */
    private static final class Name {
        final String flat;
        /** The pieces between the dots; null without dots. */
        final String[] path;

        Name(String flat) {
            this.flat = flat;
            this.path = flat.indexOf('.') < 0 ? null : flat.split("\\.", -1);
        }
    }

    private static Name[] names(String... names) {
        return Arrays.stream(names).map(Name::new).toArray(Name[]::new);
    }

    private static Set<String> notAttributes() {
        Set<String> names = new HashSet<>(CONSUMED);
        for (Name[] group : new Name[][] {TIME_FIELDS, LEVEL_FIELDS, SERVICE_FIELDS, TRACE_FIELDS, REQUEST_FIELDS}) {
            for (Name name : group) {
                names.add(name.flat);
            }
        }
        names.addAll(List.of(MESSAGE_FIELDS));
        return Set.copyOf(names);
    }

    /** True when the text is a JSON object (cheap check; the parse decides for real). */
    public static boolean looksLikeJson(String message) {
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (!Character.isWhitespace(c)) {
                return c == '{';
            }
        }
        return false;
    }

    /** Parses a JSON object; null when the text is not one (the caller falls back to text). */
    public static ObjectNode readObject(String message) {
        try {
            JsonNode node = JSON.readTree(message);
            return node instanceof ObjectNode ? (ObjectNode) node : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Fills the app columns from a parsed JSON log line. */
    public void parse(ObjectNode json, NormalizedEvent out) {
        out.logType = LogTypes.APP;
        Long time = time(json);
        if (time != null) {
            out.eventTimeMillis = time;
        }
        out.level = level(json);
        String message = message(json);
        String stack = stackTrace(json);
        out.message = stack == null ? message : (message == null ? stack : message + "\n" + stack);
        String service = firstText(json, SERVICE_FIELDS);
        if (service != null) {
            out.service = service;
        }
        out.traceId = firstText(json, TRACE_FIELDS);
        out.requestId = firstText(json, REQUEST_FIELDS);
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            if (NOT_ATTRIBUTES.contains(key)) {
                continue;
            }
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            out.attributes.put(key, value.isValueNode() ? value.asText() : value.toString());
        }
    }

    private static Long time(ObjectNode json) {
        for (Name f : TIME_FIELDS) {
            JsonNode v = field(json, f);
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isNumber()) {
                return Timestamps.fromEpochNumber(v.asDouble());
            }
            Long parsed = Timestamps.parseIso(v.asText());
            if (parsed != null) {
                return parsed;
            }
        }
        return null;
    }

    private static String level(ObjectNode json) {
        for (Name f : LEVEL_FIELDS) {
            JsonNode v = field(json, f);
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isNumber()) {
                return Levels.fromNumber(v.asLong());
            }
            String level = Levels.fromName(v.asText());
            if (level != null) {
                return level;
            }
        }
        JsonNode value = json.get("level_value");
        return value != null && value.isNumber() ? Levels.fromNumber(value.asLong()) : null;
    }

    /**
     * The message: usually text, but Lambda's Node.js JSON format logs a single argument as JSON,
     * so it may be an object (an Error becomes errorType, errorMessage and stackTrace).
     */
    private static String message(ObjectNode json) {
        for (String f : MESSAGE_FIELDS) {
            JsonNode v = json.get(f);
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isObject() && v.has("errorMessage")) {
                String text = v.path("errorType").asText("Error") + ": " + v.path("errorMessage").asText();
                String stack = joinLines(v.get("stackTrace"));
                return stack == null ? text : text + "\n" + stack;
            }
            return v.isValueNode() ? v.asText() : v.toString();
        }
        return null;
    }

    private static String stackTrace(ObjectNode json) {
        JsonNode stack = field(json, STACK_TRACE);
        if (stack == null) {
            stack = field(json, ERROR_STACK_TRACE);
        }
        if (stack != null && stack.isTextual()) {
            return stack.asText();
        }
        String lambdaStack = joinLines(json.get("stackTrace")); // Lambda JSON format (Python, Node with several args)
        if (lambdaStack != null) {
            String error = json.has("errorType") ? json.path("errorType").asText() + ": " + json.path("errorMessage").asText("") + "\n" : "";
            return error + lambdaStack;
        }
        JsonNode err = json.get("err");
        if (err != null && err.has("stack")) {
            return err.get("stack").asText();
        }
        JsonNode exc = json.get("exc_info");
        return exc != null && exc.isTextual() ? exc.asText() : null;
    }

    private static String firstText(ObjectNode json, Name[] names) {
        for (Name name : names) {
            JsonNode v = field(json, name);
            if (v != null && v.isValueNode() && !v.isNull() && !v.asText().isEmpty()) {
                return v.asText();
            }
        }
        return null;
    }

    /** A field by name, flat ({@code "log.level"}) or nested ({@code "log": {"level": ...}}). */
    private static JsonNode field(ObjectNode json, Name name) {
        JsonNode v = json.get(name.flat);
        if (v != null || name.path == null) {
            return v;
        }
        JsonNode node = json;
        for (String piece : name.path) {
            node = node.get(piece);
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    private static String joinLines(JsonNode array) {
        if (array == null || !array.isArray() || array.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode line : array) {
            String text = line.asText();
            sb.append(text);
            if (!text.endsWith("\n")) {
                sb.append('\n');
            }
        }
        return sb.toString().stripTrailing();
    }
}
