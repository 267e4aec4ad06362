package dev.offload;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * A snapshot of a running map: items submitted, completed (successfully or not), failed, the total when the input
 * has a known size, and the time since the map started. A listener gets throttled snapshots and always a final one.
 */
public final class MapProgress {
    /** Receives progress snapshots on the thread that consumes the map's results. Keep it quick. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Called with each progress snapshot, the final one included.
         *
         * @param snapshot the state of the map now
         */
        void onProgress(MapProgress snapshot);
    }

    private final long total;
    private final long submitted;
    private final long completed;
    private final long failed;
    private final Duration elapsed;
    private final boolean last;

    MapProgress(long total, long submitted, long completed, long failed, Duration elapsed, boolean last) {
        this.total = total;
        this.submitted = submitted;
        this.completed = completed;
        this.failed = failed;
        this.elapsed = elapsed;
        this.last = last;
    }

    /**
     * A snapshot, for map implementations outside this package (the Kotlin API, custom front ends).
     *
     * @param submitted the number of items handed to the backend so far
     * @param completed the number of items finished, successfully or not
     * @param failed the number of items that failed
     * @param elapsed the time since the map started
     * @param last {@code true} for the final snapshot of the map
     * @return a new snapshot
     * @param total the number of inputs, or -1 if unknown
     */
    public static MapProgress of(long total, long submitted, long completed, long failed, Duration elapsed,
            boolean last) {
        return new MapProgress(total, submitted, completed, failed, elapsed, last);
    }

    /**
     * Number of inputs, if known (collections and sized streams); empty for iterators and unsized streams.
     *
     * @return the total number of inputs, or empty if unknown
     */
    public OptionalLong total() {
        return total < 0 ? OptionalLong.empty() : OptionalLong.of(total);
    }

    /**
     * Items handed to the backend so far: finished ones plus those in flight.
     *
     * @return the number of items submitted
     */
    public long submitted() {
        return submitted;
    }

    /**
     * Items finished, successfully or not.
     *
     * @return the number of items completed, failures included
     */
    public long completed() {
        return completed;
    }

    /**
     * Items that failed so far; they are counted in {@link #completed()} too.
     *
     * @return the number of items failed
     */
    public long failed() {
        return failed;
    }

    /**
     * Time since the map started.
     *
     * @return the elapsed time
     */
    public Duration elapsed() {
        return elapsed;
    }

    /**
     * Whether this is the final snapshot of the map.
     *
     * @return {@code true} if the map has ended and no snapshot follows
     */
    public boolean isFinal() {
        return last;
    }

    @Override
    public String toString() {
        return "MapProgress(total=" + (total < 0 ? "?" : total) + ", submitted=" + submitted + ", completed="
                + completed + ", failed=" + failed + ", elapsed=" + elapsed + (last ? ", final" : "") + ")";
    }
}
