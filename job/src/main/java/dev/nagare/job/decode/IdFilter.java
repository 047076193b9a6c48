package dev.nagare.job.decode;

import java.util.ArrayList;
import java.util.List;

/**
 * Which event ids a subtask of the dedup has put into RocksDB, approximately: a Bloom filter in
 * front of the state read, so that a new id (nearly every event) is stored without first being
 * looked up. A read through JNI was about two thirds of the dedup's calls into RocksDB; the
 * filter answers from memory, one cache line per block it consults.
 *
 * <p>It may answer "maybe" for an id never stored, never "no" for an id that is stored and not
 * yet expired: a "maybe" costs the read the dedup did before, a wrong "no" would let a
 * re-delivery through. Hence:
 * <ul>
 *   <li>Ids are filed by the generation of the TTL's length in which they were stored. Generation
 *       {@code g} holds ids stored in {@code [g*ttl, (g+1)*ttl)}, which all expire before
 *       {@code (g+2)*ttl}: it is consulted until then (and a second more, for a clock set back
 *       by up to a second), then dropped. So the filter holds one to two TTLs of ids (three
 *       generations for a second at each boundary) and no id is removed from it, which a Bloom
 *       filter could not do.</li>
 *   <li>After a restore the ids of the run before are in RocksDB but not in the filter, which
 *       is not part of the checkpoint (it would be a full copy in every incremental one). Until
 *       those ids have expired, a TTL after the start (and a minute more, for the clocks of two
 *       machines), the filter answers "maybe" to everything, so every event is read as before.</li>
 *   <li>Memory: each generation may take a third of the budget. Its first block is sized for as
 *       many ids as the generation before took (8,192 after a start), and a full block is
 *       followed by one four times larger. At 10 bits an id a block answers "maybe" for about 1%
 *       of new ids when full, so a lookup costs 1-2% in steady state (two generations of one
 *       block each) and more in the first TTL after a start (several blocks). Once a generation
 *       has spent its third, its largest block takes every further id: its answers drift towards
 *       "maybe", the reads come back, and nothing is missed.</li>
 * </ul>
 * The clock is the processing time, which Flink's TTL also reads (both {@code
 * System.currentTimeMillis()}: {@code SystemProcessingTimeService}, {@code TtlTimeProvider.DEFAULT}).
 * Not thread-safe: one per subtask, used by its task's thread.
 */
final class IdFilter {
    /** 10 bits an id: about 1% of new ids are read anyway, per full block consulted. */
    static final int BITS_PER_ID = 10;
    /** One block of the filter is one cache line: 8 longs, one bit set in each per id. */
    private static final int WORDS_PER_BLOCK = 8;
    private static final int BYTES_PER_BLOCK = WORDS_PER_BLOCK * Long.BYTES;
    /** A generation's first block after a start holds this many ids (10 KB). */
    static final int MIN_IDS = 8192;
    /** After a restore: for the clocks of the machine that stored the ids and of this one. */
    static final long RESTORE_MARGIN_MILLIS = 60_000;
    /** A generation is consulted this long after its last id expired: for a clock set back by NTP. */
    static final long MARGIN_MILLIS = 1_000;
    /** The shortest TTL: with a shorter one, three generations would not cover {@link #MARGIN_MILLIS}. */
    static final long MIN_TTL_MILLIS = MARGIN_MILLIS;

    private final long ttlMillis;
    private final long bytesPerGeneration;
    /** Before this time the filter may not know ids stored by the run before a restore. */
    private final long completeFrom;
    /** Generation g in slot g % 3: the current one, the one before, and one being dropped. */
    private final Generation[] generations = new Generation[3];
    private Generation newest;

    /**
     * @param ttlMillis how long keyed state keeps an id, at least {@link #MIN_TTL_MILLIS}
     * @param maxBytes the memory the filter may take (each generation a third; at least one block each)
     * @param openedAt when the operator started, on the clock the ids are stored by
     * @param restored whether the keyed state may hold ids stored before {@code openedAt}
     */
    IdFilter(long ttlMillis, long maxBytes, long openedAt, boolean restored) {
        if (ttlMillis < MIN_TTL_MILLIS) {
            throw new IllegalArgumentException("the TTL of a filter of stored ids must be at least " + MIN_TTL_MILLIS + " ms: " + ttlMillis);
        }
        this.ttlMillis = ttlMillis;
        this.bytesPerGeneration = maxBytes / generations.length;
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
            int slot = (int) Math.floorMod(number, (long) generations.length);
            long expected = g != null && g.number == number - 1 ? g.count : 0;
            // The slot's generation is three or more back: every id in it has expired.
            g = new Generation(number, Math.max(expected, MIN_IDS));
            generations[slot] = g;
            newest = g;
        }
        // A clock set back files the id in the newest generation, which is consulted the longest.
        g.add(hi, lo);
    }

    /** Memory the blocks take. */
    long bytes() {
        long bytes = 0;
        for (Generation g : generations) {
            bytes += g == null ? 0 : g.bytes;
        }
        return bytes;
    }

    private long generation(long time) {
        return Math.floorDiv(time, ttlMillis);
    }

    /** Whether a generation may still hold unexpired ids at {@code now}. */
    private boolean live(Generation g, long now) {
        return now < (g.number + 2) * ttlMillis + MARGIN_MILLIS;
    }

    /** The ids stored in one TTL-long stretch of time, in blocks of growing size. */
    private final class Generation {
        final long number;
        final List<Block> blocks = new ArrayList<>(4);
        /** The block new ids go to: the last, or the largest once the budget is spent. */
        Block filling;
        long count;
        long bytes;

        Generation(long number, long ids) {
            this.number = number;
            filling = allocate(ids);
            if (filling == null) {
                filling = block(1); // a generation always has a block, whatever the budget
            }
        }

        void add(long hi, long lo) {
            if (filling.count >= filling.capacity) {
                Block next = allocate(4 * filling.capacity);
                if (next != null) {
                    filling = next;
                }
            }
            filling.add(hi, lo);
            count++;
        }

        /**
         * A block for {@code ids} ids, or for fewer if the budget is short, as long as it would
         * be the generation's largest; otherwise none (the largest keeps taking the ids).
         */
        private Block allocate(long ids) {
            long wanted = Math.max(1, (ids * BITS_PER_ID + 8 * BYTES_PER_BLOCK - 1) / (8 * BYTES_PER_BLOCK));
            long affordable = (bytesPerGeneration - bytes) / BYTES_PER_BLOCK;
            long n = Math.min(Math.min(wanted, affordable), Integer.MAX_VALUE / WORDS_PER_BLOCK);
            if (n < 1 || filling != null && n <= filling.blocks) {
                return null;
            }
            return block((int) n);
        }

        private Block block(int n) {
            Block block = new Block(n);
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
    }

    /**
     * A blocked Bloom filter: an id picks one block of 512 bits and sets one bit in each of its 8
     * longs, so a lookup reads one cache line. The ids are SHA-256 bits, uniform already: the
     * block is chosen by the high half's top 32 bits, the 8 bits by 48 bits of the low half.
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
            int at = start(hi);
            for (int i = 0; i < WORDS_PER_BLOCK; i++) {
                // A shift of a long takes the low 6 bits of its distance: bits 6i to 6i+5 of lo.
                words[at + i] |= 1L << (lo >>> (6 * i));
            }
            count++;
        }

        boolean mightContain(long hi, long lo) {
            int at = start(hi);
            for (int i = 0; i < WORDS_PER_BLOCK; i++) {
                if ((words[at + i] & 1L << (lo >>> (6 * i))) == 0) {
                    return false;
                }
            }
            return true;
        }

        /** The first word of the id's block: the top 32 bits of {@code hi} scaled to the block count. */
        private int start(long hi) {
            return (int) (((hi >>> 32) * blocks) >>> 32) * WORDS_PER_BLOCK;
        }
    }
}
