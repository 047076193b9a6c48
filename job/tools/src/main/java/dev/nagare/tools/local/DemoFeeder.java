package dev.nagare.tools.local;

import dev.nagare.job.source.demo.DemoScenario;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Puts the demo generator's records into a Kinesis stream at the scenario's pace: record
 * {@code i} goes in once its event time has come, so a start in the past first catches up as fast
 * as the stream takes it, then follows the clock. Stops after {@code limit} records (0: never) or
 * on {@link #close()}.
 */
public final class DemoFeeder implements AutoCloseable {
    /** PutRecords takes at most 500 records per call. */
    private static final int BATCH = 500;
    private static final long IDLE_MILLIS = 100;

    private final KinesisLocal kinesis;
    private final String stream;
    private final DemoScenario scenario;
    private final long limit;
    private final PrintStream err;
    private final AtomicLong fed = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    public DemoFeeder(KinesisLocal kinesis, String stream, DemoScenario scenario, long limit, PrintStream err) {
        this.kinesis = kinesis;
        this.stream = stream;
        this.scenario = scenario;
        this.limit = limit <= 0 ? Long.MAX_VALUE : limit;
        this.err = err;
        this.thread = new Thread(this::run, "nagare-demo-feeder");
        thread.setDaemon(true);
    }

    public DemoFeeder start() {
        thread.start();
        return this;
    }

    /** Records put into the stream so far. */
    public long fed() {
        return fed.get();
    }

    private void run() {
        long next = 0;
        try {
            while (!stopped && next < limit) {
                long now = System.currentTimeMillis();
                List<byte[]> batch = new ArrayList<>();
                while (batch.size() < BATCH && next < limit && scenario.timeOf(next) <= now) {
                    batch.add(scenario.record(next++).toBytes());
                }
                if (batch.isEmpty()) {
                    Thread.sleep(IDLE_MILLIS); // the next record's time has not come yet
                    continue;
                }
                kinesis.put(stream, batch);
                fed.addAndGet(batch.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!stopped) {
                err.println("nagare: the demo feeder stopped after " + fed() + " records: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.interrupt();
        thread.join(10_000);
    }
}
