package dev.nagare.udf.parse;

/** A log event whose format was recognised but whose content does not follow it. */
public final class ParseException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String logType;

    public ParseException(String reason) {
        this(reason, null);
    }

    public ParseException(String reason, String logType) {
        super(reason);
        this.logType = logType;
    }

    /** The log type the event was routed to, when known. */
    public String logType() {
        return logType;
    }
}
