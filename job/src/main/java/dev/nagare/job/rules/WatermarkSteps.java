package dev.nagare.job.rules;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.table.data.RowData;

/**
 * Passes every row at once and the watermark only in whole steps: {@code w} becomes the largest
 * multiple of the step at or below it, sent when it is larger than the last one sent. The end of
 * input ({@link Long#MAX_VALUE}) passes as it is.
 *
 * <p>Why: Flink's operators for an {@code OVER} window from {@code UNBOUNDED PRECEDING} and for
 * {@code MATCH_RECOGNIZE} give each key with a row waiting one timer at "the next watermark",
 * and on that timer list the key's buffered rows (a RocksDB iterator), read its accumulator and
 * register the timer again if a row is still ahead of the watermark. With the job's 30 s of
 * out-of-orderness and a watermark every 200 ms, every row was listed about 150 times before it
 * was processed; a million CONNECTs of new users and hosts loaded at about 550 events/s on
 * RocksDB (docs/BENCHMARKS.md). In steps of 10 s a row waits through about 4 watermarks.
 *
 * <p>What changes for the rule: its event-time operators see a watermark up to one step behind,
 * so its results come up to one step later, and rows up to one step later than before still
 * count instead of being dropped as late. Results are otherwise the same: the operators still
 * process each key's rows in event-time order.
 *
 * <p>When the input goes idle, the watermark as it came is sent before the idle status: rows
 * between the last step and it would otherwise wait until data came back.
 *
 * <p>Stateless: watermarks are not checkpointed, so after a restore every operator starts from
 * none, this one too.
 */
final class WatermarkSteps extends AbstractStreamOperator<RowData> implements OneInputStreamOperator<RowData, RowData> {
    private static final long serialVersionUID = 1L;

    private final long stepMillis;
    private transient long sent;
    private transient long received;

    WatermarkSteps(long stepMillis) {
        if (stepMillis < 1) {
            throw new IllegalArgumentException("step must be at least 1 ms: " + stepMillis);
        }
        this.stepMillis = stepMillis;
        // Chained to the route filter before it: a step of its own would be a hop for every row.
        setChainingStrategy(ChainingStrategy.ALWAYS);
    }

    @Override
    public void open() throws Exception {
        super.open();
        sent = Long.MIN_VALUE;
        received = Long.MIN_VALUE;
    }

    @Override
    public void processElement(StreamRecord<RowData> element) {
        output.collect(element);
    }

    @Override
    public void processWatermark(Watermark mark) {
        received = Math.max(received, mark.getTimestamp());
        send(step(mark.getTimestamp(), stepMillis));
    }

    @Override
    public void processWatermarkStatus(WatermarkStatus status) throws Exception {
        if (status.isIdle()) {
            send(received);
        }
        super.processWatermarkStatus(status);
    }

    private void send(long watermark) {
        if (watermark > sent) {
            sent = watermark;
            output.emitWatermark(new Watermark(watermark));
        }
    }

    /** The largest multiple of {@code step} at or below {@code t}; {@code Long.MAX_VALUE} stays itself. */
    static long step(long t, long step) {
        if (t == Long.MAX_VALUE) {
            return t;
        }
        long down = Math.floorMod(t, step);
        // Near Long.MIN_VALUE (the watermark before any) the subtraction would wrap around.
        return t < Long.MIN_VALUE + down ? Long.MIN_VALUE : t - down;
    }
}
