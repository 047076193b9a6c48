package dev.nagare.job.config;

/** Where the job reads Kinesis records from ({@code source.type}). */
public enum SourceType {
    /** The embedded, seeded generator of realistic CloudWatch Logs records: no AWS needed. */
    DEMO,
    /** A Kinesis Data Stream (FLIP-27 KinesisStreamsSource). */
    KINESIS,
    /** Files of captured Kinesis records, one record per line (get-records JSON or base64 data; backtests; bounded). */
    REPLAY
}
