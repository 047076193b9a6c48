package dev.nagare.udf;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs code on hostile input the way the job would meet it, and fails when it is not total: on a
 * thread with a small stack (256 KiB, a quarter of the default), so recursion that grows with the
 * input overflows here even for inputs the default stack would survive; and with a hang guard,
 * far above what a linear pass over these inputs takes (well under a second) and far below what a
 * quadratic one does (hours), so it catches super-linear behaviour without timing anything.
 */
public final class Hostile {
    private static final long STACK_BYTES = 256 * 1024;
    private static final long HANG_GUARD_SECONDS = 60;

    private Hostile() {}

    /** The call's result; an AssertionError if it throws anything (an Error included) or hangs. */
    public static <T> T run(Callable<T> call) {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread thread = new Thread(null, () -> {
            try {
                outcome.set(new Object[] {call.call()});
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "hostile-input", STACK_BYTES);
        thread.setDaemon(true); // a regex stuck in backtracking ignores interrupts
        thread.start();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(HANG_GUARD_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        if (thread.isAlive()) {
            throw new AssertionError("no result after " + HANG_GUARD_SECONDS + " s: super-linear on this input");
        }
        Object result = outcome.get();
        if (result instanceof Throwable) {
            throw new AssertionError("threw " + result, (Throwable) result);
        }
        @SuppressWarnings("unchecked")
        T value = (T) ((Object[]) result)[0];
        return value;
    }

    /** Like {@link #run}, for a call whose declared exception is an expected outcome: it is returned, not thrown. */
    public static <E extends Exception> E expect(Class<E> expected, ThrowingRunnable call) {
        Object result = run(() -> {
            try {
                call.run();
                return null;
            } catch (Exception e) {
                if (expected.isInstance(e)) {
                    return e;
                }
                throw e;
            }
        });
        if (result == null) {
            throw new AssertionError("expected " + expected.getSimpleName() + ", but the call returned normally");
        }
        return expected.cast(result);
    }

    /** A call that may throw a checked exception. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
