package dev.nagare.udf.decode;

import java.util.Objects;

/**
 * One log event as it came out of a Kinesis record, before any format-specific parsing: the
 * CloudWatch Logs envelope context plus the event's own id, timestamp and message text.
 */
public final class RawLogEvent {
    private final Envelope envelope;
    private final String id;
    private final Long timestampMillis;
    private final String message;

    public RawLogEvent(Envelope envelope, String id, Long timestampMillis, String message) {
        this.envelope = Objects.requireNonNull(envelope, "envelope");
        this.id = id;
        this.timestampMillis = timestampMillis;
        this.message = message == null ? "" : message;
    }

    public Envelope envelope() {
        return envelope;
    }

    /** CloudWatch {@code logEvents[].id}: a ~56-digit decimal kept as a string; null outside CWL. */
    public String id() {
        return id;
    }

    /** CloudWatch {@code logEvents[].timestamp} in epoch milliseconds; null outside CWL. */
    public Long timestampMillis() {
        return timestampMillis;
    }

    public String message() {
        return message;
    }

    /** The CloudWatch Logs subscription envelope shared by all events of one record. */
    public static final class Envelope {
        /** Context for records that did not come in a CWL envelope (FireLens JSON, raw text). */
        public static final Envelope NONE = new Envelope(null, null, null, null, null);

        private final String owner;
        private final String logGroup;
        private final String logStream;
        private final String subscriptionFilters;
        private final String policyLevel;

        public Envelope(
                String owner,
                String logGroup,
                String logStream,
                String subscriptionFilters,
                String policyLevel) {
            this.owner = owner;
            this.logGroup = logGroup;
            this.logStream = logStream;
            this.subscriptionFilters = subscriptionFilters;
            this.policyLevel = policyLevel;
        }

        /** The sending AWS account id (kept as a string: leading zeros are significant). */
        public String owner() {
            return owner;
        }

        public String logGroup() {
            return logGroup;
        }

        public String logStream() {
            return logStream;
        }

        /** The matching subscription filter names, comma-separated. */
        public String subscriptionFilters() {
            return subscriptionFilters;
        }

        public String policyLevel() {
            return policyLevel;
        }
    }
}
