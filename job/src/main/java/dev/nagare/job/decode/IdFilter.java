package dev.nagare.job.decode;

import java.util.ArrayList;
import java.util.List;

/**
 * Which event ids a subtask of the dedup has put into RocksDB, approximately: a Bloom filter in
 * front of the state read, so that a new id (nearly every event) is stored without first being
 * looked up. A read through JNI was about two thirds of the dedup's calls into RocksDB; the
 * filter answers from memory in one cache line.
 *
 * <p>It may answer "maybe" for an id never stored (about 1% of new ids at 10 bits an id, more once
 * its memory budget is spent), never "no" for an id that is stored and not yet expired: a "maybe"
 * costs the read the dedup did before, a wrong "no" would let a re-delivery through. Hence:
 * <ul>
 *   <li>Ids are filed by the generation of the TTL's length in which they were stored. Generation
 *       {@code g} holds ids stored in {@code [g*ttl, (g+1)*ttl)}, which all expire before
 *       {@code (g+2)*ttl}: it is consulted until then (and a second more, for a clock set back),
 *       then dropped. So the filter
 *       holds between one and two TTLs of ids and no id is removed from it, which a Bloom filter
 *       could not do.</li>
 *   <li>After a restore the ids of the run before are in RocksDB but not in the filter, which
 *       is not part of the checkpoint (it would be a full copy in every incremental one). Until
 *       those ids have expired, a TTL after the start (and a minute more, for the clocks of two
 *       machines), the filter answers "maybe" to everything, so every event is read as before.</li>
 *   <li>A generation grows as ids arrive: a new block of twice the size when the last is full,
 *       within a budget of memory. Beyond the budget the last block takes every further id: its
 *       answers drift towards "maybe", the reads come back, and nothing is missed.</li>
 * </ul>
 * Not thread-safe: one per subtask, used by its task's thread.
 */
final class IdFilter {
    /** 10 bits an id: about 1% of new ids are read anyway. */
    static final int BITS_PER_ID = 10;
    /** One block of the filter is one cache line: 8 longs, one bit set in each per id. */
    private static final int WORDS_PER_BLOCK = 8;
    private static final int BYTES_PER_BLOCK = WORDS_PER_BLOCK * Long.BYTES;
    /** A new generation's first block holds at least this many ids (10 KB). */
    static final int MIN_IDS = 8192;
    /** After a restore: for the clocks of the machine that stored the ids and of this one. */
    static final long RESTORE_MARGIN_MILLIS = 60_000;
    /** A generation is consulted this long after its last id expired: for a clock set back by NTP. */
    static final long MARGIN_MILLIS = 1_000;

    private final long ttlMillis;
    private final long maxBytes;
    /** Before this time the filter may not know ids stored by the run before a restore. */
    private final long completeFrom;
    /** Generation g in slot g % 3: the current one, the one before, and one being dropped. */
    private final Generation[] generations = new Generation[3];
    private Generation newest;
    private long bytes;

    /**
     * @param ttlMillis how long keyed state keeps an id, positive
     * @param maxBytes the memory the filter may take (at least one block of each of two generations is always taken)
     * @param openedAt when the operator started, on the clock the ids are stored by
     * @param restored whether the keyed state may hold ids stored before {@code openedAt}
     */
    IdFilter(long ttlMillis, long maxBytes, long openedAt, boolean restored) {
        if (ttlMillis <= 0) {
            throw new IllegalArgumentException("the TTL of a filter of stored ids must be positive: " + ttlMillis);
        }
        this.ttlMillis = ttlMillis;
        this.maxBytes = maxBytes;
        this.completeFrom = restored ? openedAt + ttlMillis + RESTORE_MARGIN_MILLIS : Long.MIN_VALUE;
    }

    /**
     * Whether the id may be in keyed state, unexpired, at {@code now}. False only when it is not:
     * it was not {@linkplain #add added} within the last TTL and the filter is complete.
     */
    boolean mightContain(long hi, long lo, long now) {
        if (now < completeFrom) {
            return true;
        }
        for (Generation g : generations) {
            if (g != null && live(g, now) && g.mightContain(hi, lo)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Files an id stored in keyed state. {@code now} is read after the state was written, so it
     * is no earlier than the time the TTL counts from: the id expires before its generation is
     * dropped, however long the task was held up (a garbage collection) in between.
     */
    void add(long hi, long lo, long now) {
        long number = generation(now);
        Generation g = newest;
        if (g == null || number > g.number) {
            dropExpired(now);
            int slot = (int) Math.floorMod(number, (long) generations.length);
            if (generations[slot] != null) { // expired: its ids all are
                bytes -= generations[slot].bytes();
            }
            long expected = g != null && g.number == number - 1 ? g.count : 0;
            g = new Generation(number);
            generations[slot] = g;
            newest = g;
            g.grow(Math.max(expected, MIN_IDS), now);
        }
        // A clock set back files the id in the newest generation, which is consulted the longest.
        g.add(hi, lo, now);
    }

    /** Whether the filter answers for every stored id (false until the ids of the run before a restore expired). */
    boolean complete(long now) {
        return now >= completeFrom;
    }

    /** Memory the blocks take. */
    long bytes() {
        return bytes;
    }

    private long generation(long time) {
        return Math.floorDiv(time, ttlMillis);
    }

    /** Whether a generation may still hold unexpired ids at {@code now}. */
    private boolean live(Generation g, long now) {
        return now < (g.number + 2) * ttlMillis + MARGIN_MILLIS;
    }

    private void dropExpired(long now) {
        for (int i = 0; i < generations.length; i++) {
            if (generations[i] != null && !live(generations[i], now)) {
                bytes -= generations[i].bytes();
                generations[i] = null;
            }
        }
    }

    /** The ids stored in one TTL-long stretch of time, in blocks of growing size. */
    private final class Generation {
        final long number;
        final List<Block> blocks = new ArrayList<>(4);
        long count;

        Generation(long number) {
            this.number = number;
        }

        void add(long hi, long lo, long now) {
            Block last = blocks.get(blocks.size() - 1);
            if (last.count >= last.capacity) {
                last = grow(2 * last.capacity, now);
            }
            last.add(hi, lo);
            count++;
        }

        /**
         * A new block for {@code ids} ids, or fewer within the budget. The last block if none
         * fits: it is then filled past its capacity, and every further id tries again (a
         * generation being dropped may have made room).
         */
        Block grow(long ids, long now) {
            dropExpired(now);
            long blocksWanted = Math.max(1, (ids * BITS_PER_ID + 8 * BYTES_PER_BLOCK - 1) / (8 * BYTES_PER_BLOCK));
            long affordable = (maxBytes - bytes) / BYTES_PER_BLOCK;
            long n = Math.min(Math.min(blocksWanted, affordable), Integer.MAX_VALUE / WORDS_PER_BLOCK);
            if (n < 1) {
                if (!blocks.isEmpty()) {
                    return blocks.get(blocks.size() - 1);
                }
                n = 1; // a generation always has a block, whatever the budget
            }
            Block block = new Block((int) n);
            blocks.add(block);
            bytes += (long) n * BYTES_PER_BLOCK;
            return block;
        }

        boolean mightContain(long hi, long lo) {
            for (Block block : blocks) {
                if (block.mightContain(hi, lo)) {
                    return true;
                }
            }
            return false;
        }

        long bytes() {
            long total = 0;
            for (Block block : blocks) {
                total += (long) block.words.length * Long.BYTES;
            }
            return total;
        }
    }

    /**
     * A blocked Bloom filter: an id picks one block of 512 bits and sets one bit in each of its 8
     * longs, so a lookup reads one cache line. The ids are SHA-256 bits already; they are mixed
     * anyway so that regular ids (tests, a future key format) spread as well.
     */
    private static final class Block {
        final long[] words;
        final int blocks;
        final long capacity;
        long count;

        Block(int blocks) {
            this.blocks = blocks;
            this.words = new long[blocks * WORDS_PER_BLOCK];
            this.capacity = (long) blocks * 8 * BYTES_PER_BLOCK / BITS_PER_ID;
        }

        void add(long hi, long lo) {
            int at = start(hi, lo);
            long bits = bits(hi, lo);
            for (int i = 0; i < WORDS_PER_BLOCK; i++) {
                words[at + i] |= 1L << (bits >>> (16 + 6 * i));
            }
            count++;
        }

        boolean mightContain(long hi, long lo) {
            int at = start(hi, lo);
            long bits = bits(hi, lo);
            for (int i = 0; i < WORDS_PER_BLOCK; i++) {
                if ((words[at + i] & 1L << (bits >>> (16 + 6 * i))) == 0) {
                    return false;
                }
            }
            return true;
        }

        /** The first word of the id's block: the high 32 bits of a mix, scaled to the block count. */
        private int start(long hi, long lo) {
            long h = (hi ^ Long.rotateLeft(lo, 32)) * 0x9E3779B97F4A7C15L;
            return (int) (((h >>> 32) * blocks) >>> 32) * WORDS_PER_BLOCK;
        }

        /** 48 bits of another mix, 6 for each word (a shift by a long takes its low 6 bits). */
        private static long bits(long hi, long lo) {
            return (lo ^ Long.rotateLeft(hi, 17)) * 0xC2B2AE3D27D4EB4FL;
        }
    }
}
