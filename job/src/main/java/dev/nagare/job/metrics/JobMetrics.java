package dev.nagare.job.metrics;

import org.apache.flink.metrics.MetricGroup;

import java.util.List;

/**
 * The job's own metrics: every one is registered under the metric group {@value #GROUP}, the only
 * group Managed Service for Apache Flink publishes to CloudWatch (namespace
 * {@code AWS/KinesisAnalytics}). There the metric name is the name below, and the key/value groups
 * between {@value #GROUP} and the metric ({@code rule}, {@code destination}, {@code log_type},
 * {@code table}) become dimensions next to {@code Application}. No plain (name-only) group sits in
 * between, so what CloudWatch shows does not depend on how a plain group would be published.
 * Names are alphanumeric (CloudWatch and Prometheus naming) and carry the {@code nagare} prefix so
 * they never mix with Flink's own metrics. Histograms are not published by Managed Flink, so the
 * delivery latency is a gauge. These names are a contract: the README table, the dashboard and
 * alarms in {@code conf/cloudformation/nagare.yaml} and {@code TemplatesTest} use them.
 */
public final class JobMetrics {
    /** The group Managed Flink exports (its name from the time the service was Kinesis Data Analytics). */
    public static final String GROUP = "kinesisanalytics";

    // Job-wide counters (dimension Application only); the event, dead-letter, duplicate and late
    // counts also exist per log_type.
    public static final String RECORDS = "nagareRecords";
    public static final String EVENTS = "nagareEvents";
    public static final String DEAD_LETTERS = "nagareDeadLetters";
    public static final String DUPLICATES = "nagareDuplicates";
    public static final String LATE_EVENTS = "nagareLateEvents";
    public static final String CONTROL_MESSAGES = "nagareControlMessages";
    public static final String PARTIAL_CHUNKS = "nagarePartialChunks";
    public static final String PARTIAL_LINES_INCOMPLETE = "nagarePartialLinesIncomplete";
    /** Alerts raised by the rules after dedup, whatever the destination (or none). */
    public static final String ALERTS = "nagareAlerts";
    /** Alerts that went to {@code alerts_undelivered/}, summed over destinations. */
    public static final String ALERTS_UNDELIVERED = "nagareAlertsUndelivered";

    // Per rule (dimension rule).
    public static final String RULE_MATCHES = "nagareRuleMatches";
    public static final String RULE_ALERTS = "nagareRuleAlerts";
    public static final String RULE_SUPPRESSED = "nagareRuleSuppressed";

    // Per destination (dimension destination).
    public static final String DELIVERY_SENT = "nagareDeliverySent";
    public static final String DELIVERY_RETRIED = "nagareDeliveryRetried";
    public static final String DELIVERY_FAILED_ATTEMPTS = "nagareDeliveryFailedAttempts";
    public static final String DELIVERY_DEAD_LETTERED = "nagareDeliveryDeadLettered";
    public static final String DELIVERY_REJECTED = "nagareDeliveryRejected";
    /** Gauge: alerts waiting for their destination. */
    public static final String DELIVERY_QUEUED = "nagareDeliveryQueued";
    /** Gauge: milliseconds from an alert's arrival to its successful delivery, for the latest one. */
    public static final String DELIVERY_LATENCY_MS = "nagareDeliveryLatencyMs";

    // Lake (dimension table for rows; the committer's counts are job-wide).
    public static final String LAKE_ROWS_WRITTEN = "nagareLakeRowsWritten";
    public static final String LAKE_COMMITTED_FILES = "nagareLakeCommittedFiles";
    public static final String LAKE_ROLLED_BACK_FILES = "nagareLakeRolledBackFiles";
    public static final String LAKE_LOST_FILES = "nagareLakeLostFiles";

    /** Every name above, for the template check and the metrics test. */
    public static final List<String> ALL = List.of(
            RECORDS, EVENTS, DEAD_LETTERS, DUPLICATES, LATE_EVENTS, CONTROL_MESSAGES, PARTIAL_CHUNKS,
            PARTIAL_LINES_INCOMPLETE, ALERTS, ALERTS_UNDELIVERED,
            RULE_MATCHES, RULE_ALERTS, RULE_SUPPRESSED,
            DELIVERY_SENT, DELIVERY_RETRIED, DELIVERY_FAILED_ATTEMPTS, DELIVERY_DEAD_LETTERED, DELIVERY_REJECTED,
            DELIVERY_QUEUED, DELIVERY_LATENCY_MS,
            LAKE_ROWS_WRITTEN, LAKE_COMMITTED_FILES, LAKE_ROLLED_BACK_FILES, LAKE_LOST_FILES);

    /** The names registered with no key/value group: in CloudWatch their only dimension is Application. */
    public static final List<String> JOB_WIDE = List.of(
            RECORDS, EVENTS, DEAD_LETTERS, DUPLICATES, LATE_EVENTS, CONTROL_MESSAGES, PARTIAL_CHUNKS,
            PARTIAL_LINES_INCOMPLETE, ALERTS, ALERTS_UNDELIVERED, LAKE_COMMITTED_FILES, LAKE_ROLLED_BACK_FILES, LAKE_LOST_FILES);

    private JobMetrics() {}

    /** The exported group of an operator's (or a sink writer's) metric group. */
    public static MetricGroup of(MetricGroup operator) {
        return operator.addGroup(GROUP);
    }
}
