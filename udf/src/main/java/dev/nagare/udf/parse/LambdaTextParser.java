package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lambda text-format logs (LOG_FORMATS.md section 5.2): the platform's START/END/REPORT lines
 * and the runtimes' application lines (Node.js {@code ts\treqId\tLEVEL\tmsg}, Python
 * {@code [LEVEL]\tts\treqId\tmsg}). Lines that match neither are kept as INFO text of the function.
 */
public final class LambdaTextParser {
    private static final Pattern REQUEST_ID = Pattern.compile("RequestId: ([0-9a-fA-F-]{36})");
    private static final Pattern DURATION = Pattern.compile("\\tDuration: ([0-9.]+) ms");
    private static final Pattern MEMORY_SIZE = Pattern.compile("Memory Size: (\\d+) MB");
    private static final Pattern MAX_MEMORY = Pattern.compile("Max Memory Used: (\\d+) MB");
    private static final Pattern INIT = Pattern.compile("Init Duration: ([0-9.]+) ms");
    private static final Pattern STATUS = Pattern.compile("Status: (\\w+)");
    private static final Pattern ERROR_TYPE = Pattern.compile("Error Type: ([\\w.]+)");
    private static final Pattern NODE_LINE =
            Pattern.compile("(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z)\\t([0-9a-fA-F-]{36}|undefined)?\\t([A-Z]+)\\t(.*)", Pattern.DOTALL);
    private static final Pattern PYTHON_LINE =
            Pattern.compile("\\[([A-Z]+)\\]\\t(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z)\\t([0-9a-fA-F-]{36})?\\t(.*)", Pattern.DOTALL);
    private static final Pattern TIMEOUT =
            Pattern.compile("(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z) ([0-9a-fA-F-]{36}) (Task timed out after .*)", Pattern.DOTALL);

    /** True for the platform lines that identify Lambda logs when the log group does not. */
    public static boolean looksLikePlatformLine(String message) {
        return message.startsWith("START RequestId: ")
                || message.startsWith("END RequestId: ")
                || message.startsWith("REPORT RequestId: ")
                || message.startsWith("INIT_START ");
    }

    public void parse(String rawMessage, NormalizedEvent out) {
        out.logType = LogTypes.LAMBDA;
        // The platform ends every message with a newline; Node.js turns inner newlines into CR.
        String message = stripTrailingNewline(rawMessage);
        if (message.startsWith("REPORT RequestId: ")) {
            out.requestId = group(REQUEST_ID, message);
            out.lambdaDurationMs = toDouble(group(DURATION, message));
            out.lambdaMemorySizeMb = toInt(group(MEMORY_SIZE, message));
            out.lambdaMaxMemoryMb = toInt(group(MAX_MEMORY, message));
            out.lambdaInitMs = toDouble(group(INIT, message));
            String status = group(STATUS, message);
            String errorType = group(ERROR_TYPE, message);
            if (status != null) {
                out.attributes.put("lambda_status", status);
            }
            if (errorType != null) {
                out.attributes.put("lambda_error_type", errorType);
            }
            out.level = status == null && errorType == null ? "INFO" : "ERROR";
            out.message = message;
            return;
        }
        if (looksLikePlatformLine(message)) {
            out.requestId = group(REQUEST_ID, message);
            out.level = "INFO";
            out.message = message;
            return;
        }
        Matcher m = NODE_LINE.matcher(message);
        if (m.matches()) {
            setTime(out, m.group(1));
            out.requestId = "undefined".equals(m.group(2)) ? null : m.group(2);
            out.level = levelOr(m.group(3), "INFO");
            out.message = m.group(4).replace('\r', '\n');
            return;
        }
        m = PYTHON_LINE.matcher(message);
        if (m.matches()) {
            out.level = levelOr(m.group(1), "INFO");
            setTime(out, m.group(2));
            out.requestId = m.group(3);
            out.message = m.group(4);
            return;
        }
        m = TIMEOUT.matcher(message);
        if (m.matches()) {
            setTime(out, m.group(1));
            out.requestId = m.group(2);
            out.level = "ERROR";
            out.message = m.group(3);
            return;
        }
        out.level = "INFO";
        out.message = message;
    }

    /** True for the JSON log format's platform records: {@code {"time", "type": "platform.*", "record"}}. */
    public static boolean isPlatformRecord(ObjectNode json) {
        return json.path("type").asText("").startsWith("platform.") && json.has("record");
    }

    /** A platform record of the JSON log format (advanced logging controls, section 5.3). */
    public void parsePlatform(ObjectNode json, NormalizedEvent out) {
        out.logType = LogTypes.LAMBDA;
        setTime(out, json.path("time").asText(null));
        String type = json.path("type").asText();
        JsonNode record = json.path("record");
        out.requestId = record.hasNonNull("requestId") ? record.get("requestId").asText() : null;
        out.level = "INFO";
        out.attributes.put("lambda_platform_type", type);
        if ("platform.report".equals(type)) {
            JsonNode metrics = record.path("metrics");
            out.lambdaDurationMs = metrics.hasNonNull("durationMs") ? metrics.get("durationMs").asDouble() : null;
            out.lambdaMemorySizeMb = metrics.hasNonNull("memorySizeMB") ? metrics.get("memorySizeMB").asInt() : null;
            out.lambdaMaxMemoryMb = metrics.hasNonNull("maxMemoryUsedMB") ? metrics.get("maxMemoryUsedMB").asInt() : null;
            out.lambdaInitMs = metrics.hasNonNull("initDurationMs") ? metrics.get("initDurationMs").asDouble() : null;
            String status = record.path("status").asText(null);
            if (status != null) {
                out.attributes.put("lambda_status", status);
            }
            if (record.hasNonNull("errorType")) {
                out.attributes.put("lambda_error_type", record.get("errorType").asText());
            }
            if (status != null && !"success".equals(status)) {
                out.level = "ERROR";
            }
        }
        out.message = json.toString();
    }

    private static void setTime(NormalizedEvent out, String iso) {
        Long t = Timestamps.parseIso(iso);
        if (t != null) {
            out.eventTimeMillis = t;
        }
    }

    private static String levelOr(String name, String fallback) {
        String level = Levels.fromName(name);
        return level == null ? fallback : level;
    }

    private static String group(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? m.group(1) : null;
    }

    /** The number, or null when absent or not a number ({@code 1.2.3}): a malformed REPORT line still parses. */
    private static Double toDouble(String s) {
        try {
            return s == null ? null : Double.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The number, or null when absent or out of int range. */
    private static Integer toInt(String s) {
        try {
            return s == null ? null : Integer.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String stripTrailingNewline(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(0, end);
    }
}
