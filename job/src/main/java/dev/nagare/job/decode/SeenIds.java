package dev.nagare.job.decode;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The event ids one key group of the dedup has seen, each until its expiry: an open-addressing
 * table of 128-bit ids in three primitive arrays (24 bytes a slot, no object per id).
 *
 * <p>Why not Flink's heap state: there every id is a map entry holding a String key, a TTL wrapper
 * and a Boolean (five objects, about 130 bytes), which the garbage collector traces and every
 * checkpoint serializes object by object. Measured, the dedup's state was a third of the whole
 * job's CPU on heap state. Here an id is three array slots, which the collector does not trace,
 * and a snapshot is one bulk write per key group.
 *
 * <p>Expired ids are treated as absent, their slots are reused by inserts that probe past them,
 * and they are dropped whenever the table fills up, before it would grow; a snapshot holds only
 * the ids not yet expired. Not thread-safe: one per key group, used by its task's thread.
 */
final class SeenIds {
    private static final int MIN_CAPACITY = 16;
    /** Starts each key group's stored ids ("NGID"), telling them from other raw keyed state. */
    static final int MAGIC = 0x4E474944;
    private static final int FORMAT = 1;

    private long[] high;
    private long[] low;
    /** Epoch millis after which an id is forgotten; 0 marks a free slot. */
    private long[] expiry;
    private int held;

    SeenIds() {
        allocate(MIN_CAPACITY);
    }

    private void allocate(int capacity) {
        high = new long[capacity];
        low = new long[capacity];
        expiry = new long[capacity];
        held = 0;
    }

    /**
     * Remembers the id until {@code expiresAt} unless it is already remembered (not expired at
     * {@code now}).
     *
     * @return whether the id was new: false for a re-delivery
     */
    boolean add(long hi, long lo, long now, long expiresAt) {
        int mask = expiry.length - 1;
        int reusable = -1;
        for (int slot = slot(hi, lo, mask); ; slot = (slot + 1) & mask) {
            long until = expiry[slot];
            if (until == 0) {
                break;
            }
            if (high[slot] == hi && low[slot] == lo) {
                if (until > now) {
                    return false;
                }
                expiry[slot] = expiresAt; // seen before, but forgotten: new again
                return true;
            }
            if (reusable < 0 && until <= now) {
                reusable = slot;
            }
        }
        if (reusable >= 0) {
            // An expired id's slot on this id's probe path: taking it keeps every id reachable
            // (the search for this id stops here, and no other id moves).
            high[reusable] = hi;
            low[reusable] = lo;
            expiry[reusable] = expiresAt;
            return true;
        }
        if (held + 1 > threshold(expiry.length)) {
            rebuild(now, held + 1);
        }
        put(hi, lo, expiresAt);
        return true;
    }

    /** Slots in use, expired ids not yet dropped included: what the table holds in memory. */
    int held() {
        return held;
    }

    /** Ids not expired at {@code now}. */
    int live(long now) {
        int live = 0;
        for (long until : expiry) {
            if (until > now) {
                live++;
            }
        }
        return live;
    }

    /** Array slots allocated (24 bytes each). */
    int capacity() {
        return expiry.length;
    }

    /** Calls {@code visitor} with each id not expired at {@code now}. */
    void forEachLive(long now, IdVisitor visitor) throws Exception {
        for (int slot = 0; slot < expiry.length; slot++) {
            if (expiry[slot] > now) {
                visitor.visit(high[slot], low[slot], expiry[slot]);
            }
        }
    }

    /** An id with its expiry. */
    interface IdVisitor {
        void visit(long hi, long lo, long expiresAt) throws Exception;
    }

    /** Writes the ids not expired at {@code now}, in one bulk write. */
    void write(DataOutputView out, long now) throws IOException {
        int live = live(now);
        DataOutputSerializer buffer = new DataOutputSerializer(8 + live * 24);
        buffer.writeInt(MAGIC);
        buffer.writeInt(FORMAT);
        buffer.writeInt(live);
        for (int slot = 0; slot < expiry.length; slot++) {
            if (expiry[slot] > now) {
                buffer.writeLong(high[slot]);
                buffer.writeLong(low[slot]);
                buffer.writeLong(expiry[slot]);
            }
        }
        out.write(buffer.getSharedBuffer(), 0, buffer.length());
    }

    /**
     * Adds what {@link #write} wrote, keeping the later expiry of an id present in both. A stream
     * that does not start with {@link #MAGIC} is not read.
     *
     * @return whether the stream held ids written by {@link #write}
     */
    boolean read(InputStream stream, long now) throws IOException {
        DataInputView in = new DataInputViewStreamWrapper(stream);
        byte[] magic = new byte[4];
        int read = 0;
        for (int n; read < 4 && (n = stream.read(magic, read, 4 - read)) > 0; ) {
            read += n;
        }
        if (read < 4 || ByteBuffer.wrap(magic).getInt() != MAGIC) {
            return false;
        }
        int format = in.readInt();
        if (format != FORMAT) {
            throw new IOException("unknown format " + format + " of the dedup's stored ids (this release reads " + FORMAT + ")");
        }
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            long hi = in.readLong();
            long lo = in.readLong();
            long expiresAt = in.readLong();
            if (expiresAt > now && !add(hi, lo, now, expiresAt)) {
                extend(hi, lo, expiresAt);
            }
        }
        return true;
    }

    private void extend(long hi, long lo, long expiresAt) {
        int mask = expiry.length - 1;
        for (int slot = slot(hi, lo, mask); expiry[slot] != 0; slot = (slot + 1) & mask) {
            if (high[slot] == hi && low[slot] == lo) {
                expiry[slot] = Math.max(expiry[slot], expiresAt);
                return;
            }
        }
    }

    /**
     * Drops the expired ids and sizes the table for {@code needed} ids: halved while a quarter
     * would still be free, doubled while it would be over three quarters full.
     */
    private void rebuild(long now, int needed) {
        long[] oldHigh = high;
        long[] oldLow = low;
        long[] oldExpiry = expiry;
        int live = 0;
        for (long until : oldExpiry) {
            if (until > now) {
                live++;
            }
        }
        int wanted = live + (needed - held);
        int capacity = MIN_CAPACITY;
        while (wanted > threshold(capacity)) {
            capacity <<= 1;
        }
        // Never shrink below what was needed to hold the ids just before: a table that shrank
        // to fit exactly would rebuild again on the next few inserts.
        capacity = Math.max(capacity, Math.min(oldExpiry.length, capacity << 1));
        allocate(capacity);
        for (int slot = 0; slot < oldExpiry.length; slot++) {
            if (oldExpiry[slot] > now) {
                put(oldHigh[slot], oldLow[slot], oldExpiry[slot]);
            }
        }
    }

    private void put(long hi, long lo, long expiresAt) {
        int mask = expiry.length - 1;
        int slot = slot(hi, lo, mask);
        while (expiry[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        high[slot] = hi;
        low[slot] = lo;
        expiry[slot] = expiresAt;
        held++;
    }

    private static int threshold(int capacity) {
        return capacity - (capacity >>> 2);
    }

    /**
     * The ids are SHA-256 digests, already uniform; mixing the two halves still spreads ids that a
     * test or a future key format makes regular.
     */
    private static int slot(long hi, long lo, int mask) {
        long h = (hi ^ Long.rotateLeft(lo, 32)) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }
}
