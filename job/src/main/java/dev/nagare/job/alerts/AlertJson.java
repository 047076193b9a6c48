package dev.nagare.job.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.flink.types.Row;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The alert as JSON (the Lambda event and the {@code json} webhook body) and as a Slack message
 * ({@code text} for notifications, {@code blocks} for the channel).
 */
public final class AlertJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AlertJson() {}

    /** Every alert column; times as ISO-8601 UTC; {@code details} as a JSON object when it is one. */
    public static ObjectNode alert(Row alert) {
        ObjectNode node = JSON.createObjectNode();
        for (String field : new String[] {"alert_id", "rule_id", "severity", "title", "account", "group_key"}) {
            node.put(field, (String) alert.getField(field));
        }
        node.put("window_start", iso(alert.getField("window_start")));
        node.put("window_end", iso(alert.getField("window_end")));
        Object count = alert.getField("event_count");
        if (count == null) {
            node.putNull("event_count");
        } else {
            node.put("event_count", ((Number) count).longValue());
        }
        node.put("summary", (String) alert.getField("summary"));
        node.set("details", details((String) alert.getField("details")));
        node.put("runbook", (String) alert.getField("runbook"));
        node.put("detected_at", iso(alert.getField("detected_at")));
        return node;
    }

    public static String plain(Row alert) {
        return write(alert(alert));
    }

    /** A Slack-compatible message: severity, title, summary, group, count, window and runbook link. */
    public static String slack(Row alert) {
        String severity = String.valueOf(alert.getField("severity"));
        String title = String.valueOf(alert.getField("title"));
        String summary = String.valueOf(alert.getField("summary"));
        ObjectNode message = JSON.createObjectNode();
        Object account = alert.getField("account");
        String where = account == null ? "" : " (account " + account + ")";
        message.put("text", "[" + severity.toUpperCase() + "] " + title + where + ": " + summary);
        ArrayNode blocks = message.putArray("blocks");
        ObjectNode header = blocks.addObject().put("type", "header");
        header.putObject("text").put("type", "plain_text").put("text", emoji(severity) + " " + title);
        ObjectNode section = blocks.addObject().put("type", "section");
        section.putObject("text").put("type", "mrkdwn").put("text", summary);
        ArrayNode fields = blocks.addObject().put("type", "section").putArray("fields");
        field(fields, "Severity", severity);
        field(fields, "Rule", String.valueOf(alert.getField("rule_id")));
        if (account != null) {
            field(fields, "Account", escapeMrkdwn(account.toString()));
        }
        field(fields, "Group", String.valueOf(alert.getField("group_key")));
        field(fields, "Events", String.valueOf(alert.getField("event_count")));
        field(fields, "Window", iso(alert.getField("window_start")) + " to " + iso(alert.getField("window_end")));
        field(fields, "Runbook", "<" + alert.getField("runbook") + "|runbook>");
        ArrayNode context = blocks.addObject().put("type", "context").putArray("elements");
        context.addObject().put("type", "mrkdwn").put("text", "alert_id " + alert.getField("alert_id"));
        return write(message);
    }

    /** Slack's control characters in text taken from logs: no mention, link or markup can be planted. */
    static String escapeMrkdwn(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static void field(ArrayNode fields, String name, String value) {
        fields.addObject().put("type", "mrkdwn").put("text", "*" + name + "*\n" + value);
    }

    private static String emoji(String severity) {
        switch (severity) {
            case "critical":
                return ":rotating_light:";
            case "high":
                return ":red_circle:";
            case "medium":
                return ":large_orange_circle:";
            default:
                return ":large_blue_circle:";
        }
    }

    private static JsonNode details(String details) {
        if (details == null) {
            return JSON.nullNode();
        }
        try {
            JsonNode parsed = JSON.readTree(details);
            return parsed == null ? JSON.getNodeFactory().textNode(details) : parsed;
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(details);
        }
    }

    private static String iso(Object time) {
        return time == null ? null : ((LocalDateTime) time).toInstant(ZoneOffset.UTC).toString();
    }

    private static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
