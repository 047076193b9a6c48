package dev.nagare.udf.decode;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * De-aggregates a KPL aggregated record: the 4-byte magic {@code F3 89 9A C2}, a protobuf
 * {@code AggregatedRecord}, and the MD5 of the protobuf bytes (amazon-kinesis-producer
 * aggregation-format.md). The few protobuf fields involved are read by hand rather than pulling in
 * a protobuf runtime for them.
 *
 * <pre>
 * message AggregatedRecord { repeated string partition_key_table = 1;
 *                            repeated string explicit_hash_key_table = 2;
 *                            repeated Record records = 3; }
 * message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *                  required bytes data = 3; repeated Tag tags = 4; }
 * </pre>
 */
public final class KplAggregate {
    static final byte[] MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
    private static final int MD5_LENGTH = 16;

    private KplAggregate() {}

    public static boolean isAggregate(byte[] data) {
        return data.length >= MAGIC.length + MD5_LENGTH
                && data[0] == MAGIC[0] && data[1] == MAGIC[1] && data[2] == MAGIC[2] && data[3] == MAGIC[3];
    }

    /** Receives the user records of an aggregate one at a time. */
    @FunctionalInterface
    public interface UserRecords {
        void accept(byte[] data) throws DecodeException;
    }

    /** The user records inside the aggregate, in order. */
    public static List<byte[]> deaggregate(byte[] data) throws DecodeException {
        List<byte[]> records = new ArrayList<>();
        forEachRecord(data, records::add);
        return records;
    }

    /**
     * Hands each user record to {@code out} as it is read, so a caller can stop at a bound
     * without holding every record first. Every length is checked against the bytes that remain
     * before anything is allocated, so a forged length is a {@link DecodeException}, never a
     * huge array.
     */
    public static void forEachRecord(byte[] data, UserRecords out) throws DecodeException {
        if (!isAggregate(data)) {
            throw new DecodeException("not a KPL aggregated record (no magic number or shorter than its checksum)");
        }
        int end = data.length - MD5_LENGTH;
        byte[] expected = Arrays.copyOfRange(data, end, data.length);
        MessageDigest md5 = md5();
        md5.update(data, MAGIC.length, end - MAGIC.length);
        if (!MessageDigest.isEqual(expected, md5.digest())) {
            throw new DecodeException("KPL aggregated record has a wrong MD5 checksum");
        }
        Reader outer = new Reader(data, MAGIC.length, end);
        while (outer.hasMore()) {
            long tag = outer.varint();
            if ((tag >>> 3) == 3 && (tag & 7) == 2) {
                int length = outer.length();
                out.accept(recordData(new Reader(data, outer.pos, outer.pos + length)));
                outer.pos += length;
            } else {
                outer.skip((int) (tag & 7));
            }
        }
    }

    private static byte[] recordData(Reader record) throws DecodeException {
        byte[] payload = null;
        while (record.hasMore()) {
            long tag = record.varint();
            if ((tag >>> 3) == 3 && (tag & 7) == 2) {
                int length = record.length();
                payload = Arrays.copyOfRange(record.buf, record.pos, record.pos + length);
                record.pos += length;
            } else {
                record.skip((int) (tag & 7));
            }
        }
        if (payload == null) {
            throw new DecodeException("KPL aggregated record has a record without data");
        }
        return payload;
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has MD5", e);
        }
    }

    /** A bounds-checked protobuf reader over a slice of a byte array. */
    private static final class Reader {
        final byte[] buf;
        int pos;
        final int end;

        Reader(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean hasMore() {
            return pos < end;
        }

        long varint() throws DecodeException {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new DecodeException("KPL aggregated record is truncated");
                }
                byte b = buf[pos++];
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            throw new DecodeException("KPL aggregated record has a malformed varint");
        }

        int length() throws DecodeException {
            long length = varint();
            if (length < 0 || length > end - pos) {
                throw new DecodeException("KPL aggregated record is truncated");
            }
            return (int) length;
        }

        void skip(int wireType) throws DecodeException {
            switch (wireType) {
                case 0:
                    varint();
                    return;
                case 1:
                    advance(8);
                    return;
                case 2:
                    advance(length());
                    return;
                case 5:
                    advance(4);
                    return;
                default:
                    throw new DecodeException("KPL aggregated record has unknown protobuf wire type " + wireType);
            }
        }

        private void advance(int n) throws DecodeException {
            if (n > end - pos) {
                throw new DecodeException("KPL aggregated record is truncated");
            }
            pos += n;
        }
    }
}
