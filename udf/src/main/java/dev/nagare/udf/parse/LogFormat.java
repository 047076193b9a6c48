package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One log format the parser understands: how a line of it is recognised and how it is parsed into
 * a {@link NormalizedEvent}. The formats are tried in the order of {@link LogFormats#ALL}; a route
 * (log group pattern) names a format and skips the recognition. Formats parse the text as written:
 * redaction and the choice of event time happen once, in {@link EventParser}, for every format.
 */
public interface LogFormat {
    /**
     * The name routes and {@code log_type} use (a {@link LogTypes} value), or null for a format that
     * is only ever found inside another one (FireLens records are JSON documents).
     */
    String name();

    /** True when a line that no route claimed is in this format. Cheap: it runs for every such line. */
    default boolean recognises(String line) {
        return false;
    }

    /** True when a JSON object is in this format (asked for lines that are JSON objects). */
    default boolean recognises(ObjectNode json) {
        return false;
    }

    /**
     * Parses a line routed to this format or recognised as it.
     *
     * @throws ParseException when the line does not follow the format
     */
    void parse(String line, NormalizedEvent out) throws ParseException;

    /** Parses a JSON object this format {@linkplain #recognises(ObjectNode) recognised}. */
    default void parse(ObjectNode json, NormalizedEvent out) throws ParseException {
        throw new IllegalStateException("format " + name() + " does not recognise JSON objects");
    }
}
