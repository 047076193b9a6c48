package dev.nagare.udf.parse;

/** A log event whose format was recognised but whose content does not follow it. */
public final class ParseException extends Exception {
    private static final long serialVersionUID = 1L;

    public ParseException(String reason) {
        super(reason);
    }
}
