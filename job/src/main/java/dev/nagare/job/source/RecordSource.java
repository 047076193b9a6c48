package dev.nagare.job.source;

import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

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

    /** A bounded source of the given payloads, in order, read by one reader (rule tests, replays). */
    public static RecordSource of(List<byte[]> records) {
        ArrayList<byte[]> copy = new ArrayList<>(records);
        return single(new DataGeneratorSource<>(new FromList(copy), copy.size(), RateLimiterStrategy.noOp(),
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    private static final class FromList implements GeneratorFunction<Long, byte[]> {
        private static final long serialVersionUID = 1L;
        private final ArrayList<byte[]> records;

        FromList(ArrayList<byte[]> records) {
            this.records = records;
        }

        @Override
        public byte[] map(Long index) {
            return records.get(index.intValue());
        }
    }

    public Source<byte[], ?, ?> source() {
        return source;
    }

    public int parallelism() {
        return parallelism;
    }
}
