package dev.nagare.udf.decode;

/** A record that cannot be decoded; the reason ends up in the dead-letter table. */
public final class DecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    public DecodeException(String reason) {
        super(reason);
    }

    public DecodeException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
