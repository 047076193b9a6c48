package dev.nagare.udf.functions;

import dev.nagare.udf.redact.Redactor;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code REDACT(text)}: the text with passwords, keys, tokens and card numbers masked. Null for
 * null text, and when the text could not be evaluated (never the unmasked text): an exception
 * here would fail the task and restart the job on the same record forever.
 */
public final class RedactFunction extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "REDACT";

    public String eval(String text) {
        // Null rather than the text when it could not be evaluated: the text may hold a secret.
        return Total.orNull(() -> Redactor.redact(text));
    }
}
