package dev.nagare.job.source;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** A source of Kinesis records (payload and arrival time), with the parallelism it must run at (0: the job's). */
public final class RecordSource implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Source<KinesisRecord, ?, ?> source;
    private final int parallelism;

    private RecordSource(Source<KinesisRecord, ?, ?> source, int parallelism) {
        this.source = source;
        this.parallelism = parallelism;
    }

    /** A source that scales with the job (one reader per shard range, for example). */
    public static RecordSource parallel(Source<KinesisRecord, ?, ?> source) {
        return new RecordSource(source, 0);
    }

    /** A source that must be read by exactly one reader to keep its order (the demo generator). */
    public static RecordSource single(Source<KinesisRecord, ?, ?> source) {
        return new RecordSource(source, 1);
    }

    /** A bounded source of the given payloads without arrival times, in order, read by one reader (rule tests). */
    public static RecordSource of(List<byte[]> payloads) {
        List<KinesisRecord> records = new ArrayList<>(payloads.size());
        payloads.forEach(data -> records.add(KinesisRecord.of(data, null)));
        return ofRecords(records);
    }

    /** A bounded source of the given records, in order, read by one reader. */
    public static RecordSource ofRecords(List<KinesisRecord> records) {
        ArrayList<KinesisRecord> copy = new ArrayList<>(records);
        return single(new DataGeneratorSource<>(new FromList(copy), copy.size(), RateLimiterStrategy.noOp(), TYPE));
    }

    /** The type of what record sources emit (never serialized: records are decoded inside the source). */
    public static final TypeInformation<KinesisRecord> TYPE = Types.POJO(KinesisRecord.class);

    private static final class FromList implements GeneratorFunction<Long, KinesisRecord> {
        private static final long serialVersionUID = 1L;
        private final ArrayList<KinesisRecord> records;

        FromList(ArrayList<KinesisRecord> records) {
            this.records = records;
        }

        @Override
        public KinesisRecord map(Long index) {
            return records.get(index.intValue());
        }
    }

    public Source<KinesisRecord, ?, ?> source() {
        return source;
    }

    public int parallelism() {
        return parallelism;
    }
}
