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
     * @param total the number of inputs, or -1 if unknown
     */
    public static MapProgress of(long total, long submitted, long completed, long failed, Duration elapsed,
            boolean last) {
        return new MapProgress(total, submitted, completed, failed, elapsed, last);
    }

    /** Number of inputs, if known (collections and sized streams); empty for iterators and unsized streams. */
    public OptionalLong total() {
        return total < 0 ? OptionalLong.empty() : OptionalLong.of(total);
    }

    public long submitted() {
        return submitted;
    }

    /** Items finished, successfully or not. */
    public long completed() {
        return completed;
    }

    public long failed() {
        return failed;
    }

    public Duration elapsed() {
        return elapsed;
    }

    /** Whether this is the final snapshot of the map. */
    public boolean isFinal() {
        return last;
    }

    @Override
    public String toString() {
        return "MapProgress(total=" + (total < 0 ? "?" : total) + ", submitted=" + submitted + ", completed="
                + completed + ", failed=" + failed + ", elapsed=" + elapsed + (last ? ", final" : "") + ")";
    }
}
