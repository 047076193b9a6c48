package dev.nagare.job.source;

import org.apache.flink.api.connector.source.Source;

import java.io.Serializable;

/** A source of Kinesis record payloads, with the parallelism it must run at (0: the job's). */
public final class RecordSource implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Source<byte[], ?, ?> source;
    private final int parallelism;

    private RecordSource(Source<byte[], ?, ?> source, int parallelism) {
        this.source = source;
        this.parallelism = parallelism;
    }

    /** A source that scales with the job (one reader per shard range, for example). */
    public static RecordSource parallel(Source<byte[], ?, ?> source) {
        return new RecordSource(source, 0);
    }

    /** A source that must be read by exactly one reader to keep its order (the demo generator). */
    public static RecordSource single(Source<byte[], ?, ?> source) {
        return new RecordSource(source, 1);
    }

    public Source<byte[], ?, ?> source() {
        return source;
    }

    public int parallelism() {
        return parallelism;
    }
}
