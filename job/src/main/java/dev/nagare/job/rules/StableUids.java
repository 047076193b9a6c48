package dev.nagare.job.rules;

import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.datastream.DataStream;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Operator uids for the SQL part of the job that do not move when other SQL changes.
 *
 * <p>The planner's own uids ({@code table.exec.uid.generation}) number every operator with a
 * counter shared by everything planned in the JVM (FLINK-28861): adding, editing or disabling one
 * rule renumbers every operator planned after it, so their state no longer maps back on restore.
 * Instead each rule (and each rollup) is planned and translated on its own, and every
 * transformation between its output and the shared {@code logs} input gets
 * {@code <prefix>-<n>}, n counting in a fixed traversal order, with the prefix carrying a hash of
 * whatever shapes the plan's state (the SQL without comments, the state TTL). Flink derives the
 * operator id from the uid ({@code StreamGraphHasherV2}); no uid hash is set, so that id is the
 * one state is mapped by.
 */
public final class StableUids {
    private StableUids() {}

    /**
     * Sets {@code <prefix>-<n>} on every transformation from {@code output} back to (not
     * including) {@code input}, depth first in input order; returns the uids set, in that order.
     *
     * @throws IllegalStateException when the walk reaches a source other than {@code input}: the
     *     plan reads something else, whose uids must not be overwritten
     */
    public static List<String> stamp(DataStream<?> output, DataStream<?> input, String prefix) {
        Transformation<?> stop = input.getTransformation();
        Set<Transformation<?>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Transformation<?>> pending = new ArrayDeque<>();
        pending.push(output.getTransformation());
        List<String> uids = new ArrayList<>();
        while (!pending.isEmpty()) {
            Transformation<?> t = pending.pop();
            if (t == stop || !seen.add(t)) {
                continue;
            }
            if (t.getInputs().isEmpty()) {
                throw new IllegalStateException(prefix + ": the plan reads '" + t.getName() + "', not only the logs table");
            }
            String uid = prefix + "-" + uids.size();
            t.setUid(uid);
            uids.add(uid);
            List<Transformation<?>> inputs = t.getInputs();
            for (int i = inputs.size() - 1; i >= 0; i--) {
                pending.push(inputs.get(i));
            }
        }
        return uids;
    }

    /** The first 8 hex digits of the SHA-256 of the parts, each ended by a newline. */
    public static String fingerprint(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) '\n');
            }
            byte[] digest = sha.digest();
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                hex.append(String.format("%02x", digest[i]));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Flink SQL without its comments and with every run of whitespace outside string literals
     * made one space, so that comments and layout do not change a plan's uids. String literals
     * ({@code '...'} with {@code ''} for a quote) and quoted identifiers ({@code `...`}) are kept
     * as written. One pass, linear in the text.
     */
    public static String normalize(String sql) {
        StringBuilder out = new StringBuilder(sql.length());
        int n = sql.length();
        int i = 0;
        boolean space = false;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? n : end;
                space = true;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                space = true;
            } else if (Character.isWhitespace(c)) {
                i++;
                space = true;
            } else {
                if (space && out.length() > 0) {
                    out.append(' ');
                }
                space = false;
                if (c == '\'' || c == '`') {
                    int end = i + 1;
                    while (end < n) {
                        if (sql.charAt(end) == c) {
                            if (end + 1 < n && sql.charAt(end + 1) == c) {
                                end += 2; // a doubled quote is one quote character
                                continue;
                            }
                            break;
                        }
                        end++;
                    }
                    end = Math.min(end + 1, n);
                    out.append(sql, i, end);
                    i = end;
                } else {
                    out.append(c);
                    i++;
                }
            }
        }
        return out.toString();
    }
}
