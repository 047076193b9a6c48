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

    /** {@link #slack(Row, String)} without a runbook base: only absolute runbooks are links. */
    public static String slack(Row alert) {
        return slack(alert, "");
    }

    /**
     * A Slack-compatible message: severity, title, summary, group, count, window and runbook link.
     * Every value is escaped ({@link SlackText#escape}) and cut to Slack's limits, and every mrkdwn
     * text is {@code verbatim}, so Slack does not turn bare URLs, channel names or mentions in log
     * text into links or pings: what the logs say is shown, never acted on.
     *
     * @param runbookBase the URL relative runbooks ({@code docs/RULES.md#...}) are resolved
     *                    against ({@code alerts.runbook-base-url}); empty: they are shown as text
     */
    public static String slack(Row alert, String runbookBase) {
        String severity = String.valueOf(alert.getField("severity"));
        String title = String.valueOf(alert.getField("title"));
        Object summary = alert.getField("summary");
        Object account = alert.getField("account");
        ObjectNode message = JSON.createObjectNode();
        // The notification text: what a phone or a client without blocks shows.
        String where = account == null ? "" : " (account " + SlackText.escaped(account.toString(), SlackText.FIELD_VALUE) + ")";
        String head = "[" + SlackText.escaped(severity.toUpperCase(), 20) + "] "
                + SlackText.escaped(title, SlackText.HEADER_TEXT) + where + ": ";
        message.put("text", head + SlackText.escaped(text(summary), SlackText.MESSAGE_TEXT - head.length()));
        ArrayNode blocks = message.putArray("blocks");
        // A header is plain_text: nothing in it is parsed, so the rule's title is only cut.
        ObjectNode header = blocks.addObject().put("type", "header");
        header.putObject("text").put("type", "plain_text")
                .put("text", SlackText.plain(emoji(severity) + " " + title, SlackText.HEADER_TEXT));
        ObjectNode section = blocks.addObject().put("type", "section");
        mrkdwn(section.putObject("text"), SlackText.escaped(text(summary), SlackText.SECTION_TEXT));
        ArrayNode fields = blocks.addObject().put("type", "section").putArray("fields");
        field(fields, "Severity", severity);
        field(fields, "Rule", String.valueOf(alert.getField("rule_id")));
        if (account != null) {
            field(fields, "Account", account.toString());
        }
        field(fields, "Group", String.valueOf(alert.getField("group_key")));
        field(fields, "Events", String.valueOf(alert.getField("event_count")));
        field(fields, "Window", iso(alert.getField("window_start")) + " to " + iso(alert.getField("window_end")));
        mrkdwn(fields.addObject(), "*Runbook*\n" + runbook((String) alert.getField("runbook"), runbookBase));
        ArrayNode context = blocks.addObject().put("type", "context").putArray("elements");
        mrkdwn(context.addObject(), "alert_id " + SlackText.escaped(String.valueOf(alert.getField("alert_id")), SlackText.FIELD_VALUE));
        return write(message);
    }

    /** A text object needs at least one character. */
    private static String text(Object value) {
        return value == null || value.toString().isEmpty() ? "(none)" : value.toString();
    }

    private static void mrkdwn(ObjectNode object, String text) {
        object.put("type", "mrkdwn").put("text", text).put("verbatim", true);
    }

    private static void field(ArrayNode fields, String name, String value) {
        mrkdwn(fields.addObject(), "*" + name + "*\n" + SlackText.escaped(text(value), SlackText.FIELD_VALUE));
    }

    /**
     * The runbook as a link when it is, or resolves to, an http(s) URL of a sensible length;
     * otherwise as text. A rule's runbook is normally relative to the repository
     * ({@code docs/RULES.md#app_error_rate}), which opens nowhere from Slack.
     */
    static String runbook(String runbook, String base) {
        String url = runbookUrl(runbook, base);
        if (url != null && url.length() <= SlackText.FIELD_VALUE / 2) {
            // Inside <url|label> the URL ends at '|' or '>': those are percent-encoded, '&' escaped.
            String link = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20");
            return "<" + link + "|runbook>";
        }
        return SlackText.escaped(text(runbook), SlackText.FIELD_VALUE);
    }

    /** The runbook's absolute http(s) URL, or null when it has none (no base, another scheme). */
    static String runbookUrl(String runbook, String base) {
        if (runbook == null || runbook.isBlank()) {
            return null;
        }
        String r = runbook.trim();
        if (r.matches("(?i)https?://\\S+")) {
            return r;
        }
        if (r.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*") || base == null || base.isEmpty()) {
            return null; // javascript:, mailto:, ... are never links; a relative path needs a base
        }
        return (base.endsWith("/") ? base : base + "/") + r.replaceFirst("^(\\./|/)+", "");
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
