package dev.nagare.job.alerts;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text from logs made safe for a Slack message: escaped, so it can neither mention nor link, and
 * cut to Slack's limits, so a long value cannot turn the message into a 400 (which would count as
 * a permanent failure and the alert would never page).
 *
 * <p>Slack's limits, from its Block Kit reference (docs.slack.dev/reference/block-kit/...):
 * a text object 3,000 characters (composition-objects/text-object), a section's text 3,000 and
 * each of at most 10 fields 2,000 (blocks/section-block), a header 150 (blocks/header-block), at
 * most 50 blocks per message; chat.postMessage recommends at most 4,000 characters in the
 * top-level {@code text} and truncates beyond 40,000. Slack counts characters; this class counts
 * UTF-16 code units, which are never fewer, so a value within these limits is within Slack's.
 */
final class SlackText {
    static final int SECTION_TEXT = 3000;
    static final int FIELD_TEXT = 2000;
    static final int HEADER_TEXT = 150;
    static final int MAX_BLOCKS = 50;
    static final int MAX_FIELDS = 10;
    static final int MESSAGE_TEXT = 4000;
    /**
     * Each field's value from logs or rules, below the 2,000 of a field: Slack also rejects a
     * message whose blocks hold more than about 13,000 characters in all (msg_blocks_too_long,
     * undocumented, slackapi/bolt-js#2509), which seven full fields and a full section would pass.
     */
    static final int FIELD_VALUE = 1000;

    /** Shown where a value was cut, so a reader knows the rest is in the alert (lake, JSON). */
    static final String CUT = " … (truncated)";

    /** Slack's broadcast keywords, which some clients and link_names settings turn into pings. */
    private static final Pattern BROADCAST = Pattern.compile("@(channel|here|everyone)\\b", Pattern.CASE_INSENSITIVE);

    private SlackText() {}

    /**
     * Slack's escaping of its three control characters (formatting-message-text#escaping): no
     * {@code <!channel>}, {@code <@U123>} or {@code <https://...|label>} can be planted, because
     * every mention and link needs a literal {@code <}. A word joiner after the {@code @} of
     * {@code @channel}, {@code @here} and {@code @everyone} keeps them from being parsed as
     * broadcasts where mentions are parsed from plain words; the text reads the same.
     */
    static String escape(String text) {
        String escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        Matcher m = BROADCAST.matcher(escaped);
        return m.find() ? m.replaceAll("@\u2060$1") : escaped;
    }

    /** {@link #escape} cut to at most {@code limit} characters, the cut marked. */
    static String escaped(String raw, int limit) {
        // Escaping never shortens text: a prefix of limit code units already escapes to at least
        // limit characters, so the rest of a 100 MB value is never escaped or copied.
        boolean longer = raw.length() > limit;
        String head = longer ? raw.substring(0, safeEnd(raw, limit)) : raw;
        return cut(escape(head), limit, longer);
    }

    /** Text this job writes itself (no markup from logs), cut to {@code limit} characters, the cut marked. */
    static String plain(String text, int limit) {
        return cut(text, limit, false);
    }

    private static String cut(String text, int limit, boolean alreadyCut) {
        if (text.length() <= limit && !alreadyCut) {
            return text;
        }
        int end = Math.min(text.length(), limit - CUT.length());
        // Never half an entity: an '&' that starts one whose ';' lies at or past the cut goes whole.
        int amp = text.lastIndexOf('&', end - 1);
        if (amp >= 0 && amp > end - 5) {
            int semicolon = text.indexOf(';', amp);
            if (semicolon < 0 || semicolon >= end) {
                end = amp;
            }
        }
        return text.substring(0, safeEnd(text, end)) + CUT;
    }

    /** {@code end}, or one less when it would split a surrogate pair (half an emoji is not valid text). */
    private static int safeEnd(String text, int end) {
        return end > 0 && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))
                && Character.isLowSurrogate(text.charAt(end)) ? end - 1 : end;
    }
}
