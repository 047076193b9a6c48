package dev.nagare.job.decode;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The event ids one key group of the dedup has seen, each until its expiry: an open-addressing
 * table of 128-bit ids in one primitive array (24 bytes a slot: the id's two halves and its
 * expiry side by side, so a probe reads one cache line; no object per id).
 *
 * <p>Why not Flink's heap state: there every id is a map entry holding a String key and a TTL
 * wrapper (four objects, about 130 bytes), which the garbage collector traces and every
 * checkpoint serializes object by object. Measured, the dedup's state was a third of the whole
 * job's CPU on heap state. Here an id is three array elements, which the collector does not
 * trace, and a snapshot is a bulk write per key group.
 *
 * <p>Expired ids are treated as absent, their slots are reused by inserts that probe past them,
 * and they are dropped whenever the table is three quarters full, before it would grow; a
 * snapshot holds only the ids not yet expired. Not thread-safe: one per key group, used by its
 * task's thread.
 */
final class SeenIds {
    private static final int MIN_CAPACITY = 16;
    /** 2^27 slots of 24 bytes: 3 GB in one key group, and the largest a Java array can index. */
    private static final int MAX_CAPACITY = 1 << 27;
    /** Starts each key group's stored ids ("NGID"), telling them from other raw keyed state. */
    static final int MAGIC = 0x4E474944;
    private static final int FORMAT = 1;

    /** Slot i is {@code slots[3i]} and {@code slots[3i+1]} (the id), {@code slots[3i+2]} (its expiry, 0 if free). */
    private long[] slots;
    private int capacity;
    private int held;
    private long rebuilds;

    SeenIds() {
        allocate(MIN_CAPACITY);
    }

    private void allocate(int capacity) {
        this.capacity = capacity;
        slots = new long[3 * capacity];
        held = 0;
    }

    /**
     * Remembers the id until {@code expiresAt} (epoch millis, positive) unless it is already
     * remembered (not expired at {@code now}).
     *
     * @return whether the id was new: false for a re-delivery
     */
    boolean add(long hi, long lo, long now, long expiresAt) {
        int mask = capacity - 1;
        int reusable = -1;
        for (int slot = slot(hi, lo, mask); ; slot = (slot + 1) & mask) {
            int at = 3 * slot;
            long until = slots[at + 2];
            if (until == 0) {
                break;
            }
            if (slots[at] == hi && slots[at + 1] == lo) {
                if (until > now) {
                    return false;
                }
                slots[at + 2] = expiresAt; // seen before, but forgotten: new again
                return true;
            }
            if (reusable < 0 && until <= now) {
                reusable = at;
            }
        }
        if (reusable >= 0) {
            // An expired id's slot on this id's probe path: taking it keeps every id reachable
            // (the search for this id stops here, and no other id moves).
            slots[reusable] = hi;
            slots[reusable + 1] = lo;
            slots[reusable + 2] = expiresAt;
            return true;
        }
        if (held + 1 > threshold(capacity)) {
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
        for (int at = 2; at < slots.length; at += 3) {
            if (slots[at] > now) {
                live++;
            }
        }
        return live;
    }

    /** Slots allocated (24 bytes each). */
    int capacity() {
        return capacity;
    }

    /** How many times the table was rebuilt (expired ids dropped, resized). */
    long rebuilds() {
        return rebuilds;
    }

    /** Calls {@code visitor} with each id not expired at {@code now}. */
    void forEachLive(long now, IdVisitor visitor) throws Exception {
        for (int at = 0; at < slots.length; at += 3) {
            if (slots[at + 2] > now) {
                visitor.visit(slots[at], slots[at + 1], slots[at + 2]);
            }
        }
    }

    /** An id with its expiry. */
    interface IdVisitor {
        void visit(long hi, long lo, long expiresAt) throws Exception;
    }

    /**
     * Writes the ids not expired at {@code now}: 12 bytes of header, then 24 bytes an id, in
     * chunks of up to 64 KB (a checkpoint runs this in the task's thread, for every key group).
     */
    void write(DataOutputView out, long now) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        chunk.putInt(MAGIC).putInt(FORMAT).putInt(live(now));
        for (int at = 0; at < slots.length; at += 3) {
            if (slots[at + 2] > now) {
                if (chunk.remaining() < 24) {
                    out.write(chunk.array(), 0, chunk.position());
                    chunk.clear();
                }
                chunk.putLong(slots[at]).putLong(slots[at + 1]).putLong(slots[at + 2]);
            }
        }
        out.write(chunk.array(), 0, chunk.position());
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
        int mask = capacity - 1;
        for (int slot = slot(hi, lo, mask); slots[3 * slot + 2] != 0; slot = (slot + 1) & mask) {
            int at = 3 * slot;
            if (slots[at] == hi && slots[at + 1] == lo) {
                slots[at + 2] = Math.max(slots[at + 2], expiresAt);
                return;
            }
        }
    }

    /**
     * Drops the expired ids and sizes the table so that {@code needed} ids fill at most half of
     * it: at least a quarter of the table is then inserted before the next rebuild, so the cost
     * of rebuilding stays constant per insert however close to full the live ids keep a table.
     * Shrinks as well as grows.
     */
    private void rebuild(long now, int needed) {
        rebuilds++;
        long[] old = slots;
        int live = 0;
        for (int at = 2; at < old.length; at += 3) {
            if (old[at] > now) {
                live++;
            }
        }
        long wanted = (long) live + (needed - held);
        int size = MIN_CAPACITY;
        while (wanted > size >>> 1) {
            if (size == MAX_CAPACITY) {
                throw new IllegalStateException("more than " + (MAX_CAPACITY / 2) + " event ids in one key group of the dedup:"
                        + " raise the job's max parallelism, shorten parse.dedup.ttl, or use RocksDB state");
            }
            size <<= 1;
        }
        allocate(size);
        for (int at = 0; at < old.length; at += 3) {
            if (old[at + 2] > now) {
                put(old[at], old[at + 1], old[at + 2]);
            }
        }
    }

    private void put(long hi, long lo, long expiresAt) {
        int mask = capacity - 1;
        int slot = slot(hi, lo, mask);
        while (slots[3 * slot + 2] != 0) {
            slot = (slot + 1) & mask;
        }
        int at = 3 * slot;
        slots[at] = hi;
        slots[at + 1] = lo;
        slots[at + 2] = expiresAt;
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
