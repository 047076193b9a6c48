package dev.nagare.udf.functions;

import dev.nagare.udf.redact.Redactor;

import org.apache.flink.table.functions.ScalarFunction;

/** {@code REDACT(text)}: the text with passwords, keys, tokens and card numbers masked. */
public final class RedactFunction extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "REDACT";

    public String eval(String text) {
        return Redactor.redact(text);
    }
}
