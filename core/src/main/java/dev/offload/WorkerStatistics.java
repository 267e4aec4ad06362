package dev.offload;

import java.util.Objects;

/**
 * A snapshot of a {@link WorkerContext}: how many workers are idle in its cache and how many calls are running
 * (from the moment a call holds a limiter permit until its worker is back or gone, including calls still
 * starting a worker). Eventually consistent across threads.
 */
public final class WorkerStatistics {
    private final int idleWorkers;
    private final int runningWorkers;

    WorkerStatistics(int idleWorkers, int runningWorkers) {
        this.idleWorkers = idleWorkers;
        this.runningWorkers = runningWorkers;
    }

    /** Started workers waiting in the cache for a call. */
    public int idleWorkers() {
        return idleWorkers;
    }

    /** Calls past the limiter: running in a worker or starting one. */
    public int runningWorkers() {
        return runningWorkers;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WorkerStatistics && ((WorkerStatistics) o).idleWorkers == idleWorkers
                && ((WorkerStatistics) o).runningWorkers == runningWorkers;
    }

    @Override
    public int hashCode() {
        return Objects.hash(idleWorkers, runningWorkers);
    }

    @Override
    public String toString() {
        return "WorkerStatistics(idle=" + idleWorkers + ", running=" + runningWorkers + ")";
    }
}
