package dev.nagare.udf.functions;

import org.apache.flink.table.functions.ScalarFunction;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;

/**
 * {@code NAGARE_ALERT_ID(rule_id, group_key, window_start)}: the deterministic id of an alert.
 * The same rule, group and window give the same id in every run, so a restart or a replay
 * re-delivers an alert under its old id instead of paging again under a new one.
 */
public final class AlertIdFunction extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "NAGARE_ALERT_ID";

    /** The id; null when it could not be evaluated (an exception here would restart the job forever). */
    public String eval(String ruleId, String groupKey, LocalDateTime windowStart) {
        return Total.orNull(() -> alertId(ruleId, groupKey, windowStart));
    }

    /** The first 128 bits of SHA-256 over the three parts, as 32 hex digits. */
    public static String alertId(String ruleId, String groupKey, LocalDateTime windowStart) {
        // A unit separator cannot occur in ids or keys, so ("a","bc") and ("ab","c") differ.
        String key = ruleId + '\u001f' + (groupKey == null ? "" : groupKey) + '\u001f'
                + (windowStart == null ? "" : windowStart.toString());
        byte[] hash = sha256().digest(key.getBytes(StandardCharsets.UTF_8));
        StringBuilder hex = new StringBuilder(32);
        for (int i = 0; i < 16; i++) {
            hex.append(Character.forDigit((hash[i] >> 4) & 0xf, 16)).append(Character.forDigit(hash[i] & 0xf, 16));
        }
        return hex.toString();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
