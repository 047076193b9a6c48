package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Iterator;
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

    private static final String[] TIME_FIELDS = {"@timestamp", "timestamp", "time", "ts", "asctime", "datetime"};
    private static final String[] LEVEL_FIELDS = {"level", "levelname", "severity", "log.level", "loglevel"};
    private static final String[] MESSAGE_FIELDS = {"message", "msg", "event"};
    // Not "name": pino and python-json-logger use it for the logger, not the service.
    private static final String[] SERVICE_FIELDS = {"service", "service.name", "serviceName", "app", "application"};
    private static final String[] TRACE_FIELDS = {"traceId", "trace_id", "xray_trace_id", "trace.id", "dd.trace_id"};
    private static final String[] REQUEST_FIELDS =
            {"requestId", "request_id", "reqId", "function_request_id", "aws_request_id", "AWSRequestId", "requestID"};
    /** Fields that are consumed into columns or are noise, so not repeated in attributes. */
    private static final Set<String> CONSUMED =
            Set.of("@version", "level_value", "stack_trace", "err", "exc_info", "v", "stackTrace", "errorType", "errorMessage",
                    "error.stack_trace", "error.message", "error.type");

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
            if (CONSUMED.contains(key) || isOneOf(key, TIME_FIELDS, LEVEL_FIELDS, MESSAGE_FIELDS, SERVICE_FIELDS, TRACE_FIELDS, REQUEST_FIELDS)) {
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
        for (String f : TIME_FIELDS) {
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
        for (String f : LEVEL_FIELDS) {
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
        JsonNode stack = field(json, "stack_trace");
        if (stack == null) {
            stack = field(json, "error.stack_trace");
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

    private static String firstText(ObjectNode json, String[] names) {
        for (String name : names) {
            JsonNode v = field(json, name);
            if (v != null && v.isValueNode() && !v.isNull() && !v.asText().isEmpty()) {
                return v.asText();
            }
        }
        return null;
    }

    /** A field by name, flat ({@code "log.level"}) or nested ({@code "log": {"level": ...}}). */
    private static JsonNode field(ObjectNode json, String name) {
        JsonNode v = json.get(name);
        if (v != null || name.indexOf('.') < 0) {
            return v;
        }
        // Walked by the dots, not split: the names are constants and this runs for every field
        // of every app event (String.split built a list and an array each time).
        JsonNode node = json;
        int start = 0;
        for (int dot = name.indexOf('.'); node != null; dot = name.indexOf('.', start)) {
            node = node.get(dot < 0 ? name.substring(start) : name.substring(start, dot));
            if (dot < 0) {
                return node;
            }
            start = dot + 1;
        }
        return null;
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

    private static boolean isOneOf(String key, String[]... groups) {
        for (String[] group : groups) {
            for (String name : group) {
                if (name.equals(key)) {
                    return true;
                }
            }
        }
        return false;
    }
}
