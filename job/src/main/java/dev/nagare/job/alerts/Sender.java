package dev.nagare.job.alerts;

import org.apache.flink.types.Row;

import java.util.concurrent.CompletableFuture;

/** Sends one alert to one destination; one attempt, no retries (the delivery function retries). */
interface Sender extends AutoCloseable {

    CompletableFuture<Attempt> send(Row alert);

    /** How one attempt ended. */
    final class Attempt {
        final boolean delivered;
        final boolean retryable;
        /** The destination's Retry-After in milliseconds, or -1. */
        final long retryAfterMillis;
        final String error;

        private Attempt(boolean delivered, boolean retryable, long retryAfterMillis, String error) {
            this.delivered = delivered;
            this.retryable = retryable;
            this.retryAfterMillis = retryAfterMillis;
            this.error = error;
        }

        static Attempt delivered() {
            return new Attempt(true, false, -1, null);
        }

        static Attempt retry(String error, long retryAfterMillis) {
            return new Attempt(false, true, retryAfterMillis, error);
        }

        static Attempt permanent(String error) {
            return new Attempt(false, false, -1, error);
        }
    }
}
