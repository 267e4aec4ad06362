package dev.offload;

import java.util.Arrays;

/**
 * A snapshot of a {@link WorkerContext}: its workers and calls now (idle workers in the cache, calls running, workers
 * pinned to stateful maps), and what it has done since it opened (workers started, killed, crashed, retired; calls
 * completed, failed, cancelled). The current counts are read together; the totals are each exact but read one after
 * another. Once nothing is starting, exiting or being killed, {@code workersStarted() == idleWorkers() +
 * runningWorkers() + pinnedWorkers() + workersKilled() + workersCrashed() + workersRetired()} (a running call counts
 * its worker); a worker on its way up for nobody, or on its way out, is counted as started but not yet elsewhere.
 *
 * <pre>{@code
 * WorkerStatistics s = ctx.statistics();
 * if (s.workersCrashed() > 0) log.warn("{} workers crashed so far", s.workersCrashed());
 * }</pre>
 */
public final class WorkerStatistics {
    private final long[] values;

    WorkerStatistics(long[] values) {
        this.values = values.clone();
    }

    /**
     * Started workers waiting in the cache for a call.
     *
     * @return the number of idle workers
     */
    public int idleWorkers() {
        return (int) values[0];
    }

    /**
     * Calls past the limiter: running in a worker or starting one.
     *
     * @return the number of calls running or starting a worker
     */
    public int runningWorkers() {
        return (int) values[1];
    }

    /**
     * Worker JVMs started (including replacements and prestarted ones), counted once the process exists: a worker
     * whose JVM or {@code init} failed before it was ready counts here and as crashed (one killed at its
     * {@code startupTimeout}, as killed).
     *
     * @return the number of workers started since the context opened
     */
    public long workersStarted() {
        return values[2];
    }

    /**
     * Workers Offload killed: for a cancelled or timed-out call, or at a forced shutdown.
     *
     * @return the number of workers killed since the context opened
     */
    public long workersKilled() {
        return values[3];
    }

    /**
     * Workers that died on their own: a crash, {@code System.exit} with a nonzero code (or any code during a call),
     * a fatal error.
     *
     * @return the number of workers that crashed since the context opened
     */
    public long workersCrashed() {
        return values[4];
    }

    /**
     * Workers that exited cleanly: retired by the retire function, idle timeout, or a graceful close.
     *
     * @return the number of workers that exited cleanly since the context opened
     */
    public long workersRetired() {
        return values[5];
    }

    /**
     * Calls that returned a result.
     *
     * @return the number of calls that completed with a result
     */
    public long callsCompleted() {
        return values[6];
    }

    /**
     * Calls that failed: the function threw, its worker died, it timed out, or it could not be sent.
     *
     * @return the number of calls that failed
     */
    public long callsFailed() {
        return values[7];
    }

    /**
     * Calls cancelled by their caller, or abandoned by completing their future with a value from outside.
     *
     * @return the number of calls cancelled
     */
    public long callsCancelled() {
        return values[8];
    }

    /**
     * Workers a stateful map holds for its slots between their items: neither idle nor running a call, and kept until
     * the map is closed (a map's iterator that is dropped unclosed holds them until the context closes).
     *
     * @return the number of workers pinned to stateful maps and idle between their items
     */
    public int pinnedWorkers() {
        return (int) values[9];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WorkerStatistics && Arrays.equals(((WorkerStatistics) o).values, values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "WorkerStatistics(idle=" + idleWorkers() + ", running=" + runningWorkers() + ", pinned="
                + pinnedWorkers() + ", workers started="
                + workersStarted() + " killed=" + workersKilled() + " crashed=" + workersCrashed() + " retired="
                + workersRetired() + ", calls completed=" + callsCompleted() + " failed=" + callsFailed()
                + " cancelled=" + callsCancelled() + ")";
    }
}
