package dev.offload.internal.child;

import java.time.Instant;
import java.util.Optional;

/**
 * Halts the worker within about {@link #PERIOD_MILLIS} ms once its parent is gone, even while a call is
 * running: the parent is identified by pid and start instant, so a recycled pid does not keep an orphan alive.
 */
final class ParentWatchdog implements Runnable {
    static final long PERIOD_MILLIS = 200;
    /** Exit status of a worker that halted because its parent died. */
    static final int EXIT_PARENT_GONE = 70;

    private final long parentPid;
    private final long parentStartMillis;

    private ParentWatchdog(long parentPid, long parentStartMillis) {
        this.parentPid = parentPid;
        this.parentStartMillis = parentStartMillis;
    }

    /** Starts the watchdog thread; a non-positive pid disables it (a remote launcher has no local parent). */
    static void start(long parentPid, long parentStartMillis) {
        if (parentPid <= 0) {
            return;
        }
        Thread t = new Thread(new ParentWatchdog(parentPid, parentStartMillis), "offload-parent-watchdog");
        t.setDaemon(true);
        t.setPriority(Thread.MAX_PRIORITY);
        t.start();
    }

    @Override
    public void run() {
        do { // sleep first: the first check initialises ProcessHandle, which should not slow the worker's start
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        } while (parentAlive());
        Runtime.getRuntime().halt(EXIT_PARENT_GONE);
    }

    private boolean parentAlive() {
        Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
        if (parent.isEmpty() || !parent.get().isAlive()) {
            return false;
        }
        if (parentStartMillis <= 0) {
            return true;
        }
        Optional<Instant> start = parent.get().info().startInstant();
        return start.isEmpty() || Math.abs(start.get().toEpochMilli() - parentStartMillis) < 1000;
    }
}
