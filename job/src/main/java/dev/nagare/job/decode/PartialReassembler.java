package dev.nagare.job.decode;

import dev.nagare.job.metrics.JobMetrics;
import dev.nagare.job.metrics.Tally;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.parse.FireLensParser;
import dev.nagare.udf.parse.FireLensParser.PartialChunk;

import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Joins the pieces of a container line that the runtime split at 16 KiB (FireLens
 * {@code partial_*} keys, LOG_FORMATS.md 6.3), keyed by {@code container_id|source|partial_id}
 * because pieces can land on different shards and arrive in any order. A line is emitted when its
 * last piece and every piece before it are there; when pieces stay missing past the timeout, what
 * arrived is emitted, marked incomplete, so nothing is lost.
 */
public final class PartialReassembler extends KeyedProcessFunction<String, PartialChunk, RowData> {
    private static final long serialVersionUID = 1L;

    private static final long END_OF_INPUT = Long.MAX_VALUE;

    private final RecordDecoding decoding;
    private final long timeoutMillis;
    private final int maxLineChars;

    private transient MapState<Integer, PartialChunk> chunks;
    private transient ValueState<Integer> lastOrdinal;
    private transient ValueState<Long> timer;
    private transient ValueState<Integer> receivedPieces;
    private transient ValueState<Long> receivedChars;
    private transient EventRows rows;
    private transient Counter incomplete;

    public PartialReassembler(RecordDecoding decoding, Duration timeout, int maxLineChars) {
        this.decoding = decoding;
        this.timeoutMillis = timeout.toMillis();
        this.maxLineChars = maxLineChars;
    }

    @Override
    public void open(Configuration parameters) {
        // Timers clear the state; the TTL is a backstop should a timer ever be lost.
        StateTtlConfig ttl = StateTtlConfig.newBuilder(Duration.ofMillis(timeoutMillis * 10)).build();
        MapStateDescriptor<Integer, PartialChunk> chunksDescriptor =
                new MapStateDescriptor<>("chunks", Types.INT, Types.POJO(PartialChunk.class));
        chunksDescriptor.enableTimeToLive(ttl);
        ValueStateDescriptor<Integer> lastDescriptor = new ValueStateDescriptor<>("last-ordinal", Types.INT);
        lastDescriptor.enableTimeToLive(ttl);
        ValueStateDescriptor<Long> timerDescriptor = new ValueStateDescriptor<>("timer", Types.LONG);
        timerDescriptor.enableTimeToLive(ttl);
        chunks = getRuntimeContext().getMapState(chunksDescriptor);
        lastOrdinal = getRuntimeContext().getState(lastDescriptor);
        timer = getRuntimeContext().getState(timerDescriptor);
        // Pieces and chars received so far: a line is complete when the count reaches the last
        // ordinal (no scan up to an ordinal a hostile record could set to 2^31), and a line whose
        // pieces pass the line bound is emitted at once instead of growing state without end.
        ValueStateDescriptor<Integer> piecesDescriptor = new ValueStateDescriptor<>("received-pieces", Types.INT);
        piecesDescriptor.enableTimeToLive(ttl);
        receivedPieces = getRuntimeContext().getState(piecesDescriptor);
        ValueStateDescriptor<Long> charsDescriptor = new ValueStateDescriptor<>("received-chars", Types.LONG);
        charsDescriptor.enableTimeToLive(ttl);
        receivedChars = getRuntimeContext().getState(charsDescriptor);
        MetricGroup metrics = JobMetrics.of(getRuntimeContext().getMetricGroup());
        rows = new EventRows(metrics, new Tally(getRuntimeContext()));
        incomplete = metrics.counter(JobMetrics.PARTIAL_LINES_INCOMPLETE);
    }

    @Override
    public void processElement(PartialChunk chunk, Context ctx, Collector<RowData> out) throws Exception {
        if (chunk.ordinal < 1 || chunks.contains(chunk.ordinal)) {
            // A piece that cannot be placed, or a second copy of one: parsed on its own, kept.
            emitLine(ctx, out, chunk, chunk.log, false, chunk.log.length());
            return;
        }
        chunks.put(chunk.ordinal, chunk);
        int pieces = (receivedPieces.value() == null ? 0 : receivedPieces.value()) + 1;
        long chars = (receivedChars.value() == null ? 0 : receivedChars.value()) + chunk.log.length();
        receivedPieces.update(pieces);
        receivedChars.update(chars);
        if (chunk.last) {
            lastOrdinal.update(chunk.ordinal);
        }
        if (timer.value() == null) {
            long at = ctx.timerService().currentProcessingTime() + timeoutMillis;
            ctx.timerService().registerProcessingTimeTimer(at);
            // At the end of a bounded input (a replay) pending processing-time timers are dropped:
            // this event-time timer fires then.
            ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
            timer.update(at);
        }
        Integer last = lastOrdinal.value();
        if (last != null && pieces == last) {
            emit(ctx, out, true);
        } else if (chars > maxLineChars) {
            incomplete.inc();
            emit(ctx, out, false);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<RowData> out) throws Exception {
        if (chunks.isEmpty()) {
            return;
        }
        incomplete.inc();
        emit(ctx, out, false);
    }

    private void emit(Context ctx, Collector<RowData> out, boolean complete) throws Exception {
        List<Map.Entry<Integer, PartialChunk>> pieces = new ArrayList<>();
        chunks.entries().forEach(pieces::add);
        pieces.sort(Map.Entry.comparingByKey());
        StringBuilder line = new StringBuilder();
        int length = 0;
        for (Map.Entry<Integer, PartialChunk> piece : pieces) {
            String log = piece.getValue().log;
            length += log.length();
            if (line.length() < maxLineChars) {
                line.append(log, 0, Math.min(log.length(), maxLineChars - line.length()));
            }
        }
        emitLine(ctx, out, pieces.get(0).getValue(), line.toString(), complete, length);
        Long pending = timer.value();
        if (pending != null) {
            ctx.timerService().deleteProcessingTimeTimer(pending);
            ctx.timerService().deleteEventTimeTimer(END_OF_INPUT);
        }
        chunks.clear();
        lastOrdinal.clear();
        timer.clear();
        receivedPieces.clear();
        receivedChars.clear();
    }

    /** Parses the line built from the pieces (first piece's metadata) and emits its row or dead letter. */
    private void emitLine(Context ctx, Collector<RowData> out, PartialChunk first, String line, boolean complete, int length) {
        Row item;
        try {
            String record = FireLensParser.reassembled(first, line, complete, length);
            item = decoding.parse(new RawLogEvent(RawLogEvent.Envelope.NONE, null, null, record), first.arrivalMillis,
                    ctx.timerService().currentProcessingTime());
        } catch (RuntimeException e) {
            item = decoding.parse(new RawLogEvent(RawLogEvent.Envelope.NONE, null, null, first.record), first.arrivalMillis,
                    ctx.timerService().currentProcessingTime());
        }
        rows.route(item, out::collect, deadLetter -> ctx.output(DecodeFunction.DEAD_LETTERS, deadLetter));
    }
}
