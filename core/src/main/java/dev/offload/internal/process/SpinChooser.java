package dev.offload.internal.process;

/**
 * Chooses, for one worker's asynchronous calls (a coroutine's), between spinning and blocking, by what each has been
 * measured to give: the time from one reply to the next, as the reader thread sees it. That gap is the whole cycle
 * of a caller that calls again as soon as it has its result (the reader thread's hand-over, the caller's wake-up, its
 * next request, the worker's wake-up and work), so the faster mode is the one with the shorter gap.
 *
 * <p>Neither mode wins everywhere. On the 2-vCPU VM this was built on, spinning (the reader thread and the worker
 * polling, and yielding their processors to the woken caller) took 11-12 µs a call against 42-49 µs blocking once the
 * scheduler had spread the three threads over both processors, and 25-37 against 20-28 before it had (2026-11-22,
 * alternating blocks of 4,000 calls on two contexts). A threshold, as blocking callers use, cannot tell those apart;
 * a comparison can. The preferred mode is the one with the shorter recent gap; every {@link #EXPLORE_EVERY} calls the
 * other gets {@link #EXPLORE_LENGTH} in a row, so a change of situation is noticed. Blocking wins ties, and spinning
 * needs a gap within the reader thread's spin to be preferred at all.
 *
 * <p>The sending thread calls {@link #next} (one call at a time per worker, so one sender at a time) and the reader
 * thread {@link #note} and {@link #pause}; each keeps its own fields, and only the two averages cross over. They
 * only steer a heuristic, so a stale read costs nothing but one call's choice.
 */
final class SpinChooser {
    static final int EXPLORE_EVERY = 64;
    static final int EXPLORE_LENGTH = 4;
    /** Gaps longer than this are not back-to-back calls: the caller did something else in between. Not learnt. */
    static final long MAX_GAP_NANOS = 1_000_000;

    private final long spinNanos;
    private volatile long spinGap = Long.MAX_VALUE;
    private volatile long blockGap = Long.MAX_VALUE;
    // The sending thread's.
    private int untilExplore = EXPLORE_LENGTH; // soon after the start: learn the other mode early
    private int exploreLeft;
    private boolean exploreMode;
    // The reader thread's: the mode of the last gap noted, or null after a break (a run's first gap mixes two modes
    // and is skipped).
    private Boolean lastMode;

    /** @param spinNanos how long the reader thread spins: a spinning gap must be shorter to be worth it */
    SpinChooser(long spinNanos) {
        this.spinNanos = spinNanos;
    }

    /** Whether the asynchronous call being sent spins. */
    boolean next() {
        if (--untilExplore <= 0) {
            untilExplore = EXPLORE_EVERY;
            exploreMode = !prefersSpinning();
            exploreLeft = EXPLORE_LENGTH;
        }
        if (exploreLeft > 0) {
            exploreLeft--;
            return exploreMode;
        }
        return prefersSpinning();
    }

    boolean prefersSpinning() {
        long spin = spinGap;
        return spin < spinNanos && spin < blockGap;
    }

    /** The gap from the last reply to this one, read in mode {@code spun}. */
    void note(boolean spun, long gapNanos) {
        Boolean last = lastMode;
        lastMode = spun;
        if (last == null || last != spun || gapNanos > MAX_GAP_NANOS || gapNanos < 0) {
            return;
        }
        if (spun) {
            spinGap = average(spinGap, gapNanos);
        } else {
            blockGap = average(blockGap, gapNanos);
        }
    }

    /** The reader thread stopped reading for a while (another thread read): its next gap means nothing. */
    void pause() {
        lastMode = null;
    }

    /** A moving average over about the last eight samples, starting at the first ({@code recent} is MAX_VALUE). */
    static long average(long recent, long gap) {
        return recent == Long.MAX_VALUE ? gap : recent - (recent >> 3) + (gap >> 3);
    }
}
