package dev.nagare.job.decode;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToLongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link IdFilter}: never "no" for an id stored within the TTL (a re-delivery would pass), rarely
 * "maybe" for a new one (it would cost a read), within its memory.
 */
class IdFilterTest {
    private static final long TTL = 3_600_000;
    private static final long MB = 1024 * 1024;

    /**
     * Ids stored at times moving forward over several TTLs, at a rate that changes from one TTL
     * to the next (so generations are sized from a previous one that was too small or too large):
     * after every store, each id stored within the TTL is "maybe", and fresh ids mostly "no".
     */
    @Test
    void everyIdStoredWithinTheTtlIsKnown() {
        Random random = new Random(11);
        IdFilter filter = new IdFilter(TTL, 64 * MB, 0, false);
        Map<Long, Long> storedAt = new HashMap<>();
        List<Long> ids = new ArrayList<>();
        long now = 1_000;
        long falsePositives = 0;
        long probes = 0;
        for (int i = 0; i < 400_000; i++) {
            // 20,000 ids per TTL for 5 TTLs, then 100,000 for 2, then 5,000 for 20.
            now += i < 100_000 ? TTL / 20_000 : i < 300_000 ? TTL / 100_000 : TTL / 5_000;
            long id = random.nextLong();
            filter.add(id, ~id, now);
            storedAt.put(id, now);
            ids.add(id);
            if (i % 97 == 0) {
                for (int back = ids.size() - 1; back >= 0 && storedAt.get(ids.get(back)) + TTL > now; back -= 1 + random.nextInt(50)) {
                    long known = ids.get(back);
                    assertThat(filter.mightContain(known, ~known, now)).as("id stored at %d, now %d", storedAt.get(known), now).isTrue();
                }
                long fresh = random.nextLong();
                probes++;
                if (filter.mightContain(fresh, ~fresh, now)) {
                    falsePositives++;
                }
            }
        }
        // 1% or so per full block consulted: two generations, more blocks while the rate rises.
        assertThat((double) falsePositives / probes).isLessThan(0.04);
        // Memory follows the ids of the last two TTLs (at most 200,000 here), not of all ten.
        assertThat(filter.bytes()).isLessThan(2 * 200_000 * IdFilter.BITS_PER_ID / 8 * 2);
    }

    @Test
    void anIdIsForgottenTwoTtlsAfterItsGenerationBegan() {
        IdFilter filter = new IdFilter(TTL, 64 * MB, 0, false);
        filter.add(1, 2, 10);
        assertThat(filter.mightContain(1, 2, 10 + TTL)).isTrue(); // expired in state, still "maybe": harmless
        assertThat(filter.mightContain(1, 2, 2 * TTL + IdFilter.MARGIN_MILLIS - 1)).isTrue();
        assertThat(filter.mightContain(1, 2, 2 * TTL + IdFilter.MARGIN_MILLIS)).isFalse();
    }

    /**
     * After a restore the ids stored before it are in keyed state but not in the filter: until
     * they have expired, everything is "maybe".
     */
    @Test
    void afterARestoreEverythingIsMaybeUntilTheIdsBeforeExpired() {
        long openedAt = 5 * TTL + 123;
        IdFilter filter = new IdFilter(TTL, 64 * MB, openedAt, true);
        assertThat(filter.mightContain(42, 43, openedAt)).isTrue();
        assertThat(filter.mightContain(42, 43, openedAt + TTL + IdFilter.RESTORE_MARGIN_MILLIS - 1)).isTrue();
        assertThat(filter.mightContain(42, 43, openedAt + TTL + IdFilter.RESTORE_MARGIN_MILLIS)).isFalse();

        IdFilter fresh = new IdFilter(TTL, 64 * MB, openedAt, false);
        assertThat(fresh.mightContain(42, 43, openedAt)).isFalse();
    }

    /**
     * In steady state (each generation sized from the one before: one block each) a fresh id is
     * "maybe" in about 1% of lookups per generation consulted: two here.
     */
    @Test
    void inSteadyStateAboutTwoPercentOfNewIdsAreMaybe() {
        IdFilter filter = new IdFilter(TTL, 64 * MB, 0, false);
        Random random = new Random(5);
        int perTtl = 100_000;
        store(filter, random, 3 * perTtl, i -> (long) i * TTL / perTtl);
        long now = (long) (3 * perTtl - 1) * TTL / perTtl;
        assertThat(maybeRate(filter, random, now)).isBetween(0.005, 0.025);
    }

    /**
     * Past its memory budget the filter takes more ids than it was sized for: its answers drift
     * towards "maybe" (more reads), and it still knows every stored id.
     */
    @Test
    void pastItsBudgetItKnowsEveryIdAndSaysMaybeMoreOften() {
        long budget = 3 * 64 * 1024; // 64 KB a generation: 52,000 ids at 10 bits an id
        IdFilter filter = new IdFilter(TTL, budget, 0, false);
        Random random = new Random(3);
        long[] stored = store(filter, random, 200_000, i -> 1_000 + i);
        assertThat(filter.bytes()).isLessThanOrEqualTo(budget / 3);
        long now = 1_000 + stored.length;
        for (long id : stored) {
            assertThat(filter.mightContain(id, ~id, now)).isTrue();
        }
        assertThat(maybeRate(filter, random, now)).isBetween(0.3, 0.99);
    }

    /**
     * Over its budget in every generation (twice the ids it is sized for), the filter stays
     * useful from one generation to the next: each new generation has its own third of the
     * budget, rather than what the ones before left.
     */
    @Test
    void overItsBudgetEveryGenerationStaysUseful() {
        long budget = 3 * 32 * 1024; // 32 KB a generation: 26,000 ids at 10 bits an id
        IdFilter filter = new IdFilter(TTL, budget, 0, false);
        Random random = new Random(9);
        int perTtl = 40_000;
        for (int ttl = 0; ttl < 6; ttl++) {
            long start = ttl * TTL;
            long[] lastTtl = store(filter, random, perTtl, i -> start + (long) i * TTL / perTtl);
            long now = start + (long) (perTtl - 1) * TTL / perTtl;
            assertThat(maybeRate(filter, random, now)).as("after TTL %d", ttl).isLessThan(0.3);
            assertThat(filter.bytes()).isLessThanOrEqualTo(budget);
            for (long id : lastTtl) {
                assertThat(filter.mightContain(id, ~id, now)).isTrue();
            }
        }
    }

    /** Stores {@code n} random ids, the i-th at {@code timeOf(i)}; returns them. */
    private static long[] store(IdFilter filter, Random random, int n, IntToLongFunction timeOf) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = random.nextLong();
            filter.add(ids[i], ~ids[i], timeOf.applyAsLong(i));
        }
        return ids;
    }

    private static double maybeRate(IdFilter filter, Random random, long now) {
        int maybe = 0;
        int probes = 20_000;
        for (int i = 0; i < probes; i++) {
            long fresh = random.nextLong();
            maybe += filter.mightContain(fresh, ~fresh, now) ? 1 : 0;
        }
        return (double) maybe / probes;
    }

    /** A clock set back (NTP) files ids in the newest generation, which is kept the longest. */
    @Test
    void aClockSetBackLosesNoId() {
        IdFilter filter = new IdFilter(TTL, 64 * MB, 0, false);
        filter.add(1, 1, 3 * TTL + 5);
        filter.add(2, 2, TTL); // three generations back
        assertThat(filter.mightContain(1, 1, 4 * TTL)).isTrue();
        assertThat(filter.mightContain(2, 2, 4 * TTL)).isTrue();
    }
}
