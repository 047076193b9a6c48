package dev.nagare.job.source;

import java.io.Serializable;

/**
 * One Kinesis record as the job reads it: the payload, and when Kinesis received it (its
 * approximate arrival time), which times the events that carry no time of their own. Replays of
 * captures without arrival times and generated records may leave it null.
 */
public final class KinesisRecord implements Serializable {
    private static final long serialVersionUID = 1L;

    public byte[] data;
    /** Epoch milliseconds; null when unknown. */
    public Long arrivalMillis;

    public KinesisRecord() {}

    public static KinesisRecord of(byte[] data, Long arrivalMillis) {
        KinesisRecord record = new KinesisRecord();
        record.data = data;
        record.arrivalMillis = arrivalMillis;
        return record;
    }
}
