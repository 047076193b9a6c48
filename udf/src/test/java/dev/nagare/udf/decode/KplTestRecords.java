package dev.nagare.udf.decode;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;

/** Builds KPL aggregated records the way the KPL does (magic, protobuf, MD5), for tests. */
public final class KplTestRecords {
    private KplTestRecords() {}

    public static byte[] aggregate(byte[]... records) {
        try {
            ByteArrayOutputStream proto = new ByteArrayOutputStream();
            field(proto, 1, "pk".getBytes()); // partition_key_table
            for (byte[] data : records) {
                ByteArrayOutputStream record = new ByteArrayOutputStream();
                record.write(1 << 3); // partition_key_index = 0 (varint)
                record.write(0);
                field(record, 3, data);
                field(proto, 3, record.toByteArray());
            }
            byte[] body = proto.toByteArray();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(KplAggregate.MAGIC);
            out.write(body);
            out.write(MessageDigest.getInstance("MD5").digest(body));
            return out.toByteArray();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void field(ByteArrayOutputStream out, int number, byte[] value) {
        out.write((number << 3) | 2);
        long length = value.length;
        while (length >= 0x80) {
            out.write((int) (length & 0x7f) | 0x80);
            length >>>= 7;
        }
        out.write((int) length);
        out.write(value, 0, value.length);
    }
}
