package dev.nagare.job.decode;

import dev.nagare.job.source.KinesisRecord;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.connector.base.source.reader.SourceReaderBase;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.types.Row;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Any source of Kinesis record payloads (the Kinesis connector, a replay of files, the demo
 * generator), decoding and parsing each record inside its reader. That puts the events' own times
 * in front of the source's per-split watermark generation: with a {@code WatermarkStrategy} on
 * {@code fromSource}, Flink keeps one watermark per Kinesis shard (per file in a replay) and
 * forwards their minimum, so a reader catching up on a backlog of several shards never lets the
 * leading shard declare the others late. Splits, enumerator and checkpoints are the wrapped
 * source's own, so the wrapped source's state restores unchanged.
 *
 * <p>A record's arrival time (Kinesis: the approximate arrival time) is the event time of last
 * resort for events that carry no time of their own.
 */
public final class DecodingSource<SplitT extends SourceSplit, CheckpointT>
        implements Source<Row, SplitT, CheckpointT>, ResultTypeQueryable<Row> {
    private static final long serialVersionUID = 1L;

    private final Source<KinesisRecord, SplitT, CheckpointT> records;
    private final RecordDecoding decoding;

    private DecodingSource(Source<KinesisRecord, SplitT, CheckpointT> records, RecordDecoding decoding) {
        this.records = records;
        this.decoding = decoding;
    }

    public static <S extends SourceSplit, C> DecodingSource<S, C> of(Source<KinesisRecord, S, C> records, RecordDecoding decoding) {
        return new DecodingSource<>(records, decoding);
    }

    @Override
    public Boundedness getBoundedness() {
        return records.getBoundedness();
    }

    @Override
    public SourceReader<Row, SplitT> createReader(SourceReaderContext context) throws Exception {
        return new Reader<>(records.createReader(context), decoding);
    }

    @Override
    public SplitEnumerator<SplitT, CheckpointT> createEnumerator(SplitEnumeratorContext<SplitT> context) throws Exception {
        return records.createEnumerator(context);
    }

    @Override
    public SplitEnumerator<SplitT, CheckpointT> restoreEnumerator(SplitEnumeratorContext<SplitT> context, CheckpointT checkpoint)
            throws Exception {
        return records.restoreEnumerator(context, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<SplitT> getSplitSerializer() {
        return records.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<CheckpointT> getEnumeratorCheckpointSerializer() {
        return records.getEnumeratorCheckpointSerializer();
    }

    @Override
    public TypeInformation<Row> getProducedType() {
        return Decoded.TYPE;
    }

    /** The wrapped reader, with its outputs (the main one and each split's) decoding on the way through. */
    static final class Reader<SplitT extends SourceSplit> implements SourceReader<Row, SplitT> {
        private final SourceReader<KinesisRecord, SplitT> records;
        private final RecordDecoding decoding;
        private ReaderOutput<Row> lastOutput;
        private DecodingReaderOutput adapter;
        /** Splits added since the last poll, whose outputs are registered before anything is read. */
        private final List<String> addedSplits = new ArrayList<>();

        Reader(SourceReader<KinesisRecord, SplitT> records, RecordDecoding decoding) {
            this.records = records;
            this.decoding = decoding;
        }

        @Override
        public void start() {
            records.start();
        }

        @Override
        public InputStatus pollNext(ReaderOutput<Row> output) throws Exception {
            if (output != lastOutput) { // the operator hands the same output every time; adapt it once
                adapter = new DecodingReaderOutput(output, decoding);
                lastOutput = output;
            }
            // A split's watermark only counts from its output's creation, which the connector
            // leaves to the split's first record. Reading a backlog one shard per fetch, the first
            // shard would then set the watermark alone, and the others' older events would all be
            // late. Registering every split's output as soon as it is assigned makes each shard
            // hold the watermark back until it has been read (or has been idle for the idle timeout).
            for (String split : addedSplits) {
                adapter.createOutputForSplit(split);
            }
            addedSplits.clear();
            return records.pollNext(adapter);
        }

        @Override
        public List<SplitT> snapshotState(long checkpointId) {
            return records.snapshotState(checkpointId);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            return records.isAvailable();
        }

        @Override
        public void addSplits(List<SplitT> splits) {
            // Only readers of the connector base emit per split (and release a split's output when
            // it finishes); others, such as the data generator's, emit on the main output only.
            if (records instanceof SourceReaderBase) {
                splits.forEach(split -> addedSplits.add(split.splitId()));
            }
            records.addSplits(splits);
        }

        @Override
        public void notifyNoMoreSplits() {
            records.notifyNoMoreSplits();
        }

        @Override
        public void handleSourceEvents(SourceEvent sourceEvent) {
            records.handleSourceEvents(sourceEvent);
        }

        @Override
        public void pauseOrResumeSplits(Collection<String> splitsToPause, Collection<String> splitsToResume) {
            records.pauseOrResumeSplits(splitsToPause, splitsToResume);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            records.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            records.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void close() throws Exception {
            records.close();
        }
    }

    /** One output (the main one or a split's): each record in, its decoded items out. */
    static class DecodingOutput implements SourceOutput<KinesisRecord> {
        private final SourceOutput<Row> items;
        private final RecordDecoding decoding;

        DecodingOutput(SourceOutput<Row> items, RecordDecoding decoding) {
            this.items = items;
            this.decoding = decoding;
        }

        @Override
        public void collect(KinesisRecord record) {
            decoding.decode(record.data, record.arrivalMillis, System.currentTimeMillis(), items::collect);
        }

        @Override
        public void collect(KinesisRecord record, long timestamp) {
            decoding.decode(record.data, record.arrivalMillis, System.currentTimeMillis(), item -> items.collect(item, timestamp));
        }

        @Override
        public void emitWatermark(Watermark watermark) {
            items.emitWatermark(watermark);
        }

        @Override
        public void markIdle() {
            items.markIdle();
        }

        @Override
        public void markActive() {
            items.markActive();
        }
    }

    /** The main output, which also hands out each split's output. */
    static final class DecodingReaderOutput extends DecodingOutput implements ReaderOutput<KinesisRecord> {
        private final ReaderOutput<Row> items;
        private final RecordDecoding decoding;
        private final Map<String, DecodingOutput> splits = new HashMap<>();

        DecodingReaderOutput(ReaderOutput<Row> items, RecordDecoding decoding) {
            super(items, decoding);
            this.items = items;
            this.decoding = decoding;
        }

        @Override
        public SourceOutput<KinesisRecord> createOutputForSplit(String splitId) {
            return splits.computeIfAbsent(splitId, id -> new DecodingOutput(items.createOutputForSplit(id), decoding));
        }

        @Override
        public void releaseOutputForSplit(String splitId) {
            splits.remove(splitId);
            items.releaseOutputForSplit(splitId);
        }
    }
}
