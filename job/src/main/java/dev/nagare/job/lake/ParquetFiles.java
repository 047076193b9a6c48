package dev.nagare.job.lake;

import dev.nagare.job.config.LakeCompression;

import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.parquet.ParquetInputFile;
import org.apache.flink.formats.parquet.ParquetWriterFactory;
import org.apache.flink.formats.parquet.row.ParquetRowDataBuilder;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Writes the lake's Parquet files and merges finished ones without decoding them. */
final class ParquetFiles {
    private ParquetFiles() {}

    /**
     * The writer settings every lake file uses: INT64 millisecond timestamps in UTC (INT96 is
     * deprecated and read differently by each engine) and the configured codec.
     */
    static Configuration hadoopConf(LakeCompression compression) {
        Configuration conf = new Configuration(false);
        conf.set("parquet.compression", compression.name());
        conf.set("parquet.write.int64.timestamp", "true");
        conf.set("parquet.timestamp.time.unit", "millis");
        return conf;
    }

    /**
     * Ids, whose values are all different, and event times, nearly all different (milliseconds):
     * no dictionary. A dictionary of ids grows until it passes its page size and Parquet then
     * re-encodes the column chunk plainly; the hashing, lookups and that re-encoding were a
     * quarter of the lake's CPU in a profile. Event times kept theirs, as a busy stream's events
     * share milliseconds, but after compression the files were no smaller with it (40.5 and 40.9
     * bytes per event against 40.3 and 40.7 without, two pairs of benchmark runs), and its hash
     * map was 7% of the lake writer's samples. Every other column keeps its dictionary: levels,
     * services and log groups repeat, every event of a record shares its ingest time, and
     * messages repeat more than they differ (without a dictionary for messages the lake grew
     * from 10.9% to 11.6% of the raw JSON).
     */
    static final Set<String> WITHOUT_DICTIONARY = Set.of("event_id", "request_id", "trace_id", "event_time");

    /** Parquet's default row group: what a writer buffers in memory before the file grows. */
    static final long MAX_ROW_GROUP_BYTES = 128L << 20;

    /**
     * @param fileBytes the size at which the writer rolls a file: row groups are no larger, since
     *     Parquet keeps a row group in memory and the file only grows when one is written (with
     *     the default 128 MB, a smaller {@code lake.rolling.file-size} never took effect)
     */
    static BulkWriter.Factory<RowData> writerFactory(RowType fileType, LakeCompression compression, long fileBytes) {
        Configuration conf = hadoopConf(compression);
        CompressionCodecName codec = CompressionCodecName.fromConf(compression.name());
        long rowGroupBytes = Math.min(fileBytes, MAX_ROW_GROUP_BYTES);
        return new ParquetWriterFactory<>(out -> {
            ParquetRowDataBuilder builder = new LakeRowWriteSupport.Builder(out, fileType)
                    .withCompressionCodec(codec)
                    .withRowGroupSize(rowGroupBytes)
                    .withConf(conf);
            for (String column : fileType.getFieldNames()) {
                if (WITHOUT_DICTIONARY.contains(column)) {
                    builder = builder.withDictionaryEncoding(column, false);
                }
            }
            return builder.build();
        });
    }

    /**
     * Writes the row groups of {@code inputs} one after another into {@code target}, as they are:
     * no row is decoded or re-encoded, so merging costs about a copy of the bytes.
     *
     * <p>The merged file has the schema its inputs were written with, not the job's current one:
     * files staged by an earlier version of the job (a column since added) are committed by the
     * new version after a restore, and Parquet cannot copy a row group into a schema with a column
     * the group lacks (that failed every restore). Engines read such a file's missing column as
     * null. The inputs of one merge are one checkpoint's files of one table and partition, so
     * they share a schema; if they ever did not, the merge fails with both schemas named.
     */
    static void merge(FileSystem fs, List<Path> inputs, Path target) throws IOException {
        MessageType schema = null;
        for (Path input : inputs) {
            MessageType own = schema(fs, input);
            if (schema == null) {
                schema = own;
            } else if (!schema.equals(own)) {
                throw new IOException("cannot merge " + inputs.get(0) + " and " + input + " into " + target
                        + ": they were written with different schemas (" + schema + " and " + own + ")");
            }
        }
        try (FSDataOutputStream out = fs.create(target, FileSystem.WriteMode.OVERWRITE)) {
            ParquetFileWriter writer = new ParquetFileWriter(new StreamFile(out), schema,
                    ParquetFileWriter.Mode.OVERWRITE, MAX_ROW_GROUP_BYTES, 0);
            writer.start();
            for (Path input : inputs) {
                long length = fs.getFileStatus(input).getLen();
                try (FSDataInputStream in = fs.open(input)) {
                    writer.appendFile(new ParquetInputFile(in, length));
                }
            }
            writer.end(Map.of());
        }
    }

    /** The schema a Parquet file was written with, from its footer. */
    static MessageType schema(FileSystem fs, Path file) throws IOException {
        long length = fs.getFileStatus(file).getLen();
        try (FSDataInputStream in = fs.open(file);
             ParquetFileReader reader = ParquetFileReader.open(new ParquetInputFile(in, length))) {
            return reader.getFooter().getFileMetaData().getSchema();
        }
    }

    /** Parquet's view of a Flink output stream; closing is left to the stream's owner. */
    private static final class StreamFile implements OutputFile {
        private final FSDataOutputStream out;

        StreamFile(FSDataOutputStream out) {
            this.out = out;
        }

        @Override
        public PositionOutputStream create(long blockSizeHint) {
            return new PositionOutputStream() {
                @Override
                public long getPos() throws IOException {
                    return out.getPos();
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() {
                    // The caller closes the Flink stream.
                }
            };
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) {
            return create(blockSizeHint);
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return 0;
        }
    }
}
