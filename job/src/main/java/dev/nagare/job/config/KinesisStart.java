package dev.nagare.job.config;

/** Where a Kinesis source without restored state starts ({@code source.kinesis.initial-position}). */
public enum KinesisStart {
    LATEST,
    TRIM_HORIZON,
    AT_TIMESTAMP
}
