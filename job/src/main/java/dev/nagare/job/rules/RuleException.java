package dev.nagare.job.rules;

/** A rule that cannot be loaded or compiled; the message names the rule, its file and the position. */
public final class RuleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RuleException(String message) {
        super(message);
    }
}
