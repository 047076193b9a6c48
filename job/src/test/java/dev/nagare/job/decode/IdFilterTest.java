package dev.nagare.job.decode;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

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
            // 20,000 ids per TTL for a while, then 100,000, then 5,000: about 10 TTLs in all.
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
        // 10 bits an id in one generation, up to two generations consulted: a few percent.
        assertThat((double) falsePositives / probes).isLessThan(0.05);
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
        assertThat(filter.complete(openedAt + TTL)).isFalse();
        assertThat(filter.mightContain(42, 43, openedAt + TTL + IdFilter.RESTORE_MARGIN_MILLIS - 1)).isTrue();
        assertThat(filter.complete(openedAt + TTL + IdFilter.RESTORE_MARGIN_MILLIS)).isTrue();
        assertThat(filter.mightContain(42, 43, openedAt + TTL + IdFilter.RESTORE_MARGIN_MILLIS)).isFalse();

        IdFilter fresh = new IdFilter(TTL, 64 * MB, openedAt, false);
        assertThat(fresh.mightContain(42, 43, openedAt)).isFalse();
    }

    /**
     * Past its memory budget the filter takes more ids than it was sized for: its answers drift
     * towards "maybe" (more reads), and it still knows every stored id.
     */
    @Test
    void pastItsBudgetItKnowsEveryIdAndSaysMaybeMoreOften() {
        long budget = 64 * 1024;
        IdFilter filter = new IdFilter(TTL, budget, 0, false);
        Random random = new Random(3);
        long[] stored = new long[200_000]; // four times what 64 KB hold at 10 bits an id
        for (int i = 0; i < stored.length; i++) {
            stored[i] = random.nextLong();
            filter.add(stored[i], ~stored[i], 1_000 + i);
        }
        assertThat(filter.bytes()).isLessThanOrEqualTo(budget);
        long now = 1_000 + stored.length;
        for (long id : stored) {
            assertThat(filter.mightContain(id, ~id, now)).isTrue();
        }
        int maybe = 0;
        for (int i = 0; i < 10_000; i++) {
            long fresh = random.nextLong();
            maybe += filter.mightContain(fresh, ~fresh, now) ? 1 : 0;
        }
        assertThat(maybe).isBetween(1_000, 10_000);
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
