package dev.offload.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The choice between spinning and blocking for asynchronous calls, fed with made-up gaps (no processes). */
class SpinChooserTest {
    private static final long SPIN = 60_000;

    /** Feeds {@code n} gaps of one mode in a row (the first of a run is not learnt). */
    private static void feed(SpinChooser c, boolean spun, long gap, int n) {
        for (int i = 0; i < n; i++) {
            c.note(spun, gap);
        }
    }

    @Test
    void blocksAtFirstThenTriesSpinningSoon() {
        SpinChooser c = new SpinChooser(SPIN);
        int first = -1;
        for (int i = 0; i < 10 && first < 0; i++) {
            if (c.next()) {
                first = i;
            }
        }
        assertEquals(SpinChooser.EXPLORE_LENGTH - 1, first, "the first spinning call comes after a few blocking ones");
        for (int i = 1; i < SpinChooser.EXPLORE_LENGTH; i++) {
            assertTrue(c.next(), "an exploration is a run of calls");
        }
        assertFalse(c.next(), "with nothing learnt, blocking is preferred");
    }

    @Test
    void prefersTheModeWithTheShorterGaps() {
        SpinChooser c = new SpinChooser(SPIN);
        feed(c, false, 45_000, 20);
        feed(c, true, 12_000, 20);
        assertTrue(c.prefersSpinning());
        feed(c, true, 30_000, 40);
        feed(c, false, 20_000, 40);
        assertFalse(c.prefersSpinning(), "spinning gave way once blocking measured shorter");
    }

    @Test
    void blockingWinsTiesAndSpinningMustBeatItsOwnSpin() {
        SpinChooser tie = new SpinChooser(SPIN);
        feed(tie, false, 20_000, 10);
        feed(tie, true, 20_000, 10);
        assertFalse(tie.prefersSpinning());

        SpinChooser slow = new SpinChooser(SPIN);
        feed(slow, false, 500_000, 10);
        feed(slow, true, 80_000, 10); // the replies came after the spin had ended: spinning only burnt a processor
        assertFalse(slow.prefersSpinning());
    }

    @Test
    void longGapsAndTheFirstGapOfARunAreNotLearnt() {
        SpinChooser c = new SpinChooser(SPIN);
        feed(c, false, 45_000, 10);
        c.note(true, 1_000); // the first of a spinning run: its cycle began in the other mode
        assertFalse(c.prefersSpinning());
        feed(c, true, SpinChooser.MAX_GAP_NANOS + 1, 10); // the caller did other work between its calls
        assertFalse(c.prefersSpinning());
        c.pause(); // another thread read meanwhile
        c.note(true, 5_000);
        assertFalse(c.prefersSpinning());
        c.note(true, 5_000);
        assertTrue(c.prefersSpinning());
    }

    @Test
    void theOtherModeGetsARunOfCallsEverySoOften() {
        SpinChooser c = new SpinChooser(SPIN);
        feed(c, false, 45_000, 10);
        feed(c, true, 12_000, 10);
        for (int i = 0; i < SpinChooser.EXPLORE_EVERY; i++) {
            c.next(); // past the early exploration
        }
        int blocking = 0;
        int calls = 10 * SpinChooser.EXPLORE_EVERY;
        for (int i = 0; i < calls; i++) {
            blocking += c.next() ? 0 : 1;
        }
        assertEquals(10 * SpinChooser.EXPLORE_LENGTH, blocking);
    }
}
