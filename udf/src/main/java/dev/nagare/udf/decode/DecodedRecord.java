package dev.nagare.udf.decode;

import java.util.List;

/** What one Kinesis record turned out to contain. */
public final class DecodedRecord {

    /** How the record's bytes were recognised. */
    public enum Kind {
        /** gzip CloudWatch Logs subscription envelope with {@code DATA_MESSAGE}. */
        CWL_DATA,
        /** gzip CloudWatch Logs {@code CONTROL_MESSAGE}: a reachability check, carries no logs. */
        CWL_CONTROL,
        /** A JSON document that is not a CWL envelope (FireLens, other shippers). */
        JSON,
        /** Anything else that decodes as text. */
        TEXT,
        /** A KPL aggregated record: the events of all its user records. */
        KPL_AGGREGATE
    }

    private final Kind kind;
    private final List<RawLogEvent> events;

    public DecodedRecord(Kind kind, List<RawLogEvent> events) {
        this.kind = kind;
        this.events = List.copyOf(events);
    }

    public Kind kind() {
        return kind;
    }

    /** The log events of the record; empty for control messages. */
    public List<RawLogEvent> events() {
        return events;
    }
}
