package dev.nagare.job.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.types.Row;

import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;

import static org.assertj.core.api.Assertions.assertThat;

class AlertJsonTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** An alert as the job's table conversion produces it: named fields. */
    static Row alert() {
        Row row = Row.withNames();
        row.setField("alert_id", "1c90048441fc752adbb06cd6c9213d04");
        row.setField("rule_id", "app_error_rate");
        row.setField("severity", "high");
        row.setField("title", "Error rate above threshold in a service");
        row.setField("group_key", "orders-api");
        row.setField("window_start", LocalDateTime.parse("2024-06-02T00:00:00"));
        row.setField("window_end", LocalDateTime.parse("2024-06-02T00:01:00"));
        row.setField("event_count", 197L);
        row.setField("summary", "orders-api: 124 of 197 events were errors");
        row.setField("details", "{\"errors\":124,\"events\":197}");
        row.setField("runbook", "https://wiki.example.com/runbooks/app_error_rate");
        row.setField("detected_at", LocalDateTime.parse("2024-06-02T00:01:05.250"));
        return row;
    }

    @Test
    void slackMessageFieldByField() throws Exception {
        JsonNode message = JSON.readTree(AlertJson.slack(alert()));
        assertThat(message.get("text").asText())
                .isEqualTo("[HIGH] Error rate above threshold in a service: orders-api: 124 of 197 events were errors");
        JsonNode blocks = message.get("blocks");
        assertThat(blocks).hasSize(4);
        assertThat(blocks.get(0).get("type").asText()).isEqualTo("header");
        assertThat(blocks.get(0).get("text").get("type").asText()).isEqualTo("plain_text");
        assertThat(blocks.get(0).get("text").get("text").asText()).isEqualTo(":red_circle: Error rate above threshold in a service");
        assertThat(blocks.get(1).get("text").get("type").asText()).isEqualTo("mrkdwn");
        assertThat(blocks.get(1).get("text").get("text").asText()).isEqualTo("orders-api: 124 of 197 events were errors");
        JsonNode fields = blocks.get(2).get("fields");
        assertThat(fields).extracting(f -> f.get("text").asText()).containsExactly(
                "*Severity*\nhigh",
                "*Rule*\napp_error_rate",
                "*Group*\norders-api",
                "*Events*\n197",
                "*Window*\n2024-06-02T00:00:00Z to 2024-06-02T00:01:00Z",
                "*Runbook*\n<https://wiki.example.com/runbooks/app_error_rate|runbook>");
        assertThat(blocks.get(3).get("type").asText()).isEqualTo("context");
        assertThat(blocks.get(3).get("elements").get(0).get("text").asText()).isEqualTo("alert_id 1c90048441fc752adbb06cd6c9213d04");
    }

    @Test
    void plainJsonHasEveryAlertColumn() throws Exception {
        JsonNode json = JSON.readTree(AlertJson.plain(alert()));
        assertThat(json.get("alert_id").asText()).isEqualTo("1c90048441fc752adbb06cd6c9213d04");
        assertThat(json.get("rule_id").asText()).isEqualTo("app_error_rate");
        assertThat(json.get("severity").asText()).isEqualTo("high");
        assertThat(json.get("group_key").asText()).isEqualTo("orders-api");
        assertThat(json.get("window_start").asText()).isEqualTo("2024-06-02T00:00:00Z");
        assertThat(json.get("window_end").asText()).isEqualTo("2024-06-02T00:01:00Z");
        assertThat(json.get("event_count").asLong()).isEqualTo(197);
        assertThat(json.get("details").get("errors").asInt()).isEqualTo(124);
        assertThat(json.get("detected_at").asText()).isEqualTo("2024-06-02T00:01:05.250Z");
        assertThat(json.get("runbook").asText()).isEqualTo("https://wiki.example.com/runbooks/app_error_rate");
        assertThat(json.size()).isEqualTo(Schemas.ALERTS.getChildren().size());
    }
}
