package dev.nagare.job.decode;

import org.apache.flink.core.memory.DataOutputSerializer;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link SeenIds} against a plain map of id to expiry, through growth, expiry, reuse and snapshots. */
class SeenIdsTest {
    private static final long TTL = 3_600_000;

    @Test
    void anIdIsNewOnceUntilItExpires() {
        SeenIds ids = new SeenIds();
        assertThat(ids.add(1, 2, 1_000, 1_000 + TTL)).isTrue();
        assertThat(ids.add(1, 2, 1_000 + TTL - 1, 1_000 + 2 * TTL - 1)).isFalse();
        assertThat(ids.add(1, 3, 1_000, 1_000 + TTL)).isTrue(); // other low half
        assertThat(ids.add(2, 2, 1_000, 1_000 + TTL)).isTrue(); // other high half
        assertThat(ids.add(1, 2, 1_000 + TTL, 1_000 + 2 * TTL)).isTrue(); // expired at its expiry, as Flink's TTL
        assertThat(ids.add(1, 2, 1_000 + TTL, 1_000 + 2 * TTL)).isFalse();
    }

    /**
     * Random ids (some ids of a small range, so re-deliveries and slot reuse happen often) at
     * times moving forward over several TTLs: the table answers as the map does at every step,
     * through its growth, the reuse of expired slots and the rebuilds that drop them.
     */
    @Test
    void answersAsAMapWouldThroughGrowthExpiryAndReuse() {
        Random random = new Random(7);
        SeenIds ids = new SeenIds();
        Map<Long, Long> model = new HashMap<>();
        long now = 1_000;
        for (int i = 0; i < 300_000; i++) {
            now += random.nextInt(200); // about 8 TTLs in all
            long id = random.nextBoolean() ? random.nextInt(50_000) : random.nextLong();
            Long until = model.get(id);
            boolean expectNew = until == null || until <= now;
            if (expectNew) {
                model.put(id, now + TTL);
            }
            assertThat(ids.add(id, ~id, now, now + TTL)).as("id %d at step %d", id, i).isEqualTo(expectNew);
        }
        assertThat((long) ids.live(now)).isEqualTo(countLive(model, now)).isPositive();
        // Memory follows the live ids, not every id ever seen: at most four slots per live id.
        assertThat(ids.capacity()).isLessThanOrEqualTo(4 * ids.live(now));
    }

    private static long countLive(Map<Long, Long> model, long now) {
        return model.values().stream().filter(until -> until > now).count();
    }

    /**
     * A table whose live ids stay just below its fill limit (one new id a millisecond, an id
     * remembered 740 ms: 740 live ids, three quarters of 1,024 slots is 768) must not rebuild every
     * few inserts: each rebuild leaves at least a quarter of the table to fill before the next.
     */
    @Test
    void aTableNearlyFullInSteadyStateRebuildsRarely() {
        SeenIds ids = new SeenIds();
        int inserts = 100_000;
        for (long i = 1; i <= inserts; i++) {
            assertThat(ids.add(i, i * 31, i, i + 740)).isTrue();
        }
        assertThat(ids.live(inserts)).isEqualTo(740);
        assertThat(ids.capacity()).isGreaterThanOrEqualTo(2 * 740);
        assertThat(ids.rebuilds()).isLessThan(inserts / (ids.capacity() / 4) + 20);
    }

    @Test
    void aSnapshotHoldsTheLiveIdsWithTheirExpiry() throws Exception {
        SeenIds ids = new SeenIds();
        for (long id = 0; id < 10_000; id++) {
            ids.add(id, id, 1_000 + id, 1_000 + id + TTL);
        }
        long now = 1_000 + TTL + 4_999; // ids 0..4999 have expired
        DataOutputSerializer out = new DataOutputSerializer(1024);
        ids.write(out, now);
        assertThat(out.length()).isEqualTo(12 + 5_000 * 24); // magic, format, count, then 24 bytes an id

        SeenIds restored = new SeenIds();
        assertThat(restored.read(new ByteArrayInputStream(out.getCopyOfBuffer()), now)).isTrue();
        assertThat(restored.held()).isEqualTo(5_000);
        assertThat(restored.add(4_999, 4_999, now, now + TTL)).isTrue();
        assertThat(restored.add(5_000, 5_000, now, now + TTL)).isFalse();
        // Each id keeps its own expiry: id 5000 is forgotten one millisecond later, 9999 later still.
        assertThat(restored.add(5_000, 5_000, now + 1, now + 1 + TTL)).isTrue();
        assertThat(restored.add(9_999, 9_999, now + 1, now + 1 + TTL)).isFalse();
    }

    /** Two snapshots read into one table (key groups merged after rescaling): an id in both keeps the later expiry. */
    @Test
    void readingTwoSnapshotsKeepsTheLaterExpiry() throws Exception {
        SeenIds early = new SeenIds();
        early.add(1, 1, 0, TTL);
        SeenIds late = new SeenIds();
        late.add(1, 1, 500, 500 + TTL);
        SeenIds merged = new SeenIds();
        for (SeenIds ids : new SeenIds[] {late, early}) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            ids.write(out, 0);
            merged.read(new ByteArrayInputStream(out.getCopyOfBuffer()), 0);
        }
        assertThat(merged.held()).isEqualTo(1);
        assertThat(merged.add(1, 1, TTL, 2 * TTL)).isFalse();
        assertThat(merged.add(1, 1, 500 + TTL, 500 + 2 * TTL)).isTrue();
    }

    /** Raw keyed state this class did not write (Flink's timers of the release before, or nothing) is not read. */
    @Test
    void otherRawStateIsNotRead() throws Exception {
        SeenIds ids = new SeenIds();
        assertThat(ids.read(new ByteArrayInputStream(new byte[0]), 0)).isFalse();
        assertThat(ids.read(new ByteArrayInputStream(new byte[] {0, 0, 0, 2, 0, 0, 0, 0}), 0)).isFalse();
        assertThat(ids.held()).isZero();
    }
}
