package dev.nagare.job.schema;

import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryStringData;

/**
 * Reads a planner string's UTF-8 bytes where the row holds them. {@link StringData#toBytes()}
 * copies them; hashing (the dedup key) and Parquet (the lake) only read them, once per field
 * of every event, so the copy was most of what those steps allocated.
 */
public final class BinaryStrings {
    private BinaryStrings() {}

    /**
     * The heap array holding all of {@code text}'s bytes, from {@code ((BinaryStringData)
     * text).getOffset()} for {@code getSizeInBytes()} bytes; null when they are not in one heap
     * array (off the heap, spread over memory segments, or not a binary string), and the caller
     * falls back to {@link StringData#toBytes()}. Every row the job builds or deserializes holds
     * its strings in one heap array.
     */
    public static byte[] backingArray(StringData text) {
        if (!(text instanceof BinaryStringData)) {
            return null;
        }
        BinaryStringData binary = (BinaryStringData) text;
        // Materializes a string made from a Java String first.
        MemorySegment[] segments = binary.getSegments();
        if (segments.length == 0 || segments[0].isOffHeap()
                || binary.getOffset() + binary.getSizeInBytes() > segments[0].size()) {
            return null;
        }
        return segments[0].getArray();
    }
}
