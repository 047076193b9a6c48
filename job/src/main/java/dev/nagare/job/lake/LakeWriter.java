package dev.nagare.job.lake;

import dev.nagare.job.metrics.JobMetrics;

import dev.nagare.job.config.LakeCompression;

import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;
import org.apache.flink.table.data.utils.ProjectedRowData;
import org.apache.flink.types.Row;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes one lake table's rows into Parquet staging files, one open file per partition, and
 * closes every open file just before each checkpoint barrier, sending the finished files to the
 * {@link LakeCommitter} ahead of the barrier. A finished file is complete and durable when its
 * checkpoint is taken, so the writer keeps no state: after a restore, rows are replayed from the
 * source and written again, and what an abandoned attempt left in staging is never committed.
 */
final class LakeWriter extends AbstractStreamOperator<LakeFile> implements OneInputStreamOperator<Object, LakeFile>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final Lake.LakeTable table;
    private final String stagingDir;
    private final long targetBytes;
    private final LakeCompression compression;

    private transient Map<List<Object>, OpenFile> open;
    private transient List<LakeFile> finished;
    private transient DataStructureConverter<Object, Object> converter;
    private transient BulkWriter.Factory<RowData> factory;
    private transient FileSystem fs;
    private transient String filePrefix;
    private transient long fileCounter;
    private transient Counter rowsWritten;

    /** Rows between two looks at a file's size. */
    static final int SIZE_CHECK_ROWS = 256;

    LakeWriter(Lake.LakeTable table, String stagingDir, long targetBytes, LakeCompression compression) {
        this.table = table;
        this.stagingDir = stagingDir;
        this.targetBytes = targetBytes;
        this.compression = compression;
        // An operator of its own is the head of a chain unless it says otherwise: the writer of
        // every event would get each row over the network (serialized, copied and read back in
        // another thread) instead of from the operator before it.
        setChainingStrategy(ChainingStrategy.ALWAYS);
    }

    @Override
    public void open() throws Exception {
        super.open();
        open = new HashMap<>();
        finished = new ArrayList<>();
        converter = DataStructureConverters.getConverter(table.rowType);
        converter.open(getUserCodeClassloader());
        factory = ParquetFiles.writerFactory(table.fileType(), compression, targetBytes);
        fs = new Path(stagingDir).getFileSystem();
        // Unique per attempt: checkpoint ids repeat after a restore from an older checkpoint.
        filePrefix = table.name + "-" + UUID.randomUUID() + "-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        rowsWritten = JobMetrics.of(getMetricGroup()).addGroup("table", table.name).counter(JobMetrics.LAKE_ROWS_WRITTEN);
        if (!table.eventTimeCommit) {
            // Tables committed on processing time must not hold back the committer's watermark
            // (alerts_undelivered arrives without any): this input is always "complete".
            output.emitWatermark(Watermark.MAX_WATERMARK);
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (table.eventTimeCommit) {
            super.processWatermark(mark);
        }
    }

    @Override
    public void processElement(StreamRecord<Object> element) throws Exception {
        // Rows of Flink's Row type, or already in the planner's form (no conversion then).
        Object value = element.getValue();
        boolean internal = value instanceof RowData;
        RowData row = internal ? (RowData) value : (RowData) converter.toInternal(value);
        List<Object> partition = table.partitionKey(row);
        OpenFile file = open.get(partition);
        if (file == null) {
            // Once per file: the path and commit time from the row as a Row.
            Row external = internal ? (Row) converter.toExternal(row) : (Row) value;
            file = new OpenFile(table.partitionOf(external), table.readyAtMillis(external));
            open.put(partition, file);
        }
        file.write(row);
        rowsWritten.inc();
        // The size every SIZE_CHECK_ROWS rows, not every row: on a local file system getPos is a
        // system call (lseek), one per event (in a profile as many samples as the dedup's RocksDB
        // put). The file only grows a row group at a time anyway.
        if (file.rows % SIZE_CHECK_ROWS == 0 && file.out.getPos() >= targetBytes) {
            open.remove(partition);
            finished.add(file.finish());
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    /**
     * Closes every open file and sends all finished ones downstream, ahead of the next barrier,
     * with an announcement of this writer: the committer then knows every live writer when the
     * checkpoint completes, and deletes staging files of any other (abandoned) attempt.
     */
    private void flush() throws IOException {
        for (OpenFile file : open.values()) {
            finished.add(file.finish());
        }
        open.clear();
        for (LakeFile file : finished) {
            output.collect(new StreamRecord<>(file));
        }
        finished.clear();
        output.collect(new StreamRecord<>(LakeFile.announcement(filePrefix)));
    }

    @Override
    public void close() throws Exception {
        // Files still open here belong to no checkpoint: they stay in staging, uncommitted, and
        // the committer of the next attempt deletes them once its first checkpoint completes.
        if (open != null) {
            for (OpenFile file : open.values()) {
                file.out.close();
            }
            open.clear();
        }
        super.close();
    }

    private final class OpenFile {
        final String partition;
        final long readyAtMillis;
        final Path path;
        final FSDataOutputStream out;
        final BulkWriter<RowData> writer;
        final ProjectedRowData projected;
        long rows;

        OpenFile(String partition, long readyAtMillis) throws IOException {
            this.partition = partition;
            this.readyAtMillis = readyAtMillis;
            this.path = new Path(stagingDir, filePrefix + "-" + (fileCounter++) + ".parquet");
            // The file's name starts with filePrefix + "-": the committer's garbage collection relies on it.
            this.out = fs.create(path, FileSystem.WriteMode.NO_OVERWRITE);
            this.writer = factory.create(out);
            this.projected = ProjectedRowData.from(table.fileColumns());
        }

        void write(RowData row) throws IOException {
            projected.replaceRow(row);
            writer.addElement(projected);
            rows++;
        }

        LakeFile finish() throws IOException {
            writer.finish();
            long bytes = out.getPos();
            // closeForCommit semantics: on S3 the object exists once close returns.
            out.close();
            return new LakeFile(filePrefix, table.name, partition, readyAtMillis, path.toString(), rows, bytes);
        }
    }
}
