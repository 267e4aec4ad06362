package dev.offload.internal;

import java.time.Duration;

/**
 * Chooses the batch size of a map whose options ask for automatic batches ({@code MapOptions.AUTO_BATCH_SIZE}),
 * from how long its batches take, timed from when the map starts a batch to when the last of its results is in (a
 * batch that waits for a worker counts its wait: batches then grow a little less than they could).
 *
 * <p>It starts at one item. A batch of the current size that took less than {@link #GROW_BELOW} doubles it, up to
 * {@link #MAX} items; a batch that took more than {@link #SHRINK_ABOVE} shrinks it at once to what would take
 * about {@link #TARGET}. Between the two the size stays. A per-task timeout, which covers a whole batch, scales these
 * down so that a batch is expected to take at most a tenth of it. Items that take long on their own therefore stay
 * one per call, with a worker crash or a timeout failing only that item; only quick items travel together.
 *
 * <p>Thread-safe: batches may finish on any thread.
 */
public final class AutoBatch {
    /** The largest batch: past some hundreds of tiny items, a call's fixed cost is already spread thin. */
    public static final int MAX = 1024;
    /** A batch of the current size quicker than this doubles the size. */
    public static final Duration GROW_BELOW = Duration.ofMillis(10);
    /** A batch slower than this shrinks the size to what should take {@link #TARGET}. */
    public static final Duration SHRINK_ABOVE = Duration.ofMillis(100);
    /** What a batch should take when the size has to shrink. */
    public static final Duration TARGET = Duration.ofMillis(25);

    private final long growBelow;
    private final long shrinkAbove;
    private final long target;
    private int size = 1;

    /**
     * @param taskTimeout the map's per-task timeout, or null
     */
    public AutoBatch(Duration taskTimeout) {
        long limit = taskTimeout == null ? Long.MAX_VALUE : Math.max(1, taskTimeout.toNanos() / 10);
        growBelow = Math.min(GROW_BELOW.toNanos(), limit / 2);
        shrinkAbove = Math.min(SHRINK_ABOVE.toNanos(), limit);
        target = Math.min(TARGET.toNanos(), limit / 2);
    }

    /** The size for the next batch, 1 to {@link #MAX}. */
    public synchronized int size() {
        return size;
    }

    /**
     * Learns from a finished batch.
     *
     * @param items the batch's items
     * @param nanos from its start to its last result
     */
    public synchronized void finished(int items, long nanos) {
        if (items <= 0) {
            return;
        }
        if (nanos > shrinkAbove) {
            // What would have taken about the target, from this batch's time per item; never grows here.
            long fit = (long) ((double) target * items / nanos);
            size = (int) Math.max(1, Math.min(size, fit));
        } else if (items == size && nanos < growBelow) {
            size = Math.min(MAX, size * 2);
        }
    }
}
