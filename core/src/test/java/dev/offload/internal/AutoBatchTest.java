package dev.offload.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How {@link AutoBatch} sizes batches from their times (no workers: the times are given). */
class AutoBatchTest {
    private static final long MS = 1_000_000L;

    @Test
    void quickBatchesDoubleTheSizeUpToTheMaximum() {
        AutoBatch a = new AutoBatch(null);
        assertEquals(1, a.size());
        for (int expected = 2; expected <= AutoBatch.MAX; expected *= 2) {
            a.finished(a.size(), 2 * MS);
            assertEquals(expected, a.size());
        }
        a.finished(AutoBatch.MAX, MS);
        assertEquals(AutoBatch.MAX, a.size());
    }

    @Test
    void onlyABatchOfTheCurrentSizeGrowsIt() {
        AutoBatch a = new AutoBatch(null);
        a.finished(1, MS);
        a.finished(1, MS); // started before the size doubled
        assertEquals(2, a.size());
        a.finished(2, MS);
        a.finished(3, MS); // the last, short batch of an input
        assertEquals(4, a.size());
    }

    @Test
    void betweenTheBoundsTheSizeStays() {
        AutoBatch a = new AutoBatch(null);
        a.finished(1, 50 * MS);
        assertEquals(1, a.size());
        a.finished(1, 20 * MS);
        assertEquals(1, a.size());
    }

    @Test
    void aSlowBatchShrinksTheSizeAtOnceToWhatFitsTheTarget() {
        AutoBatch a = new AutoBatch(null);
        while (a.size() < 512) {
            a.finished(a.size(), MS);
        }
        a.finished(512, 200 * MS); // 0.39 ms an item: 25 ms holds 64
        assertEquals(64, a.size());
        a.finished(1, 300 * MS); // a single slow item (a worker starting, say) brings it back to one
        assertEquals(1, a.size());
        a.finished(1, 300 * MS);
        assertEquals(1, a.size());
    }

    @Test
    void aTaskTimeoutKeepsBatchesToATenthOfIt() {
        AutoBatch a = new AutoBatch(Duration.ofMillis(40)); // batches of at most about 4 ms
        a.finished(1, MS);
        assertEquals(2, a.size());
        a.finished(2, 3 * MS); // under 4 ms, but not under half of it: no growth
        assertEquals(2, a.size());
        a.finished(2, 8 * MS); // 4 ms an item, over the tenth: down to one
        assertEquals(1, a.size());
    }
}
