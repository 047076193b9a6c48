package dev.nagare.job.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.NagareConfig;

import org.apache.flink.types.Row;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Slack message of an alert whose log-derived values (summary, group, account) are hostile:
 * mentions, links, entities, 100 KB values, emoji at the cut. Whatever the logs say, the body is
 * valid JSON within Slack's limits, and no mention or link comes from the logs.
 */
class SlackMessageTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String BASE = "https://github.com/acme/nagare/blob/main/";
    static final String RUNBOOK_LINK = "<https://github.com/acme/nagare/blob/main/docs/RULES.md#db_privilege_change|runbook>";

    static final String HOSTILE = "<!channel> <!here> <!everyone> <!subteam^S123|@oncall> <@U123> <#C123> "
            + "<https://evil.example|runbook> <mailto:x@evil.example> @channel @here @everyone https://evil.example/login "
            + "AT&T &amp; &lt;b&gt; &#60; &";

    /** A privilege-change alert whose user name and query are the attacker's. */
    static Row hostileAlert(String summary, String group) {
        Row row = AlertJsonTest.alert();
        row.setField("rule_id", "db_privilege_change");
        row.setField("severity", "critical");
        row.setField("summary", summary);
        row.setField("group_key", group);
        row.setField("account", "<@U999> 111122223333");
        row.setField("runbook", "docs/RULES.md#db_privilege_change");
        return row;
    }

    @Test
    void hostileLogTextCannotMentionOrLinkAndStaysWithinSlacksLimits() throws Exception {
        String huge = HOSTILE + " " + "x".repeat(100_000) + HOSTILE;
        String body = AlertJson.slack(hostileAlert(huge, HOSTILE + "&".repeat(50_000)), BASE);
        JsonNode message = JSON.readTree(body); // valid JSON

        assertWithinSlackLimits(message);
        for (String text : mrkdwnTexts(message)) {
            assertNoPlantedMarkup(text.replace(RUNBOOK_LINK, ""));
        }
        // The only link is the runbook, made absolute from alerts.runbook-base-url.
        assertThat(message.get("blocks").get(2).get("fields")).extracting(f -> f.get("text").asText())
                .contains("*Runbook*\n" + RUNBOOK_LINK);
        // What the logs said is still readable, escaped, and the cut is visible.
        String summary = message.get("blocks").get(1).get("text").get("text").asText();
        assertThat(summary).startsWith("&lt;!channel&gt; &lt;!here&gt;").contains("&lt;https://evil.example|runbook&gt;")
                .contains("AT&amp;T &amp;amp; &amp;lt;b&amp;gt;").endsWith(SlackText.CUT);
        assertThat(message.get("text").asText()).startsWith("[CRITICAL] Error rate above threshold in a service (account &lt;@U999&gt; 111122223333): &lt;!channel&gt;")
                .endsWith(SlackText.CUT);
        assertThat(message.get("blocks").get(2).get("fields")).extracting(f -> f.get("text").asText())
                .anySatisfy(t -> assertThat(t).startsWith("*Group*\n&lt;!channel&gt;").endsWith(SlackText.CUT))
                .contains("*Account*\n&lt;@U999&gt; 111122223333");
        // Bare URLs and channel names are not linkified: every mrkdwn text is verbatim.
        assertThat(mrkdwnObjects(message)).allSatisfy(o -> assertThat(o.get("verbatim").asBoolean()).isTrue());
    }

    @Test
    void aCutNeverSplitsAnEntityOrAnEmoji() throws Exception {
        // Slide the cut over every position of a 2-unit emoji and a 5-unit "&amp;" around the limits.
        for (int offset = 2900; offset <= 3010; offset++) {
            for (String filler : List.of("😀", "&", "<", "🏳️‍🌈", "a😀&")) {
                String value = "a".repeat(offset) + filler.repeat(2000);
                JsonNode message = JSON.readTree(AlertJson.slack(hostileAlert(value, "g".repeat(offset - 2000) + filler.repeat(600)), BASE));
                assertWithinSlackLimits(message);
                for (String text : allTexts(message)) {
                    assertWholeEntitiesAndPairs(text);
                }
            }
        }
    }

    @Test
    void shortValuesAreShownWholeWithoutMarker() throws Exception {
        JsonNode message = JSON.readTree(AlertJson.slack(hostileAlert("3 grants by <admin> & co", "app&db"), ""));
        assertThat(message.get("blocks").get(1).get("text").get("text").asText()).isEqualTo("3 grants by &lt;admin&gt; &amp; co");
        assertThat(message.get("blocks").get(2).get("fields")).extracting(f -> f.get("text").asText())
                .contains("*Group*\napp&amp;db")
                // No base: a relative runbook is text, not a link that opens nowhere.
                .contains("*Runbook*\ndocs/RULES.md#db_privilege_change");
    }

    @Test
    void runbooksAreAbsoluteLinksOrText() {
        assertThat(AlertJson.runbook("docs/RULES.md#app_error_rate", "https://github.com/acme/nagare/blob/main"))
                .isEqualTo("<https://github.com/acme/nagare/blob/main/docs/RULES.md#app_error_rate|runbook>");
        assertThat(AlertJson.runbook("./docs/RULES.md#x", BASE)).isEqualTo("<" + BASE + "docs/RULES.md#x|runbook>");
        assertThat(AlertJson.runbook("https://wiki.example.com/rb?a=1&b=<2>|x", BASE))
                .isEqualTo("<https://wiki.example.com/rb?a=1&amp;b=%3C2%3E%7Cx|runbook>");
        assertThat(AlertJson.runbook("docs/RULES.md#x", "")).isEqualTo("docs/RULES.md#x");
        assertThat(AlertJson.runbook("javascript:alert(1)", BASE)).isEqualTo("javascript:alert(1)");
        assertThat(AlertJson.runbook("<!channel>", "")).isEqualTo("&lt;!channel&gt;");
    }

    @Test
    void runbookBaseUrlIsCheckedAtStartUp() {
        assertThat(NagareConfig.defaults().with("alerts.runbook-base-url", BASE)).isNotNull();
        assertThat(NagareConfig.defaults().with("alerts.runbook-base-url", "")).isNotNull();
        for (String bad : List.of("ftp://docs.example.com/", "docs/", "https://", "https://docs.example.com/a|b", "javascript:alert(1)")) {
            assertThatThrownBy(() -> NagareConfig.defaults().with("alerts.runbook-base-url", bad))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("Invalid configuration value '" + bad + "' for key 'runbook-base-url' in group 'alerts': must be empty "
                            + "(no runbook links) or an http:// or https:// URL such as https://github.com/acme/nagare/blob/main/");
        }
        NagareConfig config = NagareConfig.defaults().with("alerts.webhook.url", "https://hooks.example.com/x")
                .with("alerts.runbook-base-url", BASE);
        assertThat(Destination.fromConfig(config, name -> null).get(0).runbookBase).isEqualTo(BASE);
    }

    /** Slack's documented limits (see {@link SlackText}) and the cumulative one it enforces. */
    static void assertWithinSlackLimits(JsonNode message) {
        assertThat(message.get("text").asText().length()).isBetween(1, SlackText.MESSAGE_TEXT);
        JsonNode blocks = message.get("blocks");
        assertThat(blocks.size()).isBetween(1, SlackText.MAX_BLOCKS);
        int total = 0;
        for (JsonNode block : blocks) {
            switch (block.get("type").asText()) {
                case "header":
                    assertThat(block.get("text").get("type").asText()).isEqualTo("plain_text");
                    assertThat(block.get("text").get("text").asText().length()).isBetween(1, SlackText.HEADER_TEXT);
                    total += block.get("text").get("text").asText().length();
                    break;
                case "section":
                    if (block.has("text")) {
                        assertThat(block.get("text").get("text").asText().length()).isBetween(1, SlackText.SECTION_TEXT);
                        total += block.get("text").get("text").asText().length();
                    }
                    if (block.has("fields")) {
                        assertThat(block.get("fields").size()).isBetween(1, SlackText.MAX_FIELDS);
                        for (JsonNode field : block.get("fields")) {
                            assertThat(field.get("text").asText().length()).isBetween(1, SlackText.FIELD_TEXT);
                            total += field.get("text").asText().length();
                        }
                    }
                    break;
                case "context":
                    assertThat(block.get("elements").size()).isBetween(1, 10);
                    for (JsonNode element : block.get("elements")) {
                        assertThat(element.get("text").asText().length()).isBetween(1, SlackText.SECTION_TEXT);
                        total += element.get("text").asText().length();
                    }
                    break;
                default:
                    throw new AssertionError("unexpected block " + block);
            }
        }
        assertThat(total).as("characters in all blocks").isLessThan(12_000);
    }

    /** No '<' or '>' of markup, no half-escaped '&', no broadcast keyword Slack could parse. */
    static void assertNoPlantedMarkup(String text) {
        assertThat(text).doesNotContain("<").doesNotContain(">");
        assertThat(text).doesNotContainPattern(Pattern.compile("(?i)@(channel|here|everyone)\\b"));
        assertWholeEntitiesAndPairs(text);
    }

    static void assertWholeEntitiesAndPairs(String text) {
        assertThat(text).doesNotContainPattern(Pattern.compile("&(?!amp;|lt;|gt;)"));
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new AssertionError("half a surrogate pair at " + i + " of " + text.length());
            }
        }
    }

    static List<JsonNode> mrkdwnObjects(JsonNode message) {
        List<JsonNode> objects = new ArrayList<>();
        message.get("blocks").forEach(block -> {
            block.findParents("type").stream()
                    .filter(n -> "mrkdwn".equals(n.get("type").asText()))
                    .forEach(objects::add);
        });
        return objects;
    }

    static List<String> mrkdwnTexts(JsonNode message) {
        List<String> texts = new ArrayList<>();
        texts.add(message.get("text").asText());
        mrkdwnObjects(message).forEach(o -> texts.add(o.get("text").asText()));
        return texts;
    }

    static List<String> allTexts(JsonNode message) {
        List<String> texts = mrkdwnTexts(message);
        texts.add(message.get("blocks").get(0).get("text").get("text").asText());
        return texts;
    }
}
