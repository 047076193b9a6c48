package dev.nagare.job.decode;

import dev.nagare.job.metrics.JobMetrics;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.FireLensParser.PartialChunk;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Routes the source's {@link Decoded} items, chained right after the source: {@code logs} rows to
 * the main output, dead letters to {@link #DEAD_LETTERS}, pieces of FireLens lines split at 16 KiB
 * to {@link #PARTIALS} for reassembly; and counts them all (metrics for a running job, accumulators
 * for the summary of a bounded one). Decoding itself happens in the source ({@link DecodingSource}).
 */
public final class DecodeFunction extends ProcessFunction<Row, RowData> {
    private static final long serialVersionUID = 1L;

    /** A {@code logs} row as the planner reads it: what this function and the reassembly emit. */
    public static final TypeInformation<RowData> LOGS_ROWDATA_TYPE = InternalTypeInfo.of(Schemas.LOGS.getLogicalType());
    public static final TypeInformation<Row> DEAD_LETTER_ROW_TYPE = ExternalTypeInfo.of(Schemas.DEAD_LETTER);
    public static final OutputTag<Row> DEAD_LETTERS = new OutputTag<>("dead-letters", DEAD_LETTER_ROW_TYPE);
    public static final OutputTag<PartialChunk> PARTIALS = new OutputTag<>("firelens-partials", Types.POJO(PartialChunk.class));

    private transient EventRows rows;
    private transient Tally tally;
    private transient Counter records;
    private transient Counter controlMessages;
    private transient Counter partialChunks;

    @Override
    public void open(Configuration parameters) {
        MetricGroup metrics = JobMetrics.of(getRuntimeContext().getMetricGroup());
        tally = new Tally(getRuntimeContext());
        rows = new EventRows(metrics, tally);
        records = metrics.counter(JobMetrics.RECORDS);
        controlMessages = metrics.counter(JobMetrics.CONTROL_MESSAGES);
        partialChunks = metrics.counter(JobMetrics.PARTIAL_CHUNKS);
    }

    @Override
    public void processElement(Row item, Context ctx, Collector<RowData> out) {
        if (Boolean.TRUE.equals(item.getField(Decoded.FIRST_OF_RECORD))) {
            records.inc();
            tally.inc("records");
        }
        switch (Decoded.kind(item)) {
            case Decoded.PARTIAL:
                partialChunks.inc();
                ctx.output(PARTIALS, (PartialChunk) item.getField(Decoded.CHUNK));
                break;
            case Decoded.CONTROL:
                controlMessages.inc();
                tally.inc("controlMessages");
                break;
            case Decoded.EMPTY:
                break;
            default:
                rows.route(item, out::collect, deadLetter -> ctx.output(DEAD_LETTERS, deadLetter));
        }
    }
}
