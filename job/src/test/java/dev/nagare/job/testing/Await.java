package dev.nagare.job.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Waiting on a condition with a deadline: the one poll loop the tests share. Whatever a test
 * waits for here (a lake's rows, a webhook's bodies, a freed port) gives no signal of its own.
 */
public final class Await {
    private static final long POLL_MILLIS = 250;

    private Await() {}

    /**
     * Probes until {@code done} holds or the timeout passes; returns the last value probed, so
     * the caller asserts on it and a failure shows what was there instead.
     */
    public static <T> T until(Callable<T> probe, Predicate<T> done, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T value = probe.call();
            if (done.test(value) || System.nanoTime() > deadline) {
                return value;
            }
            Thread.sleep(POLL_MILLIS); // the only sleep: between probes
        }
    }
}
